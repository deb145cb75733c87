package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Executor is what the proxy changes on the host. The real one (IPTables)
// runs the iptables tools and writes sysfs; tests record calls instead.
type Executor interface {
	// Save returns the output of iptables-save, every table.
	Save(ctx context.Context) ([]byte, error)
	// Restore applies an iptables-restore payload without flushing the chains
	// it does not name, in one transaction.
	Restore(ctx context.Context, payload []byte) error
	// PrepareBridges turns on hairpin mode on every port, and route_localnet,
	// of the bridges holding an address of prefix (the pod networks).
	PrepareBridges(prefix netip.Prefix) error
}

// IPTables is the real Executor.
type IPTables struct {
	// Binary is the iptables command; Save and Restore run Binary-save and
	// Binary-restore. Empty means "iptables", the alternative Docker uses.
	Binary string
	// SysDir and ProcSysDir are where sysfs and /proc/sys are; empty means
	// the real ones (tests point them at a temporary tree).
	SysDir, ProcSysDir string
	// Interfaces lists the host's interfaces with their addresses; nil means
	// the real ones (net.Interfaces).
	Interfaces func() (map[string][]netip.Prefix, error)
}

var _ Executor = (*IPTables)(nil)

func (x *IPTables) binary() string {
	if x.Binary == "" {
		return "iptables"
	}
	return x.Binary
}

// Save implements Executor.
func (x *IPTables) Save(ctx context.Context) ([]byte, error) {
	return x.run(ctx, x.binary()+"-save", nil)
}

// Restore implements Executor.
func (x *IPTables) Restore(ctx context.Context, payload []byte) error {
	_, err := x.run(ctx, x.binary()+"-restore", payload, "-w", "5", "--noflush")
	return err
}

// run execs name with args and stdin, returning stdout; a failure carries
// stderr (without iptables' legacy-tables warnings).
func (x *IPTables) run(ctx context.Context, name string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w: %s", ErrIPTables, name, err, cleanStderr(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func cleanStderr(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "# Warning:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}

// PrepareBridges implements Executor.
func (x *IPTables) PrepareBridges(prefix netip.Prefix) error {
	if !prefix.IsValid() {
		return nil
	}
	list := x.Interfaces
	if list == nil {
		list = hostInterfaces
	}
	ifs, err := list()
	if err != nil {
		return fmt.Errorf("%w: list interfaces: %w", ErrHost, err)
	}
	sys, procSys := x.dirs()
	var errs []error
	for name, addrs := range ifs {
		if !inPrefix(addrs, prefix) {
			continue
		}
		if _, err := os.Stat(filepath.Join(sys, "class/net", name, "bridge")); err != nil {
			continue // not a bridge
		}
		errs = append(errs, ensureOne(filepath.Join(procSys, "net/ipv4/conf", name, "route_localnet")))
		ports, _ := filepath.Glob(filepath.Join(sys, "class/net", name, "brif", "*", "hairpin_mode"))
		for _, p := range ports {
			errs = append(errs, ensureOne(p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrHost, err)
	}
	return nil
}

// BridgeNetfilter reports whether bridged frames pass iptables
// (net.bridge.bridge-nf-call-iptables); service traffic between two pods of
// one bridge needs it to be un-NATed on the way back.
func (x *IPTables) BridgeNetfilter() bool {
	_, procSys := x.dirs()
	b, err := os.ReadFile(filepath.Join(procSys, "net/bridge/bridge-nf-call-iptables"))
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

func (x *IPTables) dirs() (sys, procSys string) {
	sys, procSys = x.SysDir, x.ProcSysDir
	if sys == "" {
		sys = "/sys"
	}
	if procSys == "" {
		procSys = "/proc/sys"
	}
	return sys, procSys
}

// ensureOne writes "1" into a sysfs or procfs switch unless it already holds it.
func ensureOne(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // the port went away meanwhile
		}
		return err
	}
	if strings.TrimSpace(string(b)) == "1" {
		return nil
	}
	return os.WriteFile(path, []byte("1"), 0o644)
}

func inPrefix(addrs []netip.Prefix, p netip.Prefix) bool {
	for _, a := range addrs {
		if p.Contains(a.Addr()) {
			return true
		}
	}
	return false
}

// hostInterfaces lists the host's interfaces and their addresses.
func hostInterfaces() (map[string][]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]netip.Prefix, len(ifs))
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				out[ifc.Name] = append(out[ifc.Name], p)
			}
		}
	}
	return out, nil
}
