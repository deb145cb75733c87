package netpol

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/client/proxy"
)

// needRoot skips unless the test runs as root on a host with iptables and
// ip netns: these tests change the host's real tables and make network
// namespaces (and undo both).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: changes the host's iptables")
	}
	for _, tool := range []string{"iptables-restore", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// netns is a network namespace behind a veth pair, routed by the host: its
// traffic to another one crosses the host's FORWARD chain, as pod traffic does.
type netns struct {
	name string
	ip   netip.Addr
}

// newNetns makes namespace name with address 10.250.<n>.2/24, the host end
// 10.250.<n>.1/24, a default route through it, and a FORWARD ACCEPT for its
// traffic appended after everything else (the host's FORWARD policy may be
// DROP): what the policy chains do not drop passes.
func newNetns(t *testing.T, name string, n int) netns {
	t.Helper()
	host, inner := name+"h", name+"i"
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	mustRun(t, "ip", "link", "add", host, "type", "veth", "peer", "name", inner)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
	mustRun(t, "ip", "link", "set", inner, "netns", name)
	mustRun(t, "ip", "addr", "add", fmt.Sprintf("10.250.%d.1/24", n), "dev", host)
	mustRun(t, "ip", "link", "set", host, "up")
	mustRun(t, "ip", "-n", name, "addr", "add", fmt.Sprintf("10.250.%d.2/24", n), "dev", inner)
	mustRun(t, "ip", "-n", name, "link", "set", inner, "up")
	mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
	mustRun(t, "ip", "-n", name, "route", "add", "default", "via", fmt.Sprintf("10.250.%d.1", n))
	mustRun(t, "iptables", "-w", "5", "-A", "FORWARD", "-i", host, "-j", "ACCEPT")
	t.Cleanup(func() { _ = exec.Command("iptables", "-w", "5", "-D", "FORWARD", "-i", host, "-j", "ACCEPT").Run() })
	return netns{name: name, ip: netip.MustParseAddr(fmt.Sprintf("10.250.%d.2", n))}
}

// in runs fn on an OS thread inside the namespace; sockets made there stay in it.
func (ns netns) in(t *testing.T, fn func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		f, err := os.Open("/var/run/netns/" + ns.name)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		fn()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("enter netns %s: %v", ns.name, err)
	}
}

// listen accepts (and closes) connections on port inside the namespace.
func (ns netns) listen(t *testing.T, port int) {
	t.Helper()
	var ln net.Listener
	var err error
	ns.in(t, func() { ln, err = net.Listen("tcp", fmt.Sprintf("%s:%d", ns.ip, port)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// reaches reports whether a TCP connection from the namespace to addr opens
// within 300 ms (a dropped SYN times out; the first retry comes after 1 s).
func (ns netns) reaches(t *testing.T, addr string) bool {
	t.Helper()
	var err error
	ns.in(t, func() {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
			c.Close()
		}
	})
	return err == nil
}

// TestIPTablesEnforce applies real rule sets between two network namespaces
// routed by the host (api at 10.250.1.2, db at 10.250.2.2, both on this
// node): default deny, an allowed source and port, an egress isolation, a
// pod that goes away, and CleanupNode; then checks nothing is left.
func TestIPTablesEnforce(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	x := &proxy.IPTables{}
	tag := fmt.Sprintf("%d", os.Getpid()%10000)
	prefix := fmt.Sprintf("BT%d", os.Getpid()%1000)
	opts := RenderOptions{Prefix: prefix, ClusterCIDR: netip.MustParsePrefix("10.250.0.0/16"), Node: "nt"}
	names := newNames(prefix, opts.ClusterCIDR, opts.Node)
	t.Cleanup(func() {
		if err := CleanupNode(ctx, x, prefix, opts.ClusterCIDR, opts.Node); err != nil {
			t.Errorf("CleanupNode: %v", err)
		}
	})
	api, db := newNetns(t, "bnpa"+tag, 1), newNetns(t, "bnpb"+tag, 2)
	db.listen(t, 8080)
	db.listen(t, 9090)
	web, metrics := db.ip.String()+":8080", db.ip.String()+":9090"

	apply := func(pods []PodRules) {
		t.Helper()
		save, err := x.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Restore(ctx, Render(pods, opts).Payload(parseSave(save), nil)); err != nil {
			t.Fatalf("restore: %v", err)
		}
	}
	check := func(step string, wantWeb, wantMetrics bool) {
		t.Helper()
		if got := api.reaches(t, web); got != wantWeb {
			t.Errorf("%s: api reaches db:8080 = %v, want %v", step, got, wantWeb)
		}
		if got := api.reaches(t, metrics); got != wantMetrics {
			t.Errorf("%s: api reaches db:9090 = %v, want %v", step, got, wantMetrics)
		}
	}
	dbPod := PodRules{Namespace: "t", Name: "db", IP: db.ip}
	apiPod := PodRules{Namespace: "t", Name: "api", IP: api.ip}
	host := func(ip netip.Addr) []netip.Prefix { return []netip.Prefix{netip.PrefixFrom(ip, 32)} }

	check("no policy", true, true)

	deny := dbPod
	deny.Ingress = &Isolation{}
	apply([]PodRules{deny})
	check("db isolated for ingress", false, false)

	allow := dbPod
	allow.Ingress = &Isolation{Allows: []Allow{
		{Policy: "t/api", Peers: host(api.ip), Ports: []PortRange{{Protocol: "tcp", First: 8080, Last: 8080}}},
		{Policy: "t/other", Peers: host(netip.MustParseAddr("10.250.9.9")), AllPorts: true},
	}}
	apply([]PodRules{allow})
	check("api allowed to db:8080", true, false)

	out := apiPod
	out.Egress = &Isolation{Allows: []Allow{{Policy: "t/out", AllPeers: true, Ports: []PortRange{{Protocol: "tcp", First: 9000, Last: 9999}}}}}
	open := dbPod
	open.Ingress = &Isolation{Allows: []Allow{{Policy: "t/all", AllPeers: true, AllPorts: true}}}
	apply([]PodRules{open, out})
	check("api may only reach ports 9000-9999", false, true)

	apply([]PodRules{out}) // db went away: its chain goes
	save, _ := x.Save(ctx)
	if e := parseSave(save); e.chains[names.ingress("t/db")] {
		t.Error("the chain of a pod that is gone stays")
	}
	check("db gone from the node", false, true)

	if err := CleanupNode(ctx, x, prefix, opts.ClusterCIDR, opts.Node); err != nil {
		t.Fatal(err)
	}
	check("after cleanup", true, true)
	save, _ = x.Save(ctx)
	if strings.Contains(string(save), prefix+"-") {
		t.Errorf("chains left after CleanupNode:\n%s", save)
	}
}
