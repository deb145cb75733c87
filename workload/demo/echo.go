package demo

import (
	"io"
	"net"
	"sync"
)

// echoServer writes back whatever each TCP connection sends.
type echoServer struct {
	ln net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	// wg counts the accept loop and every connection, so close returns only when
	// no goroutine of the server is left.
	wg sync.WaitGroup
}

// startEcho serves on ln until close.
func startEcho(ln net.Listener) *echoServer {
	e := &echoServer{ln: ln, conns: make(map[net.Conn]struct{})}
	e.wg.Add(1)
	go e.accept()
	return e
}

func (e *echoServer) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return // closed; a demo has no use for retrying temporary errors
		}
		if !e.track(c) {
			_ = c.Close()
			return
		}
		go e.serve(c)
	}
}

// track registers c, unless the server is closing.
func (e *echoServer) track(c net.Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.conns[c] = struct{}{}
	e.wg.Add(1)
	return true
}

func (e *echoServer) serve(c net.Conn) {
	defer e.wg.Done()
	_, _ = io.Copy(c, c)
	_ = c.Close()
	e.mu.Lock()
	delete(e.conns, c)
	e.mu.Unlock()
}

// close stops accepting, drops open connections and waits for their goroutines.
func (e *echoServer) close() {
	_ = e.ln.Close()
	e.mu.Lock()
	e.closed = true
	for c := range e.conns {
		_ = c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}
