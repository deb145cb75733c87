package dnsd

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Server answers DNS queries: the cluster domain from its Catalog, every other name
// through the upstream resolvers. It is a dns.Handler; Listen gives it sockets.
type Server struct {
	cfg    Config
	cat    Catalog
	log    *slog.Logger
	fwd    *forwarder // nil without upstreams
	domain string     // the zone, fully qualified, lower case
	nsName string     // the SOA's primary name server
	mbox   string     // the SOA's mailbox
	ttl    uint32
	serial atomic.Uint32
	rotate atomic.Uint32 // turns headless answers round
	// panics counts handler panics, which are bugs: each one is logged.
	panics atomic.Int64
}

var _ dns.Handler = (*Server)(nil)

// New builds a server over cat.
func New(cfg Config, cat Catalog) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cat == nil {
		return nil, fmt.Errorf("%w: nil catalog", ErrConfig)
	}
	s := &Server{cfg: cfg, cat: cat, log: cfg.logger(), domain: cfg.fqdnDomain(), ttl: cfg.ttl()}
	s.nsName = "ns.dns." + s.domain
	s.mbox = "hostmaster." + s.domain
	s.serial.Store(uint32(time.Now().Unix()))
	if len(cfg.Upstreams) > 0 {
		s.fwd = newForwarder(cfg)
	}
	return s, nil
}

// ServeDNS implements dns.Handler. Any query, however malformed, gets an answer or
// is dropped; nothing panics the process.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	defer func() {
		if p := recover(); p != nil {
			s.panics.Add(1)
			s.log.Error("dnsd: handler panic (a bug)", "panic", p)
			if r != nil {
				m := new(dns.Msg)
				m.SetRcode(r, dns.RcodeServerFailure)
				m.Question = nil
				_ = w.WriteMsg(m)
			}
		}
	}()
	m := s.reply(r, isTCP(w))
	if m == nil {
		return
	}
	_ = w.WriteMsg(m)
}

// isTCP tells the transport from the writer's remote address.
func isTCP(w dns.ResponseWriter) bool {
	_, ok := w.RemoteAddr().(*net.TCPAddr)
	return ok
}

// reply builds the answer to r, sized for the transport: over UDP it keeps what fits
// the client's EDNS0 buffer (512 bytes without EDNS0) and sets TC, over TCP it keeps
// everything. A nil reply means the query deserves none (it was itself a response).
func (s *Server) reply(r *dns.Msg, tcp bool) *dns.Msg {
	if r == nil || r.Response {
		return nil // answering answers is how loops and reflection start
	}
	m := new(dns.Msg)
	opt := r.IsEdns0()
	switch {
	case r.Opcode != dns.OpcodeQuery:
		m.SetRcode(r, dns.RcodeNotImplemented)
	case len(r.Question) != 1:
		m.SetRcodeFormatError(r)
	case opt != nil && opt.Version() != 0:
		m.SetRcode(r, dns.RcodeBadVers)
	default:
		s.answer(m, r)
	}
	if m.Opcode != dns.OpcodeQuery {
		m.Question = nil // only a query's question is echoed
	}
	return s.finish(m, opt, tcp)
}

// answer fills m for a well-formed query.
func (s *Server) answer(m, r *dns.Msg) {
	q := r.Question[0]
	m.SetReply(r)
	m.RecursionAvailable = s.fwd != nil
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		m.Rcode = dns.RcodeRefused
		return
	}
	switch q.Qtype {
	case dns.TypeAXFR, dns.TypeIXFR:
		m.Rcode = dns.RcodeRefused // no zone transfers
		return
	}
	lname := strings.ToLower(q.Name)
	if !strings.HasSuffix(lname, ".") {
		m.Rcode = dns.RcodeFormatError
		return
	}
	if dns.IsSubDomain(s.domain, lname) {
		s.fill(m, s.zone(q.Name, lname, q.Qtype), q.Qtype)
		return
	}
	if res, ok := s.reverse(q.Name, lname, q.Qtype); ok {
		s.fill(m, res, q.Qtype)
		return
	}
	s.forward(m, r)
}

// fill writes an authoritative result into m: the SOA goes with NXDOMAIN and NODATA
// so that resolvers cache the absence for the zone's negative TTL.
func (s *Server) fill(m *dns.Msg, res result, qtype uint16) {
	m.Authoritative = true
	m.Rcode = res.rcode
	m.Answer = res.answer
	m.Extra = res.extra
	if res.chase != "" {
		m.Answer = append(m.Answer, s.chase(res.chase, qtype)...)
	}
	if res.rcode == dns.RcodeNameError || len(m.Answer) == 0 {
		m.Ns = []dns.RR{s.soa()}
	}
}

// maxChase bounds how many in-zone CNAMEs one answer follows (ExternalName services
// may point at each other).
const maxChase = 8

// chase resolves the target of an ExternalName service for qtype: inside the zone
// from the catalog, outside through the upstreams. What cannot be resolved is left
// to the client, which has the CNAME.
func (s *Server) chase(target string, qtype uint16) []dns.RR {
	var out []dns.RR
	for range maxChase {
		if !dns.IsSubDomain(s.domain, target) {
			if s.fwd != nil {
				if up, err := s.fwd.resolve(dns.Question{Name: target, Qtype: qtype, Qclass: dns.ClassINET}, true); err == nil && up.Rcode == dns.RcodeSuccess {
					out = append(out, up.Answer...)
				}
			}
			return out
		}
		res := s.zone(target, target, qtype)
		out = append(out, res.answer...)
		if res.chase == "" {
			return out
		}
		target = res.chase
	}
	return out
}

// finish adds the OPT record a client with EDNS0 expects and truncates to its size.
func (s *Server) finish(m *dns.Msg, opt *dns.OPT, tcp bool) *dns.Msg {
	size := dns.MinMsgSize
	if opt != nil {
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), s.cfg.MaxUDPSize)
		m.SetEdns0(uint16(s.cfg.MaxUDPSize), false)
	}
	if tcp {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
	return m
}
