package docker

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// TestPod runs a two-container pod: static IP reachable from the host,
// shared localhost, a volume both see, limits, DNS settings and exec.
func TestPod(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	netName, subnet := newNetwork(t, r)
	uid := newPodUID(t, r)
	ip := podIP(subnet, 10)
	hostPort := freePort(t)
	vol := "bt-" + uid + "-data"

	sb := mustSandbox(t, r, runtime.SandboxConfig{
		PodUID: uid, Namespace: "default", Name: "web", Hostname: "web-host",
		IP: ip, Network: netName,
		DNS: []string{"10.96.0.10"}, DNSSearch: []string{"default.svc.cluster.local"}, DNSOptions: []string{"ndots:5"},
		PortMappings: []runtime.PortMapping{{HostPort: hostPort, ContainerPort: 8080, HostIP: netip.MustParseAddr("127.0.0.1")}},
	})
	if err := r.EnsureVolume(ctx, vol, map[string]string{runtime.LabelPodUID: uid}); err != nil {
		t.Fatalf("EnsureVolume: %v", err)
	}
	mounts := []runtime.Mount{{Source: vol, Target: "/data", Type: runtime.MountVolume}}
	server := mustRunContainer(t, r, sb, runtime.ContainerConfig{
		PodUID: uid, Namespace: "default", PodName: "web", Name: "server",
		Command: []string{"/berth", "serve", "8080"}, Mounts: mounts,
		NanoCPUs: 500_000_000, MemoryBytes: 64 << 20,
	})
	sidecar := mustRunContainer(t, r, sb, runtime.ContainerConfig{
		PodUID: uid, Namespace: "default", PodName: "web", Name: "sidecar", Mounts: mounts,
	})

	t.Run("sandbox status", func(t *testing.T) {
		st, err := r.ContainerStatus(ctx, sb)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != runtime.StateRunning || !st.Sandbox || st.IP != ip || st.PodUID != uid {
			t.Errorf("sandbox status = %+v, want running sandbox at %v", st, ip)
		}
	})
	t.Run("pod IP answers TCP from the host", func(t *testing.T) {
		waitFor(t, "echo on the pod IP", 10*time.Second, func() error { return echo(netip.AddrPortFrom(ip, 8080).String()) })
	})
	t.Run("published port", func(t *testing.T) {
		waitFor(t, "echo on the host port", 10*time.Second, func() error { return echo(fmt.Sprintf("127.0.0.1:%d", hostPort)) })
	})
	t.Run("pod IP answers ping", func(t *testing.T) {
		if err := ping(ip); errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM) {
			t.Skipf("no raw ICMP socket here: %v", err)
		} else if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("shared localhost", func(t *testing.T) {
		if got := mustExec(t, r, sidecar, "/berth", "dial", "127.0.0.1:8080", "hello"); got != "hello\n" {
			t.Errorf("dial from sidecar = %q", got)
		}
	})
	t.Run("shared volume", func(t *testing.T) {
		mustExec(t, r, server, "/berth", "write", "/data/f", "from server")
		if got := mustExec(t, r, sidecar, "/berth", "cat", "/data/f"); got != "from server" {
			t.Errorf("sidecar read %q", got)
		}
	})
	t.Run("hostname and DNS from the sandbox", func(t *testing.T) {
		if got := mustExec(t, r, sidecar, "/berth", "hostname"); got != "web-host\n" {
			t.Errorf("hostname = %q", got)
		}
		conf := mustExec(t, r, sidecar, "/berth", "cat", "/etc/resolv.conf")
		for _, want := range []string{"search default.svc.cluster.local", "ndots:5"} {
			if !strings.Contains(conf, want) {
				t.Errorf("resolv.conf lacks %q:\n%s", want, conf)
			}
		}
	})
	t.Run("limits", func(t *testing.T) {
		res, err := r.cli.ContainerInspect(ctx, server, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hc := res.Container.HostConfig; hc.NanoCPUs != 500_000_000 || hc.Memory != 64<<20 {
			t.Errorf("NanoCpus %d Memory %d", hc.NanoCPUs, hc.Memory)
		}
	})
	t.Run("volume listed and busy", func(t *testing.T) {
		vols, err := r.ListVolumes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !hasVolume(vols, vol, uid) {
			t.Errorf("ListVolumes lacks %s: %+v", vol, vols)
		}
		if err := r.RemoveVolume(ctx, vol); !errors.Is(err, runtime.ErrConflict) {
			t.Errorf("RemoveVolume in use = %v, want ErrConflict", err)
		}
	})
	t.Run("teardown", func(t *testing.T) {
		for _, id := range []string{server, sidecar} {
			if err := r.StopContainer(ctx, id, time.Second); err != nil {
				t.Fatal(err)
			}
			if err := r.RemoveContainer(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.RemoveSandbox(ctx, sb); err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error { return r.RemoveSandbox(ctx, sb) },
			func() error { return r.RemoveVolume(ctx, vol) },
			func() error { return r.RemoveVolume(ctx, vol) },
		} {
			if err := step(); err != nil {
				t.Errorf("idempotent removal: %v", err)
			}
		}
		if _, err := r.ContainerStatus(ctx, sb); !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("status of removed sandbox = %v, want ErrNotFound", err)
		}
	})
}

func hasVolume(vols []runtime.Volume, name, uid string) bool {
	for _, v := range vols {
		if v.Name == name && v.PodUID == uid {
			return true
		}
	}
	return false
}

// echo sends a line to addr and expects it back.
func echo(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintln(c, "ping"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echo answered %q", line)
	}
	return nil
}

func freePort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// ping sends one ICMP echo request over a raw socket (root only) and waits
// for the reply; the image has no ping binary and neither may the host.
func ping(ip netip.Addr) error {
	c, err := net.Dial("ip4:icmp", ip.String())
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	id := os.Getpid() & 0xffff
	req := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1, 'b', 'e', 'r', 't', 'h'}
	sum := icmpChecksum(req)
	req[2], req[3] = byte(sum>>8), byte(sum)
	if _, err := c.Write(req); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("no echo reply from %v: %w", ip, err)
		}
		msg := buf[:n]
		if n >= 20 && msg[0]>>4 == 4 {
			msg = msg[int(msg[0]&0x0f)*4:] // a raw IPv4 socket may include the header
		}
		if len(msg) >= 8 && msg[0] == 0 && int(msg[4])<<8|int(msg[5]) == id {
			return nil
		}
	}
}

func icmpChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
