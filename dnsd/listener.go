package dnsd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Listener is one address the server answers on, over UDP and TCP on the same port.
type Listener struct {
	addr    string
	udp     net.PacketConn
	tcp     net.Listener
	servers []*dns.Server
	once    sync.Once
}

// ListenOptions tune Listen.
type ListenOptions struct {
	// ReusePort lets several processes bind the same address (SO_REUSEPORT), the
	// kernel spreading queries over them: node-local copies of the catalog on one
	// machine share the pod network's address that way.
	ReusePort bool
}

// Listen binds addr (host:port; port 0 picks one free for both UDP and TCP).
func (s *Server) Listen(addr string, opts ListenOptions) (*Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dnsd: listen address %q: %w", addr, err)
	}
	lc := net.ListenConfig{}
	if opts.ReusePort {
		lc.Control = reusePort
	}
	// With port 0 the UDP port is picked first; TCP may find it taken, so try again.
	var lastErr error
	for range 10 {
		pc, err := lc.ListenPacket(context.Background(), "udp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("dnsd: listen udp %s: %w", addr, err)
		}
		bound := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
		ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(host, bound))
		if err != nil {
			pc.Close()
			lastErr = err
			if port != "0" {
				break
			}
			continue
		}
		l := &Listener{addr: net.JoinHostPort(host, bound), udp: pc, tcp: ln}
		// The UDP buffer must hold the largest EDNS0 query a client may send.
		l.servers = []*dns.Server{
			{PacketConn: pc, Handler: s, UDPSize: dns.MaxMsgSize, ReadTimeout: 2 * time.Second},
			{Listener: ln, Handler: s, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
				MaxTCPQueries: 128, IdleTimeout: func() time.Duration { return 10 * time.Second }},
		}
		return l, nil
	}
	return nil, fmt.Errorf("dnsd: listen tcp %s: %w", addr, lastErr)
}

func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	return errors.Join(err, serr)
}

// Addr is the host:port the listener answers on.
func (l *Listener) Addr() string { return l.addr }

// Serve answers until ctx ends or Close is called; then it stops both sockets.
func (l *Listener) Serve(ctx context.Context) error {
	errs := make(chan error, len(l.servers))
	for _, srv := range l.servers {
		go func() { errs <- srv.ActivateAndServe() }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	l.Close()
	return err
}

// Close stops the listener; a Serve in progress returns.
func (l *Listener) Close() error {
	l.once.Do(func() {
		for _, srv := range l.servers {
			// Shutdown fails on a server that never started; the sockets close anyway.
			_ = srv.Shutdown()
		}
		l.udp.Close()
		l.tcp.Close()
	})
	return nil
}
