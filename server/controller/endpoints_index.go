package controller

import (
	"maps"
	"sync"

	"github.com/berth-dev/berth/api"
)

// serviceIndex is the endpoints controller's view of Services and pods, kept from
// the informer's events so that a pod event costs a look at the Services of the
// pod's namespace only, and a Service's sync reads its own pods only (never every
// pod of the namespace: a namespace may hold 30,000). It is a cache: the sync reads
// the Service itself from the store, and any drift is corrected by the next event.
// All methods are safe for concurrent use (the informer runs one goroutine per kind).
type serviceIndex struct {
	mu sync.Mutex
	// pods by namespace, then name: the last version seen. Shared with the store,
	// never changed.
	pods map[string]map[string]*api.Pod
	// services by namespace, then name: those with a selector.
	services map[string]map[string]*selected
	// anchors finds the Services a pod may match without trying them all: by
	// namespace, then one "key=value" pair of each selector (its smallest key), the
	// names of the Services with that pair. A pod's candidates are the Services
	// anchored at one of its labels.
	anchors map[string]map[string]map[string]bool
}

// selected is a Service with a selector and the names of the pods it matches.
type selected struct {
	selector map[string]string
	anchor   string
	members  map[string]bool
}

func newServiceIndex() *serviceIndex {
	return &serviceIndex{pods: map[string]map[string]*api.Pod{}, services: map[string]map[string]*selected{},
		anchors: map[string]map[string]map[string]bool{}}
}

// anchorOf is the selector's pair the anchors index holds it under.
func anchorOf(selector map[string]string) string {
	first := ""
	for k := range selector {
		if first == "" || k < first {
			first = k
		}
	}
	return first + "=" + selector[first]
}

// selectorOf is what the endpoints controller selects pods with: nil for a Service
// it leaves alone (no selector: its Endpoints are the user's; ExternalName: none).
func selectorOf(svc *api.Service) map[string]string {
	if svc.Spec.Type == api.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
		return nil
	}
	return svc.Spec.Selector
}

// selectorMatches reports whether labels hold every pair of a Service selector.
func selectorMatches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// setService records a Service's selector (nil forgets the Service) and, when it
// changed, finds its pods again.
func (x *serviceIndex) setService(ns, name string, selector map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	byName := x.services[ns]
	cur := byName[name]
	if cur != nil && selector != nil && maps.Equal(cur.selector, selector) {
		return
	}
	if cur != nil {
		delete(x.anchors[ns][cur.anchor], name)
		if len(x.anchors[ns][cur.anchor]) == 0 {
			delete(x.anchors[ns], cur.anchor)
		}
		delete(byName, name)
	}
	if selector == nil {
		if len(byName) == 0 {
			delete(x.services, ns)
			delete(x.anchors, ns)
		}
		return
	}
	sel := &selected{selector: maps.Clone(selector), anchor: anchorOf(selector), members: map[string]bool{}}
	for podName, p := range x.pods[ns] {
		if selectorMatches(selector, p.Labels) {
			sel.members[podName] = true
		}
	}
	if byName == nil {
		byName = map[string]*selected{}
		x.services[ns] = byName
	}
	byName[name] = sel
	if x.anchors[ns] == nil {
		x.anchors[ns] = map[string]map[string]bool{}
	}
	if x.anchors[ns][sel.anchor] == nil {
		x.anchors[ns][sel.anchor] = map[string]bool{}
	}
	x.anchors[ns][sel.anchor][name] = true
}

// candidates lists the Services of ns anchored at one of the labels; the caller
// holds the lock.
func (x *serviceIndex) candidates(ns string, labels ...map[string]string) map[string]bool {
	byAnchor := x.anchors[ns]
	if len(byAnchor) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, l := range labels {
		for k, v := range l {
			for name := range byAnchor[k+"="+v] {
				out[name] = true
			}
		}
	}
	return out
}

// setPod records a pod's new version (nil: deleted) and returns the names of the
// Services of its namespace whose Endpoints it may change: those that select its
// old or its new labels, when something Endpoints show changed.
func (x *serviceIndex) setPod(ns, name string, pod *api.Pod) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.pods[ns][name]
	if pod == nil {
		delete(x.pods[ns], name)
		if len(x.pods[ns]) == 0 {
			delete(x.pods, ns)
		}
	} else {
		if x.pods[ns] == nil {
			x.pods[ns] = map[string]*api.Pod{}
		}
		x.pods[ns][name] = pod
	}
	changed := endpointFieldsChanged(old, pod)
	var oldLabels, newLabels map[string]string
	if old != nil {
		oldLabels = old.Labels
	}
	if pod != nil {
		newLabels = pod.Labels
	}
	var out []string
	for svcName := range x.candidates(ns, oldLabels, newLabels) {
		sel := x.services[ns][svcName]
		was := old != nil && selectorMatches(sel.selector, old.Labels)
		is := pod != nil && selectorMatches(sel.selector, pod.Labels)
		if is {
			sel.members[name] = true
		} else {
			delete(sel.members, name)
		}
		if was != is || (is && changed) {
			out = append(out, svcName)
		}
	}
	return out
}

// podsOf returns the pods a Service selects, as last seen.
func (x *serviceIndex) podsOf(ns, name string) []*api.Pod {
	x.mu.Lock()
	defer x.mu.Unlock()
	sel := x.services[ns][name]
	if sel == nil {
		return nil
	}
	out := make([]*api.Pod, 0, len(sel.members))
	for podName := range sel.members {
		if p := x.pods[ns][podName]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// forgetPod drops a pod the store no longer has, unless a newer version came in
// meanwhile (seen is the version the caller found missing). It covers a re-list
// after the informer fell behind, which reports no deletions.
func (x *serviceIndex) forgetPod(ns, name string, seen *api.Pod) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.pods[ns][name] != seen {
		return
	}
	delete(x.pods[ns], name)
	for _, sel := range x.services[ns] {
		delete(sel.members, name)
	}
}

// endpointFieldsChanged reports whether anything an Endpoints object shows of a pod
// differs between two versions (either may be nil): a status update that only
// touches, say, a container's restart count queues no sync.
func endpointFieldsChanged(old, cur *api.Pod) bool {
	if old == nil || cur == nil {
		return old != cur
	}
	if old.Status.PodIP != cur.Status.PodIP || podIsReady(old) != podIsReady(cur) ||
		old.Status.Phase != cur.Status.Phase || old.Spec.NodeName != cur.Spec.NodeName ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil) ||
		old.Spec.Hostname != cur.Spec.Hostname || old.Spec.Subdomain != cur.Spec.Subdomain ||
		old.UID != cur.UID || !maps.Equal(old.Labels, cur.Labels) {
		return true
	}
	// Container ports matter to named target ports; they change only with a new pod,
	// but compare them anyway: they are few.
	if len(old.Spec.Containers) != len(cur.Spec.Containers) {
		return true
	}
	for i := range old.Spec.Containers {
		a, b := old.Spec.Containers[i].Ports, cur.Spec.Containers[i].Ports
		if len(a) != len(b) {
			return true
		}
		for j := range a {
			if a[j] != b[j] {
				return true
			}
		}
	}
	return false
}
