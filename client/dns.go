package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
	"github.com/berth-dev/berth/dnsd"
)

// The node-local DNS (--dns): a copy of the cluster DNS fed by a watch of the API,
// so that a pod's lookup never leaves its node. Pods reach it on the pod network's
// gateway address, port 53 (a resolv.conf names no port, and the servers' DNS on
// loopback or port 6453 is out of a pod's reach); the host may use it at
// BindAddr:DNSPort.

// hostResolvConf is the node's own resolver configuration: the default upstreams of
// the node-local DNS and the base of dnsPolicy Default.
const hostResolvConf = "/etc/resolv.conf"

// podDNSPort is the only port a pod's resolver can use.
const podDNSPort = 53

// agentDNS is the agent's DNS state.
type agentDNS struct {
	node       atomic.Pointer[nodeDNS] // nil without --dns
	hostOnce   sync.Once
	hostResolv resolvConfig // the node's resolv.conf, read once
}

// nodeDNS is the running node-local DNS.
type nodeDNS struct {
	srv   *dnsd.Server
	index *dnsd.Index
	host  *dnsd.Listener // at BindAddr:DNSPort; nil with a negative DNSPort
	ctx   context.Context
	wg    sync.WaitGroup

	mu     sync.Mutex
	pod    *dnsd.Listener // on the pod network's gateway, opened once the network exists
	warned bool           // the pod listener's failure was logged
}

// startDNS starts the node-local DNS when configured; stop ends it.
func (a *Agent) startDNS(ctx context.Context) (stop func(), err error) {
	if !a.cfg.DNS {
		return func() {}, nil
	}
	cfg := dnsd.DefaultConfig()
	cfg.Domain = a.cfg.clusterDomain()
	cfg.Logger = a.log.With("component", "dns")
	cfg.Upstreams = a.cfg.DNSUpstreams
	hostAddr := net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(max(a.cfg.DNSPort, 0)))
	if cfg.Upstreams == nil {
		if cfg.Upstreams, err = dnsd.UpstreamsFromResolvConf(hostResolvConf, hostAddr); err != nil {
			a.log.Warn("node-local DNS has no upstream resolvers: names outside the cluster will be refused", "err", err)
		}
	}
	index := dnsd.NewIndex()
	srv, err := dnsd.New(cfg, index)
	if err != nil {
		return nil, fmt.Errorf("client: dns: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &nodeDNS{srv: srv, index: index, ctx: ctx}
	if a.cfg.DNSPort >= 0 {
		if d.host, err = srv.Listen(hostAddr, dnsd.ListenOptions{ReusePort: true}); err != nil {
			cancel()
			return nil, fmt.Errorf("client: --dns-port: %w", err)
		}
		d.serve(d.host, a)
		a.log.Info("node-local DNS listening", "addr", d.host.Addr())
	}
	d.wg.Go(func() { a.followDNS(ctx, "Service", index) })
	d.wg.Go(func() { a.followDNS(ctx, "Endpoints", index) })
	a.dns.node.Store(d)
	// Pods adopted after a restart make no new sandbox, yet their resolv.conf names
	// the gateway: answer there as soon as the pod network exists.
	d.wg.Go(func() {
		for ctx.Err() == nil && len(a.clusterDNS()) == 0 {
			sleepCtx(ctx, time.Second)
		}
	})
	return func() {
		cancel()
		d.wg.Wait()
	}, nil
}

func (d *nodeDNS) serve(l *dnsd.Listener, a *Agent) {
	d.wg.Go(func() {
		if err := l.Serve(d.ctx); err != nil && d.ctx.Err() == nil {
			a.log.Error("node-local DNS stopped", "addr", l.Addr(), "err", err)
		}
	})
}

// DNSAddr is where the node-local DNS answers the host; empty when it does not.
func (a *Agent) DNSAddr() string {
	if d := a.dns.node.Load(); d != nil && d.host != nil {
		return d.host.Addr()
	}
	return ""
}

// clusterDNS is the nameserver ClusterFirst pods get: the node-local DNS on the pod
// network's gateway (opened on first use), else --cluster-dns. Nil means the node
// has none for its pods.
func (a *Agent) clusterDNS() []string {
	d := a.dns.node.Load()
	if d == nil {
		return a.cfg.ClusterDNS
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pod == nil {
		if d.ctx.Err() != nil {
			return nil // stopping
		}
		gw, err := podGateway(a.podCIDR())
		if err != nil {
			return nil // no pod network yet: the next sandbox tries again
		}
		d.pod, err = d.srv.Listen(net.JoinHostPort(gw.String(), strconv.Itoa(podDNSPort)), dnsd.ListenOptions{ReusePort: true})
		if err != nil {
			if !d.warned {
				d.warned = true
				a.log.Warn("node-local DNS cannot answer pods (it needs the pod network's gateway, port 53, as root)", "err", err)
			}
			return nil
		}
		d.serve(d.pod, a)
		a.log.Info("node-local DNS answering pods", "addr", d.pod.Addr())
	}
	host, _, _ := net.SplitHostPort(d.pod.Addr())
	return []string{host}
}

// podGateway is this machine's address on the pod network: the address of the
// interface (the engine's bridge) whose network holds the node's pod CIDR; the most
// specific one wins over, say, a /8 of the machine's LAN.
func podGateway(podCIDR netip.Prefix) (netip.Addr, error) {
	if !podCIDR.IsValid() {
		return netip.Addr{}, errors.New("client: the node has no pod CIDR yet")
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("client: interface addresses: %w", err)
	}
	var best netip.Prefix
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ones, _ := ipn.Mask.Size()
		p := netip.PrefixFrom(ip.Unmap(), ones)
		if p.Masked().Contains(podCIDR.Addr()) && p.Bits() > best.Bits() {
			best = p
		}
	}
	if !best.IsValid() {
		return netip.Addr{}, fmt.Errorf("client: no interface of this machine is on the pod network %v", podCIDR)
	}
	return best.Addr(), nil
}

// podDNSSettings is what podDNS needs from the agent.
func (a *Agent) podDNSSettings() podDNSSettings {
	a.dns.hostOnce.Do(func() { a.dns.hostResolv = readResolvConf(hostResolvConf) })
	return podDNSSettings{clusterDNS: a.clusterDNS(), domain: a.cfg.clusterDomain(), host: a.dns.hostResolv}
}

// followDNS keeps one kind (Service or Endpoints) of the index current: a list, then
// a watch from its resourceVersion, again after a 410 or a broken stream.
func (a *Agent) followDNS(ctx context.Context, kind string, x *dnsd.Index) {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		return
	}
	in := informer.Informer{
		Source: a.apis, Resource: res,
		Replace: func(objs []api.Object) {
			switch kind {
			case "Service":
				x.ReplaceServices(typed[*api.Service](objs))
			case "Endpoints":
				x.ReplaceEndpoints(typed[*api.Endpoints](objs))
			}
		},
		Event: func(typ string, o api.Object) {
			deleted := typ == api.WatchDeleted
			switch o := o.(type) {
			case *api.Service:
				if deleted {
					x.DeleteService(o.Namespace, o.Name)
				} else {
					x.SetService(o)
				}
			case *api.Endpoints:
				if deleted {
					x.DeleteEndpoints(o.Namespace, o.Name)
				} else {
					x.SetEndpoints(o)
				}
			}
		},
		Log:        a.log.With("kind", kind),
		ListFailed: "node-local DNS: list failed; retrying",
		WatchBroke: "node-local DNS: watch broke; resuming",
		Backoff:    informer.Backoff{List: time.Second, Watch: 500 * time.Millisecond},
	}
	in.Run(ctx, "")
}

// typed keeps the objects of type T.
func typed[T api.Object](objs []api.Object) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
