package dnsd

import (
	"net/netip"
	"sync"

	"github.com/berth-dev/berth/api"
)

// Index is the in-memory Catalog that feeders keep current with Services, Endpoints
// and Pods. Every change rebuilds the one service view it touches (an immutable
// *Service), so a lookup is a map read under a read lock and the answer is built
// outside it. Safe for concurrent use: any number of readers and feeders.
type Index struct {
	mu        sync.RWMutex
	services  map[key]*api.Service
	endpoints map[key]*api.Endpoints
	// pods holds the pods that ask for a DNS name (spec.hostname and spec.subdomain
	// both set): an endpoint with no hostname of its own takes its pod's.
	pods  map[key]podName
	views map[key]*Service
	// namespaces counts the services of each namespace.
	namespaces map[string]int
	ptr        map[netip.Addr][]PTRTarget
}

var _ Catalog = (*Index)(nil)

// key is a namespace/name pair.
type key struct{ ns, name string }

// podName is what a pod asks to be called: hostname.subdomain.ns.svc.<domain>.
type podName struct{ hostname, subdomain string }

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		services:   map[key]*api.Service{},
		endpoints:  map[key]*api.Endpoints{},
		pods:       map[key]podName{},
		views:      map[key]*Service{},
		namespaces: map[string]int{},
		ptr:        map[netip.Addr][]PTRTarget{},
	}
}

// Service implements Catalog.
func (x *Index) Service(ns, name string) *Service {
	x.mu.RLock()
	v := x.views[key{ns, name}]
	x.mu.RUnlock()
	return v
}

// HasNamespace implements Catalog.
func (x *Index) HasNamespace(ns string) bool {
	x.mu.RLock()
	n := x.namespaces[ns]
	x.mu.RUnlock()
	return n > 0
}

// PTR implements Catalog.
func (x *Index) PTR(ip netip.Addr) []PTRTarget {
	x.mu.RLock()
	t := x.ptr[ip.Unmap()]
	x.mu.RUnlock()
	return t
}

// Len is the number of services indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.views)
}

// SetService adds or replaces a service. A nil service is ignored.
func (x *Index) SetService(svc *api.Service) {
	if svc == nil || svc.Name == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setServiceLocked(svc)
}

func (x *Index) setServiceLocked(svc *api.Service) {
	k := key{svc.Namespace, svc.Name}
	if _, ok := x.services[k]; !ok {
		x.namespaces[k.ns]++
	}
	x.services[k] = svc
	x.rebuildLocked(k)
}

// DeleteService removes the service ns/name.
func (x *Index) DeleteService(ns, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteServiceLocked(key{ns, name})
}

func (x *Index) deleteServiceLocked(k key) {
	if _, ok := x.services[k]; !ok {
		return
	}
	delete(x.services, k)
	if x.namespaces[k.ns]--; x.namespaces[k.ns] <= 0 {
		delete(x.namespaces, k.ns)
	}
	x.rebuildLocked(k)
}

// SetEndpoints adds or replaces the endpoints of a service. A nil one is ignored.
func (x *Index) SetEndpoints(ep *api.Endpoints) {
	if ep == nil || ep.Name == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	k := key{ep.Namespace, ep.Name}
	x.endpoints[k] = ep
	x.rebuildLocked(k)
}

// DeleteEndpoints removes the endpoints ns/name.
func (x *Index) DeleteEndpoints(ns, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := key{ns, name}
	if _, ok := x.endpoints[k]; ok {
		delete(x.endpoints, k)
		x.rebuildLocked(k)
	}
}

// SetPod records a pod's hostname and subdomain (the rest of it does not matter to
// DNS). A nil pod is ignored.
func (x *Index) SetPod(pod *api.Pod) {
	if pod == nil || pod.Name == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setPodLocked(pod)
}

func (x *Index) setPodLocked(pod *api.Pod) {
	k := key{pod.Namespace, pod.Name}
	now := podName{pod.Spec.Hostname, pod.Spec.Subdomain}
	if now.hostname == "" || now.subdomain == "" {
		x.deletePodLocked(k)
		return
	}
	old, had := x.pods[k]
	if had && old == now {
		return
	}
	x.pods[k] = now
	if had && old.subdomain != now.subdomain {
		x.rebuildLocked(key{k.ns, old.subdomain})
	}
	x.rebuildLocked(key{k.ns, now.subdomain})
}

// DeletePod forgets a pod.
func (x *Index) DeletePod(ns, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deletePodLocked(key{ns, name})
}

func (x *Index) deletePodLocked(k key) {
	old, ok := x.pods[k]
	if !ok {
		return
	}
	delete(x.pods, k)
	x.rebuildLocked(key{k.ns, old.subdomain})
}

// ReplaceServices makes the services exactly svcs (a feeder's re-list).
func (x *Index) ReplaceServices(svcs []*api.Service) {
	x.mu.Lock()
	defer x.mu.Unlock()
	keep := make(map[key]bool, len(svcs))
	for _, s := range svcs {
		if s != nil && s.Name != "" {
			keep[key{s.Namespace, s.Name}] = true
			x.setServiceLocked(s)
		}
	}
	for k := range x.services {
		if !keep[k] {
			x.deleteServiceLocked(k)
		}
	}
}

// ReplaceEndpoints makes the endpoints exactly eps (a feeder's re-list).
func (x *Index) ReplaceEndpoints(eps []*api.Endpoints) {
	x.mu.Lock()
	defer x.mu.Unlock()
	keep := make(map[key]bool, len(eps))
	for _, e := range eps {
		if e != nil && e.Name != "" {
			k := key{e.Namespace, e.Name}
			keep[k] = true
			x.endpoints[k] = e
			x.rebuildLocked(k)
		}
	}
	for k := range x.endpoints {
		if !keep[k] {
			delete(x.endpoints, k)
			x.rebuildLocked(k)
		}
	}
}

// ReplacePods makes the pods exactly pods (a feeder's re-list).
func (x *Index) ReplacePods(pods []*api.Pod) {
	x.mu.Lock()
	defer x.mu.Unlock()
	keep := make(map[key]bool, len(pods))
	for _, p := range pods {
		if p != nil && p.Name != "" {
			keep[key{p.Namespace, p.Name}] = true
			x.setPodLocked(p)
		}
	}
	for k := range x.pods {
		if !keep[k] {
			x.deletePodLocked(k)
		}
	}
}

// rebuildLocked replaces the view of service k (and its reverse entries) after any
// of its inputs changed.
func (x *Index) rebuildLocked(k key) {
	old := x.views[k]
	var now *Service
	if svc := x.services[k]; svc != nil {
		now = buildService(svc, x.endpoints[k], x.podHostname)
		x.views[k] = now
	} else {
		delete(x.views, k)
	}
	x.unlinkPTRLocked(k, old)
	x.linkPTRLocked(now)
}

// podHostname is the hostname a pod of ns asks for under subdomain, if any.
func (x *Index) podHostname(ns, pod, subdomain string) string {
	if p, ok := x.pods[key{ns, pod}]; ok && p.subdomain == subdomain {
		return p.hostname
	}
	return ""
}

func (x *Index) unlinkPTRLocked(k key, v *Service) {
	if v == nil {
		return
	}
	drop := func(ip netip.Addr) {
		ts := x.ptr[ip]
		out := ts[:0:0]
		for _, t := range ts {
			if t.Namespace != k.ns || t.Name != k.name {
				out = append(out, t)
			}
		}
		if len(out) == 0 {
			delete(x.ptr, ip)
		} else {
			x.ptr[ip] = out
		}
	}
	for _, ip := range v.ClusterIPs {
		drop(ip)
	}
	for _, e := range v.Endpoints {
		drop(e.IP)
	}
}

func (x *Index) linkPTRLocked(v *Service) {
	if v == nil {
		return
	}
	add := func(ip netip.Addr, t PTRTarget) {
		// Copy on write: a reader may hold the old slice.
		ts := x.ptr[ip]
		for _, have := range ts {
			if have == t {
				return
			}
		}
		x.ptr[ip] = append(ts[:len(ts):len(ts)], t)
	}
	for _, ip := range v.ClusterIPs {
		add(ip, PTRTarget{Namespace: v.Namespace, Name: v.Name})
	}
	for _, e := range v.Endpoints {
		add(e.IP, PTRTarget{Namespace: v.Namespace, Name: v.Name, Label: e.Label})
	}
}
