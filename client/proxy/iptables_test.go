package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needIPTables skips unless the test runs as root on a host with iptables:
// these tests change the host's real tables (and undo it).
func needIPTables(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: changes the host's iptables")
	}
	if _, err := exec.LookPath("iptables-restore"); err != nil {
		t.Skip("no iptables-restore")
	}
}

// backend is a local HTTP server that answers with its name.
func backend(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, name)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

// get fetches http://addr/ on a fresh connection.
func get(addr string) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestIPTablesApplyAndCleanup writes a real rule set into the host's tables
// under a chain prefix of its own, sends traffic through it from the host
// (ClusterIP, NodePort, random choice, ClientIP affinity, REJECT without
// endpoints), shrinks it, and removes it with Cleanup.
func TestIPTablesApplyAndCleanup(t *testing.T) {
	needIPTables(t)
	ctx := context.Background()
	x := &IPTables{}
	prefix := fmt.Sprintf("BT%d", os.Getpid()%1000)
	cluster := netip.MustParsePrefix("10.251.0.0/16")
	t.Cleanup(func() {
		if err := Cleanup(ctx, x, prefix); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
		if left := chainsWithPrefix(t, x, prefix+"-"); len(left) > 0 {
			t.Errorf("chains left after Cleanup: %v", left)
		}
	})
	a, b := backend(t, "a"), backend(t, "b")
	nodePort := int32(30000 + rand.IntN(2000))
	spread := ServicePort{Namespace: "t", Name: "spread", Protocol: "tcp",
		ClusterIP: netip.MustParseAddr("10.251.255.1"), Port: 80, NodePort: nodePort, Endpoints: []netip.AddrPort{a, b}}
	sticky := spread
	sticky.Name, sticky.ClusterIP, sticky.NodePort, sticky.AffinitySeconds = "sticky", netip.MustParseAddr("10.251.255.2"), 0, 60
	empty := ServicePort{Namespace: "t", Name: "empty", Protocol: "tcp", ClusterIP: netip.MustParseAddr("10.251.255.3"), Port: 80}
	opts := RenderOptions{Prefix: prefix, ClusterCIDR: cluster}

	apply := func(ports ...ServicePort) *Ruleset {
		t.Helper()
		rs := Render(ports, opts)
		save, err := x.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Restore(ctx, rs.Payload(ParseSave(save))); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := apply(spread, sticky, empty)
	apply(spread, sticky, empty) // a second sync must not add jumps again
	save, err := x.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := ParseSave(save)
	for _, j := range rs.Jumps {
		chain := j.Chain
		if chain == "FORWARD" && e.has(tableFilter, dockerUser) {
			chain = dockerUser
		}
		n := 0
		for _, have := range e.jumpsOf[j.Table] {
			if have.chain == chain && have.target == j.Target {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d jumps from %s to %s, want 1", n, j.Chain, j.Target)
		}
	}

	counts := map[string]int{}
	for range 200 {
		body, err := get("10.251.255.1:80")
		if err != nil {
			t.Fatalf("cluster IP: %v", err)
		}
		counts[body]++
	}
	if counts["a"] < 50 || counts["b"] < 50 {
		t.Errorf("200 connections spread %v, want both backends roughly even", counts)
	}
	first, err := get(fmt.Sprintf("127.0.0.1:%d", nodePort))
	if err != nil || (first != "a" && first != "b") {
		t.Errorf("node port: %q, %v", first, err)
	}
	first, err = get("10.251.255.2:80")
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if body, err := get("10.251.255.2:80"); err != nil || body != first {
			t.Fatalf("affinity: got %q, %v after %q", body, err, first)
		}
	}
	if _, err := get("10.251.255.3:80"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("service without endpoints: %v, want connection refused (REJECT)", err)
	}

	shrunk := apply(spread)
	left := chainsWithPrefix(t, x, prefix+"-")
	want := len(shrunk.Chains(tableNAT)) + len(shrunk.Chains(tableFilter))
	if len(left) != want {
		t.Errorf("after shrinking: %d chains %v, want %d", len(left), left, want)
	}
}

func chainsWithPrefix(t *testing.T, x *IPTables, prefix string) []string {
	t.Helper()
	save, err := x.Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := ParseSave(save)
	var out []string
	for _, table := range tables {
		for _, c := range e.chains(table) {
			if strings.HasPrefix(c, prefix) {
				out = append(out, table+"/"+c)
			}
		}
	}
	return out
}
