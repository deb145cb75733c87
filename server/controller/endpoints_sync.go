package controller

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// Names the endpoints controller shares with Kubernetes'.
const (
	// annotationLastChange holds when the controller last wrote the Endpoints; it
	// also marks the Endpoints the controller manages (the user's have none), so
	// that those a deleted Service left behind can go.
	annotationLastChange = "endpoints.kubernetes.io/last-change-trigger-time"
	// annotationOverCapacity is "truncated" when more than maxEndpointAddresses pods
	// match and only that many are listed.
	annotationOverCapacity = "endpoints.kubernetes.io/over-capacity"
	// labelHeadless marks the Endpoints of a Service without cluster IP.
	labelHeadless = "service.kubernetes.io/headless"
)

// maxEndpointAddresses caps the addresses of one Endpoints object, as Kubernetes
// does: 1,000 addresses are about 200 KB, well inside the 1 MiB object limit.
const maxEndpointAddresses = 1000

// sync brings the Endpoints of the Service key to what its pods say.
func (c *EndpointsController) sync(ctx context.Context, key string) error {
	ns, name := SplitKey(key)
	seenDeleted := c.takeDeleted(key)
	rec, ok := c.env.Store.Get(c.svcRes, ns, name)
	if !ok {
		c.index.setService(ns, name, nil) // in case a re-list missed its deletion
		return c.deleteEndpoints(ctx, ns, name, seenDeleted)
	}
	svc, ok := rec.Object.(*api.Service)
	if !ok {
		return nil
	}
	// The store is the truth, the index a cache of the events: bring the index's
	// selector up to the Service's (a no-op unless an event was missed), and read
	// each pod the index names from the store.
	c.index.setService(ns, name, selectorOf(svc))
	if selectorOf(svc) == nil {
		return nil
	}
	want := desiredEndpoints(svc, c.storedPods(ns, c.index.podsOf(ns, name)))
	var cur *api.Endpoints
	if r, ok := c.env.Store.Get(c.epRes, ns, name); ok {
		cur, _ = r.Object.(*api.Endpoints)
	}
	if cur != nil && sameEndpoints(cur, want) {
		return nil
	}
	next := want
	if cur != nil {
		// Keep the rest of the stored object (the user's annotations, uid): only
		// subsets, labels and our annotations change.
		next = api.DeepCopy(cur).(*api.Endpoints)
		next.Subsets, next.Labels = want.Subsets, want.Labels
		delete(next.Annotations, annotationOverCapacity)
		maps.Copy(annotations(next), want.Annotations)
	}
	annotations(next)[annotationLastChange] = time.Now().UTC().Format(time.RFC3339Nano)
	var err error
	if cur == nil {
		_, err = c.env.Writer.Create(ctx, next)
	} else {
		_, err = c.env.Writer.Update(ctx, next)
	}
	switch api.ReasonOf(err) {
	case "", api.ReasonConflict, api.ReasonAlreadyExists, api.ReasonNotFound:
		return err // a race with another writer is retried quietly
	case api.ReasonForbidden:
		return nil // the namespace is being deleted, and the Service with it
	}
	c.event(svc, "Warning", "FailedToUpdateEndpoint", fmt.Sprintf("Failed to update endpoint %s: %v", key, err))
	return err
}

// storedPods returns the store's version of each pod the index lists, and drops
// from the index those the store no longer has.
func (c *EndpointsController) storedPods(ns string, cached []*api.Pod) []*api.Pod {
	out := make([]*api.Pod, 0, len(cached))
	for _, p := range cached {
		r, ok := c.env.Store.Get(c.podRes, ns, p.Name)
		if !ok {
			c.index.forgetPod(ns, p.Name, p)
			continue
		}
		if cur, ok := r.Object.(*api.Pod); ok {
			out = append(out, cur)
		}
	}
	return out
}

// deleteEndpoints removes the Endpoints of a Service that is gone: always when the
// Service was seen deleted, else only those this controller wrote.
func (c *EndpointsController) deleteEndpoints(ctx context.Context, ns, name string, seenDeleted bool) error {
	r, ok := c.env.Store.Get(c.epRes, ns, name)
	if !ok {
		return nil
	}
	m := r.Object.GetObjectMeta()
	if _, managed := m.Annotations[annotationLastChange]; !managed && !seenDeleted {
		return nil
	}
	err := c.env.Writer.Delete(ctx, c.epRes, ns, name, DeleteOptions{UID: m.UID})
	if api.ReasonOf(err) == api.ReasonNotFound {
		return nil
	}
	return err
}

func (c *EndpointsController) event(obj api.Object, eventType, reason, message string) {
	if c.env.Events != nil {
		c.env.Events.Record(obj, eventType, reason, message)
	}
}

func annotations(ep *api.Endpoints) map[string]string {
	if ep.Annotations == nil {
		ep.Annotations = map[string]string{}
	}
	return ep.Annotations
}

// desiredEndpoints builds the Endpoints of svc from the pods it selects (without
// the last-change annotation, which is stamped at the write).
func desiredEndpoints(svc *api.Service, pods []*api.Pod) *api.Endpoints {
	ep := &api.Endpoints{}
	ep.APIVersion, ep.Kind = "v1", "Endpoints"
	ep.Name, ep.Namespace = svc.Name, svc.Namespace
	if len(svc.Labels) > 0 {
		ep.Labels = maps.Clone(svc.Labels)
	}
	if svc.Spec.ClusterIP == api.ClusterIPNone || svc.Spec.ClusterIP == "" {
		if ep.Labels == nil {
			ep.Labels = map[string]string{}
		}
		ep.Labels[labelHeadless] = ""
	}
	ep.Subsets = endpointSubsets(svc, pods)
	if truncateSubsets(ep.Subsets, maxEndpointAddresses) {
		ep.Subsets = slices.DeleteFunc(ep.Subsets, func(s api.EndpointSubset) bool {
			return len(s.Addresses) == 0 && len(s.NotReadyAddresses) == 0
		})
		ep.Annotations = map[string]string{annotationOverCapacity: "truncated"}
	}
	return ep
}

// endpointSubsets groups the pods' addresses by the ports they serve: one subset
// per set of ports, subsets, addresses and ports in a stable order, so the same
// pods always give the same object (and an unchanged one is not written).
func endpointSubsets(svc *api.Service, pods []*api.Pod) []api.EndpointSubset {
	publishAll := svc.Spec.PublishNotReadyAddresses
	headless := svc.Spec.ClusterIP == api.ClusterIPNone
	groups := map[string]*api.EndpointSubset{}
	for _, p := range pods {
		if !selectorMatches(svc.Spec.Selector, p.Labels) || p.Status.PodIP == "" || podIsTerminal(p) ||
			(p.DeletionTimestamp != nil && !publishAll) {
			continue
		}
		var ports []api.EndpointPort
		for _, sp := range svc.Spec.Ports {
			if n, ok := targetPortOf(p, &sp); ok {
				ports = append(ports, api.EndpointPort{Name: sp.Name, Port: n, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol})
			}
		}
		if len(ports) == 0 && (len(svc.Spec.Ports) > 0 || !headless) {
			continue // serves none of the Service's ports
		}
		slices.SortFunc(ports, func(a, b api.EndpointPort) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol))
		})
		key := portsKey(ports)
		g := groups[key]
		if g == nil {
			g = &api.EndpointSubset{Ports: ports}
			groups[key] = g
		}
		addr := endpointAddress(svc, p)
		if publishAll || podIsReady(p) {
			g.Addresses = append(g.Addresses, addr)
		} else {
			g.NotReadyAddresses = append(g.NotReadyAddresses, addr)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	out := make([]api.EndpointSubset, 0, len(groups))
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		g := groups[key]
		slices.SortFunc(g.Addresses, compareAddresses)
		slices.SortFunc(g.NotReadyAddresses, compareAddresses)
		out = append(out, *g)
	}
	return out
}

func portsKey(ports []api.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "%s/%d/%s,", p.Name, p.Port, p.Protocol)
	}
	return b.String()
}

func compareAddresses(a, b api.EndpointAddress) int {
	return cmp.Or(cmp.Compare(a.IP, b.IP), cmp.Compare(a.TargetRef.Name, b.TargetRef.Name))
}

// endpointAddress is a pod as an Endpoints lists it. The hostname is the pod's
// when the pod names this Service as its subdomain (a StatefulSet's pods and their
// headless Service), which gives it a DNS name of its own.
func endpointAddress(svc *api.Service, p *api.Pod) api.EndpointAddress {
	a := api.EndpointAddress{
		IP:        p.Status.PodIP,
		TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName != "" {
		node := p.Spec.NodeName
		a.NodeName = &node
	}
	if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && p.Namespace == svc.Namespace {
		a.Hostname = p.Spec.Hostname
	}
	return a
}

// targetPortOf resolves a Service port's targetPort on a pod: a number as it is (0
// means the Service port), a name through the pod's container ports of the same
// protocol. ok is false when the pod has no port of that name.
func targetPortOf(p *api.Pod, sp *api.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	if tp.Type == api.TypeInt {
		if tp.IntVal == 0 {
			return sp.Port, true
		}
		return tp.IntVal, true
	}
	proto := cmp.Or(sp.Protocol, api.ProtocolTCP)
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp.StrVal && cmp.Or(cp.Protocol, api.ProtocolTCP) == proto {
				return cp.ContainerPort, true
			}
		}
	}
	return 0, false
}

// truncateSubsets keeps at most max addresses, the ready ones first, and reports
// whether it dropped any.
func truncateSubsets(subsets []api.EndpointSubset, max int) bool {
	total := 0
	for _, s := range subsets {
		total += len(s.Addresses) + len(s.NotReadyAddresses)
	}
	if total <= max {
		return false
	}
	left := max
	for i := range subsets {
		n := min(len(subsets[i].Addresses), left)
		subsets[i].Addresses, left = subsets[i].Addresses[:n], left-n
	}
	for i := range subsets {
		n := min(len(subsets[i].NotReadyAddresses), left)
		subsets[i].NotReadyAddresses, left = subsets[i].NotReadyAddresses[:n], left-n
	}
	return true
}

// sameEndpoints reports whether the stored Endpoints already say what want says.
func sameEndpoints(cur, want *api.Endpoints) bool {
	if !maps.Equal(cur.Labels, want.Labels) ||
		cur.Annotations[annotationOverCapacity] != want.Annotations[annotationOverCapacity] {
		return false
	}
	if _, managed := cur.Annotations[annotationLastChange]; !managed {
		return false // take it over: mark it ours
	}
	a, err1 := json.Marshal(cur.Subsets)
	b, err2 := json.Marshal(want.Subsets)
	return err1 == nil && err2 == nil && string(a) == string(b)
}
