package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/pki"
)

// raftHandshakeTimeout bounds a Raft connection's TLS handshake, both ways. A peer on
// a LAN finishes in milliseconds; one that connects and says nothing (a port scan, a
// plaintext client) is dropped instead of holding a goroutine.
const raftHandshakeTimeout = 10 * time.Second

// tlsStreamLayer is a raft.StreamLayer over mutual TLS: only certificates of role
// server signed by the cluster CA may connect, and a dialer checks that it reached a
// server. Handshakes run off the accept loop, so a silent connection does not stall
// the others.
type tlsStreamLayer struct {
	ln        net.Listener // the plain TCP listener
	adv       net.Addr
	serverTLS *tls.Config
	clientTLS *tls.Config
	timeout   time.Duration
	log       hclog.Logger

	conns     chan net.Conn // handshaken connections for Accept
	done      chan struct{}
	closeOnce sync.Once
}

var _ raft.StreamLayer = (*tlsStreamLayer)(nil)

// errStreamClosed is what Accept returns once the layer is closed; the transport
// checks its own shutdown flag and stops.
var errStreamClosed = errors.New("server: raft stream layer closed")

// newTLSStreamLayer listens on bind. adv is the address peers reach us at; nil means
// the listener's, which must then be a specific IP, not 0.0.0.0.
func newTLSStreamLayer(bind string, adv net.Addr, id pki.Identity, log hclog.Logger) (*tlsStreamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	return newTLSStreamLayerOn(ln, adv, id, log)
}

// newTLSStreamLayerOn serves on ln (tests wrap it to see the bytes on the wire).
func newTLSStreamLayerOn(ln net.Listener, adv net.Addr, id pki.Identity, log hclog.Logger) (*tlsStreamLayer, error) {
	if adv == nil {
		adv = ln.Addr()
	}
	if a, ok := adv.(*net.TCPAddr); !ok || a.IP == nil || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("server: raft address %v is not advertisable: set an advertise address", adv)
	}
	s := &tlsStreamLayer{
		ln: ln, adv: adv,
		serverTLS: id.ServerTLS(pki.RoleServer),
		clientTLS: id.ClientTLS(pki.RoleServer),
		timeout:   raftHandshakeTimeout,
		log:       log,
		conns:     make(chan net.Conn),
		done:      make(chan struct{}),
	}
	go s.acceptLoop()
	return s, nil
}

// acceptLoop hands every accepted connection to its own handshake.
func (s *tlsStreamLayer) acceptLoop() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.Close()
			return
		}
		go s.handshake(c)
	}
}

// handshake completes the server side of TLS within the timeout and queues the
// connection for Accept; a failure (plaintext, no certificate, a client's
// certificate) closes it.
func (s *tlsStreamLayer) handshake(c net.Conn) {
	tc := tls.Server(c, s.serverTLS)
	tc.SetDeadline(time.Now().Add(s.timeout))
	if err := tc.Handshake(); err != nil {
		s.log.Warn("refused raft connection", "remote", c.RemoteAddr().String(), "error", err)
		c.Close()
		return
	}
	tc.SetDeadline(time.Time{})
	select {
	case s.conns <- tc:
	case <-s.done:
		tc.Close()
	}
}

// Accept returns the next connection that finished its handshake.
func (s *tlsStreamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case <-s.done:
		return nil, errStreamClosed
	}
}

// Close stops listening; connections already handed out stay open.
func (s *tlsStreamLayer) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.ln.Close()
	})
	return err
}

// Addr is the advertised address (what the transport reports as LocalAddr).
func (s *tlsStreamLayer) Addr() net.Addr { return s.adv }

// Dial connects to a peer's Raft port and completes the handshake within timeout,
// presenting our server certificate and requiring the peer's to be a server's too.
func (s *tlsStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 || timeout > s.timeout {
		timeout = s.timeout
	}
	d := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(d, "tcp", string(address), s.clientTLS)
	if err != nil {
		return nil, fmt.Errorf("server: raft dial %s: %w", address, err)
	}
	return c, nil
}

// newRaftTransport is the Raft transport: mutual TLS when the server has an identity,
// plain TCP under --insecure-dev (id nil).
func newRaftTransport(bind string, adv net.Addr, id pki.Identity, log hclog.Logger) (*raft.NetworkTransport, error) {
	if id == nil {
		return raft.NewTCPTransportWithLogger(bind, adv, 3, 10*time.Second, log)
	}
	stream, err := newTLSStreamLayer(bind, adv, id, log)
	if err != nil {
		return nil, err
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  log,
	}), nil
}
