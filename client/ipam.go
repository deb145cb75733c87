package client

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
)

// ErrNoFreeIP: every usable address of the node's pod CIDR is taken.
var ErrNoFreeIP = errors.New("client: no free pod IP")

// ipam hands out pod IPs from the node's CIDR, one per pod UID. Each
// allocation is a file DataDir/ipam/<ip> holding the pod UID (as CNI's
// host-local plugin does), written before the sandbox is created, so a
// restarted agent never gives a live pod's address to another pod even if it
// crashed between allocation and creation. With no dir (hollow nodes, whose
// fake containers die with the process) it keeps allocations in memory only.
// Safe for concurrent use.
type ipam struct {
	dir    string
	prefix netip.Prefix

	mu    sync.Mutex
	byIP  map[netip.Addr]string // ip → pod UID
	byUID map[string]netip.Addr
	last  netip.Addr // allocations continue after it, so a freed IP is reused late
}

// newIPAM loads the allocations in dir that fall inside prefix; an empty dir
// keeps them in memory.
func newIPAM(dir string, prefix netip.Prefix) (*ipam, error) {
	m := &ipam{dir: dir, prefix: prefix, byIP: map[netip.Addr]string{}, byUID: map[string]netip.Addr{}}
	if dir == "" {
		return m, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("client: ipam dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("client: ipam dir: %w", err)
	}
	for _, e := range entries {
		ip, err := netip.ParseAddr(e.Name())
		if err != nil || !prefix.Contains(ip) {
			continue
		}
		uid, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || len(uid) == 0 {
			continue
		}
		m.byIP[ip], m.byUID[string(uid)] = string(uid), ip
		m.last = ip
	}
	return m, nil
}

// usable reports whether ip may be given to a pod: not the network address,
// the gateway (the first host, which the bridge takes) or the broadcast.
func (m *ipam) usable(ip netip.Addr) bool {
	first := m.prefix.Masked().Addr()
	if ip == first || ip == first.Next() || !m.prefix.Contains(ip.Next()) {
		return false
	}
	return m.prefix.Contains(ip)
}

// reserve records ip for uid as found on a running sandbox (adoption).
func (m *ipam) reserve(uid string, ip netip.Addr) {
	if !m.prefix.Contains(ip) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.byUID[uid]; ok && old != ip {
		m.releaseLocked(uid)
	}
	m.byIP[ip], m.byUID[uid] = uid, ip
	_ = m.record(ip, uid)
}

// record writes ip's allocation file (none without a dir).
func (m *ipam) record(ip netip.Addr, uid string) error {
	if m.dir == "" {
		return nil
	}
	return os.WriteFile(filepath.Join(m.dir, ip.String()), []byte(uid), 0o644)
}

// reserveFree records ip for uid if no pod holds it (a restarted hollow node
// keeps the address a pod's status shows); it reports whether it did.
func (m *ipam) reserveFree(uid string, ip netip.Addr) bool {
	if !m.usable(ip) {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.byIP[ip]; taken {
		return false
	}
	if _, has := m.byUID[uid]; has {
		return false
	}
	if err := m.record(ip, uid); err != nil {
		return false
	}
	m.byIP[ip], m.byUID[uid] = uid, ip
	return true
}

// allocate returns uid's address, allocating a free one if it has none.
func (m *ipam) allocate(uid string) (netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ip, ok := m.byUID[uid]; ok {
		return ip, nil
	}
	start := m.last
	if !start.IsValid() || !m.prefix.Contains(start) {
		start = m.prefix.Masked().Addr()
	}
	ip := start
	for range 1 << (32 - m.prefix.Bits()) {
		ip = ip.Next()
		if !m.prefix.Contains(ip) {
			ip = m.prefix.Masked().Addr()
			continue
		}
		if _, taken := m.byIP[ip]; taken || !m.usable(ip) {
			continue
		}
		if err := m.record(ip, uid); err != nil {
			return netip.Addr{}, fmt.Errorf("client: record pod IP: %w", err)
		}
		m.byIP[ip], m.byUID[uid], m.last = uid, ip, ip
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("%w in %s", ErrNoFreeIP, m.prefix)
}

// release frees uid's address, if any.
func (m *ipam) release(uid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.releaseLocked(uid)
}

func (m *ipam) releaseLocked(uid string) {
	ip, ok := m.byUID[uid]
	if !ok {
		return
	}
	delete(m.byUID, uid)
	delete(m.byIP, ip)
	if m.dir != "" {
		_ = os.Remove(filepath.Join(m.dir, ip.String()))
	}
}

// retain releases every allocation whose pod is not in keep.
func (m *ipam) retain(keep map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for uid := range m.byUID {
		if !keep[uid] {
			m.releaseLocked(uid)
		}
	}
}

// lookup returns uid's address.
func (m *ipam) lookup(uid string) (netip.Addr, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ip, ok := m.byUID[uid]
	return ip, ok
}
