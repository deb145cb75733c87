package proxy

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareBridges checks, on a fake sysfs and procfs, that only bridges
// holding an address of the cluster get route_localnet and hairpin ports.
func TestPrepareBridges(t *testing.T) {
	root := t.TempDir()
	sys, proc := filepath.Join(root, "sys"), filepath.Join(root, "proc")
	write := func(path, v string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, br := range []string{"pods", "other"} {
		if err := os.MkdirAll(filepath.Join(sys, "class/net", br, "bridge"), 0o755); err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(proc, "net/ipv4/conf", br, "route_localnet"), "0\n")
		write(filepath.Join(sys, "class/net", br, "brif/veth1/hairpin_mode"), "0\n")
		write(filepath.Join(sys, "class/net", br, "brif/veth2/hairpin_mode"), "1\n")
	}
	write(filepath.Join(proc, "net/ipv4/conf/eth0/route_localnet"), "0\n")
	x := &IPTables{SysDir: sys, ProcSysDir: proc, Interfaces: func() (map[string][]netip.Prefix, error) {
		return map[string][]netip.Prefix{
			"pods":  {netip.MustParsePrefix("10.244.0.1/16")},
			"other": {netip.MustParsePrefix("172.18.0.1/16")},
			"eth0":  {netip.MustParsePrefix("10.244.9.9/24")}, // in the range, but no bridge
		}, nil
	}}
	if err := x.PrepareBridges(testCIDR); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"proc/net/ipv4/conf/pods/route_localnet":      "1",
		"sys/class/net/pods/brif/veth1/hairpin_mode":  "1",
		"sys/class/net/pods/brif/veth2/hairpin_mode":  "1",
		"proc/net/ipv4/conf/other/route_localnet":     "0",
		"sys/class/net/other/brif/veth1/hairpin_mode": "0",
		"proc/net/ipv4/conf/eth0/route_localnet":      "0",
	}
	for path, v := range want {
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); got != v {
			t.Errorf("%s = %s, want %s", path, got, v)
		}
	}
	write(filepath.Join(proc, "net/bridge/bridge-nf-call-iptables"), "1\n")
	if !x.BridgeNetfilter() {
		t.Error("BridgeNetfilter = false with bridge-nf-call-iptables 1")
	}
}
