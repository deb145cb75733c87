package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/dnsd"
	"github.com/berth-dev/berth/raftfsm"
)

// DefaultDNSPort is the port every server answers DNS on (DESIGN.md "Defaults").
const DefaultDNSPort = dnsd.DefaultPort

// resolvConf is where the default upstream resolvers come from.
const resolvConf = "/etc/resolv.conf"

// serverDNS is a server's DNS: dnsd answering from an index that follows the local
// store (no Raft round trip, so followers answer as fast as the leader and a cluster
// that lost its quorum still resolves names).
type serverDNS struct {
	index *dnsd.Index
	ln    *dnsd.Listener
}

// validateDNS checks the DNS settings of the config.
func (c Config) validateDNS() error {
	if c.DNSPort > 65535 {
		return fmt.Errorf("server: --dns-port %d is out of range", c.DNSPort)
	}
	for _, u := range c.DNSUpstreams {
		if _, err := dnsd.NormalizeUpstream(u); err != nil {
			return fmt.Errorf("server: --dns-upstream: %w", err)
		}
	}
	return nil
}

// openDNS binds the DNS listener (UDP and TCP) unless DNS is off.
func (s *Server) openDNS() error {
	if s.cfg.DNSPort < 0 {
		return nil
	}
	addr := net.JoinHostPort(s.cfg.BindAddr, strconv.Itoa(s.cfg.DNSPort))
	upstreams := s.cfg.DNSUpstreams
	if upstreams == nil {
		var err error
		if upstreams, err = dnsd.UpstreamsFromResolvConf(resolvConf, selfAddrs(s.cfg.BindAddr, s.cfg.DNSPort)...); err != nil {
			s.log.Warn("no upstream resolvers: names outside the cluster will be refused", "err", err)
		}
	}
	cfg := dnsd.DefaultConfig()
	cfg.Upstreams = upstreams
	cfg.Logger = s.log.With("component", "dns")
	index := dnsd.NewIndex()
	srv, err := dnsd.New(cfg, index)
	if err != nil {
		return fmt.Errorf("server: dns: %w", err)
	}
	ln, err := srv.Listen(addr, dnsd.ListenOptions{})
	if err != nil {
		return fmt.Errorf("server: dns listener: %w", err)
	}
	s.dns = &serverDNS{index: index, ln: ln}
	return nil
}

// selfAddrs are the addresses this server answers DNS on, which must never be its
// own upstream (a loop). A wildcard bind answers on loopback too.
func selfAddrs(bind string, port int) []string {
	out := []string{net.JoinHostPort(bind, strconv.Itoa(port))}
	if ip, err := netip.ParseAddr(bind); err == nil && ip.IsUnspecified() {
		out = append(out, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), net.JoinHostPort("::1", strconv.Itoa(port)))
	}
	return out
}

// DNSAddr is the host:port DNS is served on; empty when DNS is off.
func (s *Server) DNSAddr() string {
	if s.dns == nil {
		return ""
	}
	return s.dns.ln.Addr()
}

// dnsLoop feeds the index from the store and serves DNS until ctx ends. Every server
// runs it, leader or not.
func (s *Server) dnsLoop(ctx context.Context) {
	if s.dns == nil {
		return
	}
	x := s.dns.index
	var wg sync.WaitGroup
	wg.Go(func() {
		s.feedDNS(ctx, "Service", func(recs []*raftfsm.Record) {
			x.ReplaceServices(objectsOf[*api.Service](recs))
		}, func(ev raftfsm.Event) {
			if svc, ok := ev.Record.Object.(*api.Service); ok {
				if ev.Type == raftfsm.Deleted {
					x.DeleteService(svc.Namespace, svc.Name)
				} else {
					x.SetService(svc)
				}
			}
		})
	})
	wg.Go(func() {
		s.feedDNS(ctx, "Endpoints", func(recs []*raftfsm.Record) {
			x.ReplaceEndpoints(objectsOf[*api.Endpoints](recs))
		}, func(ev raftfsm.Event) {
			if ep, ok := ev.Record.Object.(*api.Endpoints); ok {
				if ev.Type == raftfsm.Deleted {
					x.DeleteEndpoints(ep.Namespace, ep.Name)
				} else {
					x.SetEndpoints(ep)
				}
			}
		})
	})
	wg.Go(func() {
		s.feedDNS(ctx, "Pod", func(recs []*raftfsm.Record) {
			x.ReplacePods(objectsOf[*api.Pod](recs))
		}, func(ev raftfsm.Event) {
			if p, ok := ev.Record.Object.(*api.Pod); ok {
				if ev.Type == raftfsm.Deleted {
					x.DeletePod(p.Namespace, p.Name)
				} else {
					x.SetPod(p)
				}
			}
		})
	})
	if err := s.dns.ln.Serve(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("dns stopped", "addr", s.dns.ln.Addr(), "err", err)
	}
	wg.Wait()
}

// feedDNS lists kind from the local store, then follows its watch, listing again
// whenever the watch falls behind the window or the store is restored (ErrGone).
func (s *Server) feedDNS(ctx context.Context, kind string, replace func([]*raftfsm.Record), apply func(raftfsm.Event)) {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		return
	}
	for ctx.Err() == nil {
		recs, rv := s.fsm.List(res, "")
		replace(recs)
		w, err := s.fsm.Watch(res, "", rv)
		if err != nil {
			select { // the window moved past the list already: list again, gently
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		for {
			evs, err := w.Next(ctx)
			if err != nil {
				break
			}
			for _, ev := range evs {
				apply(ev)
			}
		}
		w.Close()
	}
}

// objectsOf keeps the records' objects of type T.
func objectsOf[T api.Object](recs []*raftfsm.Record) []T {
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		if o, ok := r.Object.(T); ok {
			out = append(out, o)
		}
	}
	return out
}
