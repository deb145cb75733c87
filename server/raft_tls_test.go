package server

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/pki"
)

// recordingListener keeps a copy of every byte its connections read, as a packet
// capture on the port would see them.
type recordingListener struct {
	net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, l: l}, nil
}

func (l *recordingListener) captured() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.l.buf.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

// mustIdentities mints a throwaway cluster CA and one identity per role given.
func mustIdentities(t *testing.T, roles ...string) []pki.Identity {
	t.Helper()
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	var out []pki.Identity
	for i, role := range roles {
		id, err := ca.NewIdentity(role, role+string(rune('a'+i)), []string{"127.0.0.1"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// mustTLSTransport starts a TLS Raft transport on loopback for id; the listener
// records what it reads.
func mustTLSTransport(t *testing.T, id pki.Identity) (*raft.NetworkTransport, *recordingListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingListener{Listener: ln}
	log := hclog.NewNullLogger()
	stream, err := newTLSStreamLayerOn(rec, nil, id, log)
	if err != nil {
		t.Fatal(err)
	}
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: stream, MaxPool: 3, Timeout: 5 * time.Second, Logger: log})
	t.Cleanup(func() { trans.Close() })
	return trans, rec
}

// serveAppends answers every AppendEntries on trans with success and reports the
// entries' data on the returned channel.
func serveAppends(t *testing.T, trans raft.Transport) <-chan []byte {
	t.Helper()
	got := make(chan []byte, 16)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case rpc := <-trans.Consumer():
				req, ok := rpc.Command.(*raft.AppendEntriesRequest)
				if ok {
					for _, e := range req.Entries {
						got <- e.Data
					}
				}
				rpc.Respond(&raft.AppendEntriesResponse{Term: 1, Success: true}, nil)
			case <-done:
				return
			}
		}
	}()
	return got
}

func appendReq(data []byte) *raft.AppendEntriesRequest {
	return &raft.AppendEntriesRequest{
		RPCHeader: raft.RPCHeader{ID: []byte("leader"), Addr: []byte("leader")},
		Term:      1,
		Entries:   []*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand, Data: data}},
	}
}

func TestRaftTLSReplicatesUnreadably(t *testing.T) {
	ids := mustIdentities(t, pki.RoleServer, pki.RoleServer)
	leader, _ := mustTLSTransport(t, ids[0])
	follower, wire := mustTLSTransport(t, ids[1])
	got := serveAppends(t, follower)

	secret := []byte("configmap-value-4f1d9c7e-must-not-leak")
	var resp raft.AppendEntriesResponse
	if err := leader.AppendEntries("follower", follower.LocalAddr(), appendReq(secret), &resp); err != nil {
		t.Fatalf("append over TLS: %v", err)
	}
	if !resp.Success {
		t.Fatal("append not acknowledged")
	}
	select {
	case data := <-got:
		if !bytes.Equal(data, secret) {
			t.Fatalf("follower got %q, want %q", data, secret)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follower never saw the entry")
	}
	captured := wire.captured()
	if len(captured) == 0 {
		t.Fatal("nothing captured on the follower's port")
	}
	if bytes.Contains(captured, secret) || bytes.Contains(captured, []byte("configmap-value")) {
		t.Fatal("the entry's value is readable in the bytes on the wire")
	}
}

func TestRaftTLSRefusesStrangers(t *testing.T) {
	ids := mustIdentities(t, pki.RoleServer, pki.RoleClient, pki.RoleUser)
	other := mustIdentities(t, pki.RoleServer) // another cluster's CA
	target, _ := mustTLSTransport(t, ids[0])
	got := serveAppends(t, target)

	tests := []struct {
		name string
		dial func() (raft.Transport, func())
	}{
		{"plaintext raft", func() (raft.Transport, func()) {
			tr, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, 1, time.Second, hclog.NewNullLogger())
			if err != nil {
				t.Fatal(err)
			}
			return tr, func() { tr.Close() }
		}},
		{"client certificate", func() (raft.Transport, func()) { tr, _ := mustTLSTransport(t, ids[1]); return tr, func() {} }},
		{"user certificate", func() (raft.Transport, func()) { tr, _ := mustTLSTransport(t, ids[2]); return tr, func() {} }},
		{"server of another CA", func() (raft.Transport, func()) { tr, _ := mustTLSTransport(t, other[0]); return tr, func() {} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, done := tt.dial()
			defer done()
			var resp raft.AppendEntriesResponse
			err := tr.AppendEntries("target", target.LocalAddr(), appendReq([]byte("x")), &resp)
			if err == nil {
				t.Fatal("the Raft port served a peer without a server certificate of the cluster")
			}
		})
	}
	select {
	case <-got:
		t.Fatal("an entry from a refused peer reached Raft")
	default:
	}
}

func TestRaftTLSDialerWantsAServer(t *testing.T) {
	ids := mustIdentities(t, pki.RoleServer, pki.RoleClient)
	dialer, _ := mustTLSTransport(t, ids[0])
	impostor, _ := mustTLSTransport(t, ids[1]) // listens with a client's certificate
	serveAppends(t, impostor)
	var resp raft.AppendEntriesResponse
	if err := dialer.AppendEntries("impostor", impostor.LocalAddr(), appendReq([]byte("x")), &resp); err == nil {
		t.Fatal("a server replicated to a peer whose certificate is not a server's")
	}
}

func TestRaftTLSSilentConnectionDoesNotBlock(t *testing.T) {
	ids := mustIdentities(t, pki.RoleServer, pki.RoleServer)
	target, _ := mustTLSTransport(t, ids[0])
	leader, _ := mustTLSTransport(t, ids[1])
	serveAppends(t, target)
	// A connection that never speaks holds its own handshake, not the accept loop.
	idle, err := net.Dial("tcp", string(target.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	var resp raft.AppendEntriesResponse
	if err := leader.AppendEntries("target", target.LocalAddr(), appendReq([]byte("x")), &resp); err != nil {
		t.Fatalf("append behind an idle connection: %v", err)
	}
}
