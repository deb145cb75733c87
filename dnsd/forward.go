package dnsd

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// upstreamUDPSize is the EDNS0 buffer the forwarder asks upstreams for: the DNS flag
// day value, which avoids fragmentation on any path and still holds most answers
// (larger ones come again over TCP).
const upstreamUDPSize = 1232

// forwarder sends names outside the cluster to the upstream resolvers, trying each in
// turn, and keeps their answers in a small cache. Safe for concurrent use.
type forwarder struct {
	upstreams []string
	udp, tcp  *dns.Client
	cache     *cache
	maxTTL    time.Duration
	next      atomic.Uint32 // which upstream goes first: spreads load, skips a dead one
}

func newForwarder(cfg Config) *forwarder {
	f := &forwarder{
		udp:    &dns.Client{Net: "udp", Timeout: cfg.UpstreamTimeout, UDPSize: upstreamUDPSize},
		tcp:    &dns.Client{Net: "tcp", Timeout: cfg.UpstreamTimeout},
		maxTTL: cfg.MaxCacheTTL,
	}
	for _, u := range cfg.Upstreams {
		n, _ := NormalizeUpstream(u) // checked by Validate
		f.upstreams = append(f.upstreams, n)
	}
	if cfg.CacheSize > 0 {
		f.cache = newCache(cfg.CacheSize)
	}
	return f
}

// forward answers r from the upstreams into m; failure is SERVFAIL.
func (s *Server) forward(m, r *dns.Msg) {
	if s.fwd == nil {
		m.Rcode = dns.RcodeRefused // not our zone, and no one to ask
		return
	}
	q := r.Question[0]
	up, err := s.fwd.resolve(q, r.RecursionDesired)
	if err != nil {
		s.log.Debug("dnsd: forward failed", "name", q.Name, "type", dns.TypeToString[q.Qtype], "err", err)
		m.Rcode = dns.RcodeServerFailure
		return
	}
	m.Rcode = up.Rcode
	m.Answer, m.Ns = up.Answer, up.Ns
	for _, rr := range up.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			m.Extra = append(m.Extra, rr)
		}
	}
	// Answer with the client's spelling of the name (0x20 case randomization).
	for _, rr := range m.Answer {
		if h := rr.Header(); strings.EqualFold(h.Name, q.Name) {
			h.Name = q.Name
		}
	}
}

// resolve returns the upstream answer to q: a private copy, its TTLs aged when it
// comes from the cache.
func (f *forwarder) resolve(q dns.Question, rd bool) (*dns.Msg, error) {
	k := cacheKey(q, rd)
	if f.cache != nil {
		if m, ok := f.cache.get(k, time.Now()); ok {
			return m, nil
		}
	}
	req := new(dns.Msg)
	req.SetQuestion(dns.CanonicalName(q.Name), q.Qtype)
	req.Question[0].Qclass = q.Qclass
	req.RecursionDesired = rd
	req.SetEdns0(upstreamUDPSize, false)

	var lastErr error
	start := f.next.Load()
	for i := range len(f.upstreams) {
		idx := (int(start) + i) % len(f.upstreams)
		up, err := f.exchange(req, f.upstreams[idx])
		if err == nil && (up.Rcode == dns.RcodeServerFailure || up.Rcode == dns.RcodeRefused) {
			err = fmt.Errorf("%s answered %s", f.upstreams[idx], dns.RcodeToString[up.Rcode])
		}
		if err != nil {
			lastErr = err
			// The next query starts at the next upstream, so a dead one costs one
			// timeout, not one per query.
			f.next.CompareAndSwap(start, uint32(idx+1))
			continue
		}
		if f.cache != nil {
			if ttl := cacheTTL(up, f.maxTTL); ttl > 0 {
				f.cache.put(k, up, ttl, time.Now())
			}
		}
		return up.Copy(), nil
	}
	return nil, fmt.Errorf("%w: %s %s: %w", ErrUpstream, q.Name, dns.TypeToString[q.Qtype], lastErr)
}

// exchange asks one upstream over UDP, and again over TCP when the answer was
// truncated (the Go client does not retry on TC by itself).
func (f *forwarder) exchange(req *dns.Msg, upstream string) (*dns.Msg, error) {
	up, _, err := f.udp.Exchange(req, upstream)
	if err == nil && up.Truncated {
		up, _, err = f.tcp.Exchange(req, upstream)
	}
	if err != nil {
		return nil, err
	}
	if up.Id != req.Id || len(up.Question) != 1 || !strings.EqualFold(up.Question[0].Name, req.Question[0].Name) {
		return nil, fmt.Errorf("%s: answer does not match the question", upstream)
	}
	return up, nil
}

// cacheTTL is how long an upstream answer may be kept: the smallest TTL in it (for a
// negative answer, the SOA's negative TTL, RFC 2308), capped at maxTTL; 0 means do
// not cache (errors, truncated answers, answers with a zero TTL).
func cacheTTL(m *dns.Msg, maxTTL time.Duration) time.Duration {
	if m.Truncated || (m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError) {
		return 0
	}
	ttl := uint32(maxTTL / time.Second)
	found := false
	for _, rr := range m.Answer {
		ttl, found = min(ttl, rr.Header().Ttl), true
	}
	if !found {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl, found = min(ttl, soa.Hdr.Ttl, soa.Minttl), true
			}
		}
	}
	if !found {
		return 0 // a negative answer with no SOA says nothing about how long it holds
	}
	return time.Duration(ttl) * time.Second
}
