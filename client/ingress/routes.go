package ingress

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/berth-dev/berth/api"
)

// snapshot is the cluster state one table is built from, keyed "namespace/name".
// Its objects are shared with the cache and never modified.
type snapshot struct {
	ingresses []*api.Ingress
	services  map[string]*api.Service
	endpoints map[string]*api.Endpoints
	secrets   map[string]*api.Secret
}

// table is one immutable routing table. Requests read it without locks; a change
// in the cluster builds a new one.
type table struct {
	exact    map[string]*hostRoutes // by host
	wildcard map[string]*hostRoutes // "*.example.com" by "example.com"
	anyHost  *hostRoutes            // the rules without a host; nil if none
	// fallback is the oldest Ingress's defaultBackend: it takes what no host's
	// routes take. Nil: 404.
	fallback *backend
	certs    *certs
	// counters are the backends' round-robin positions by backend key, carried
	// from one table to the next so a rebuild does not restart every rotation.
	counters map[string]*atomic.Uint64
}

// hostRoutes are the paths of one host, merged from every Ingress that names it.
type hostRoutes struct {
	exact    map[string]*backend
	prefixes []prefixRoute // longest first
	// fallback is the defaultBackend of the oldest Ingress with rules for this
	// host; nil defers to the table's.
	fallback *backend
}

// prefixRoute is a Prefix path without its trailing '/' ("" for "/").
type prefixRoute struct {
	prefix  string
	backend *backend
}

// backend is a Service port and its ready endpoints, resolved when the table was
// built.
type backend struct {
	namespace, service string
	port               api.ServiceBackendPort
	addrs              []string // "ip:port"
	next               *atomic.Uint64
}

func (b *backend) key() string {
	if b.port.Name != "" {
		return b.namespace + "/" + b.service + ":" + b.port.Name
	}
	return fmt.Sprintf("%s/%s:%d", b.namespace, b.service, b.port.Number)
}

func (b *backend) String() string { return b.key() }

// lookup finds the backend of a request: the most specific host's routes, else
// the routes without a host; in those the path; else the fallbacks. Nil: no rule.
func (t *table) lookup(hostport, path string) *backend {
	host := normalizeHost(hostport)
	hr := t.exact[host]
	if hr == nil {
		if i := strings.IndexByte(host, '.'); i > 0 {
			hr = t.wildcard[host[i+1:]]
		}
	}
	if hr == nil {
		hr = t.anyHost
	}
	if hr != nil {
		if b := hr.match(path); b != nil {
			return b
		}
		if hr.fallback != nil {
			return hr.fallback
		}
	}
	return t.fallback
}

// match applies Kubernetes' path precedence: an Exact path equal to the request's
// is the longest possible match and wins ties; then the longest Prefix that
// matches whole path elements.
func (hr *hostRoutes) match(path string) *backend {
	if b := hr.exact[path]; b != nil {
		return b
	}
	for _, p := range hr.prefixes {
		if prefixMatches(p.prefix, path) {
			return p.backend
		}
	}
	return nil
}

// prefixMatches says whether prefix (no trailing '/') matches path element-wise:
// "/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar".
func prefixMatches(prefix, path string) bool {
	if prefix == "" {
		return true
	}
	return strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/')
}

// normalizeHost drops the port, a trailing dot and case from a Host header.
func normalizeHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// builder makes tables. It keeps what outlives one table (round-robin counters,
// parsed certificates); one goroutine uses it.
type builder struct {
	prev  *table
	certs *certCache
}

func newBuilder(cc *certCache) *builder {
	return &builder{certs: cc}
}

// build merges every Ingress into one table, oldest first, so the oldest claim
// of a host and path (or of the default backend) wins.
func (bl *builder) build(s *snapshot) *table {
	t := &table{
		exact:    map[string]*hostRoutes{},
		wildcard: map[string]*hostRoutes{},
		counters: map[string]*atomic.Uint64{},
	}
	ings := append([]*api.Ingress(nil), s.ingresses...)
	sort.SliceStable(ings, func(i, j int) bool { return olderIngress(ings[i], ings[j]) })
	for _, ing := range ings {
		bl.addIngress(t, s, ing)
	}
	for _, hr := range t.allRoutes() {
		sort.SliceStable(hr.prefixes, func(i, j int) bool { return len(hr.prefixes[i].prefix) > len(hr.prefixes[j].prefix) })
	}
	t.certs = bl.certs.build(s, ings)
	bl.prev = t
	return t
}

func (t *table) allRoutes() []*hostRoutes {
	out := make([]*hostRoutes, 0, len(t.exact)+len(t.wildcard)+1)
	for _, hr := range t.exact {
		out = append(out, hr)
	}
	for _, hr := range t.wildcard {
		out = append(out, hr)
	}
	if t.anyHost != nil {
		out = append(out, t.anyHost)
	}
	return out
}

// olderIngress orders by creation time, then namespace and name, so the order is
// total and the same on every client.
func olderIngress(a, b *api.Ingress) bool {
	ta, tb := creation(a), creation(b)
	if ta != tb {
		return ta < tb
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// creation is the creation time in nanoseconds; an object without one (not yet
// stamped) sorts first.
func creation(ing *api.Ingress) int64 {
	if ing.CreationTimestamp == nil {
		return 0
	}
	return ing.CreationTimestamp.UnixNano()
}

func (bl *builder) addIngress(t *table, s *snapshot, ing *api.Ingress) {
	var def *backend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		def = bl.backend(t, s, ing.Namespace, b.Service)
		if t.fallback == nil {
			t.fallback = def
		}
	}
	for _, r := range ing.Spec.Rules {
		hr := t.routesFor(r.Host)
		if hr.fallback == nil {
			hr.fallback = def
		}
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service == nil || p.PathType == nil {
				continue // a resource backend, or not validated: nothing to route to
			}
			b := bl.backend(t, s, ing.Namespace, p.Backend.Service)
			if *p.PathType == api.PathTypeExact {
				if _, taken := hr.exact[p.Path]; !taken {
					hr.exact[p.Path] = b
				}
				continue
			}
			prefix := strings.TrimSuffix(p.Path, "/")
			if !hr.hasPrefix(prefix) {
				hr.prefixes = append(hr.prefixes, prefixRoute{prefix: prefix, backend: b})
			}
		}
	}
}

// routesFor returns the routes of a rule's host, making them on first use.
func (t *table) routesFor(host string) *hostRoutes {
	m, key := t.exact, host
	switch {
	case host == "":
		if t.anyHost == nil {
			t.anyHost = &hostRoutes{exact: map[string]*backend{}}
		}
		return t.anyHost
	case strings.HasPrefix(host, "*."):
		m, key = t.wildcard, host[2:]
	}
	hr := m[key]
	if hr == nil {
		hr = &hostRoutes{exact: map[string]*backend{}}
		m[key] = hr
	}
	return hr
}

func (hr *hostRoutes) hasPrefix(prefix string) bool {
	for _, p := range hr.prefixes {
		if p.prefix == prefix {
			return true
		}
	}
	return false
}

// backend resolves a Service port to endpoints, with the counter of the same
// backend in the previous table.
func (bl *builder) backend(t *table, s *snapshot, ns string, sb *api.IngressServiceBackend) *backend {
	b := &backend{namespace: ns, service: sb.Name, port: sb.Port, addrs: resolve(s, ns, sb)}
	key := b.key()
	if c := t.counters[key]; c != nil {
		b.next = c
		return b
	}
	if bl.prev != nil {
		b.next = bl.prev.counters[key]
	}
	if b.next == nil {
		b.next = new(atomic.Uint64)
	}
	t.counters[key] = b.next
	return b
}
