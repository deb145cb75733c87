package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/api"
)

// annotationLimitRanger records on a pod which requests and limits the
// namespace's LimitRanges filled in, in Kubernetes' words.
const annotationLimitRanger = "kubernetes.io/limit-ranger"

// limitRangesOf lists the LimitRanges of a namespace from the local (leader's)
// store, by name.
func (s *Server) limitRangesOf(ns string) []*api.LimitRange {
	res, ok := api.ResourceForKind("LimitRange")
	if !ok || ns == "" {
		return nil
	}
	recs, _ := s.fsm.List(res, ns)
	out := make([]*api.LimitRange, 0, len(recs))
	for _, rec := range recs {
		if lr, ok := rec.Object.(*api.LimitRange); ok {
			out = append(out, lr)
		}
	}
	return out
}

// applyLimitRangeDefaults fills, in a new pod, the requests and limits its
// containers leave out, from the Container items of its namespace's LimitRanges
// (the first range to name a resource wins), and notes what it set in the
// kubernetes.io/limit-ranger annotation. It runs after api.Default, so a container
// that sets only a limit already requests that much, as in Kubernetes.
func (s *Server) applyLimitRangeDefaults(obj api.Object) {
	pod, ok := obj.(*api.Pod)
	if !ok {
		return
	}
	var notes []string
	for _, lr := range s.limitRangesOf(pod.Namespace) {
		for i := range lr.Spec.Limits {
			it := &lr.Spec.Limits[i]
			if it.Type != api.LimitTypeContainer {
				continue
			}
			for j := range pod.Spec.Containers {
				notes = mergeDefaults(&pod.Spec.Containers[j], it, "container", notes)
			}
			for j := range pod.Spec.InitContainers {
				notes = mergeDefaults(&pod.Spec.InitContainers[j], it, "init container", notes)
			}
		}
	}
	if len(notes) == 0 {
		return
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[annotationLimitRanger] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
}

// mergeDefaults sets the item's default limits and default requests that c
// lacks, and returns notes with a line for each kind it set.
func mergeDefaults(c *api.Container, it *api.LimitRangeItem, what string, notes []string) []string {
	set := func(dst *api.ResourceList, defaults api.ResourceList) []string {
		var names []string
		for k, v := range defaults {
			if _, ok := (*dst)[k]; ok {
				continue
			}
			if *dst == nil {
				*dst = api.ResourceList{}
			}
			(*dst)[k] = v
			names = append(names, k)
		}
		sort.Strings(names)
		return names
	}
	limits := set(&c.Resources.Limits, it.Default)
	requests := set(&c.Resources.Requests, it.DefaultRequest)
	if len(requests) > 0 {
		notes = append(notes, fmt.Sprintf("%s request for %s %s", strings.Join(requests, ", "), what, c.Name))
	}
	if len(limits) > 0 {
		notes = append(notes, fmt.Sprintf("%s limit for %s %s", strings.Join(limits, ", "), what, c.Name))
	}
	return notes
}

// checkLimitRanges refuses a new pod outside the min, max or maxLimitRequestRatio
// of its namespace's LimitRanges: per container for Container items, for the
// pod's sum for Pod items. The 403 lists every violation in Kubernetes' words:
// `pods "x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`.
func (s *Server) checkLimitRanges(obj api.Object) error {
	pod, ok := obj.(*api.Pod)
	if !ok {
		return nil
	}
	var msgs []string
	for _, lr := range s.limitRangesOf(pod.Namespace) {
		for i := range lr.Spec.Limits {
			it := &lr.Spec.Limits[i]
			switch it.Type {
			case api.LimitTypeContainer:
				for _, cs := range [][]api.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
					for j := range cs {
						msgs = checkLimitItem(msgs, it, cs[j].Resources.Requests, cs[j].Resources.Limits)
					}
				}
			case api.LimitTypePod:
				req, lim := api.PodRequestsAndLimits(&pod.Spec)
				msgs = checkLimitItem(msgs, it, req, lim)
			}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return forbidden(podsResource(), pod.Name, "%s", aggregateMessages(msgs))
}

// checkLimitItem appends a message per bound of it that req and lim break, in the
// order Kubernetes checks them: min, max, then the ratio; resources by name.
func checkLimitItem(msgs []string, it *api.LimitRangeItem, req, lim api.ResourceList) []string {
	for _, k := range sortedResourceNames(it.Min) {
		min := it.Min[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasReq:
			msgs = append(msgs, fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", k, it.Type, min))
		case r.Cmp(min) < 0:
			msgs = append(msgs, fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", k, it.Type, min, r))
		case hasLim && l.Cmp(min) < 0:
			msgs = append(msgs, fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", k, it.Type, min, l))
		}
	}
	for _, k := range sortedResourceNames(it.Max) {
		max := it.Max[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasLim:
			msgs = append(msgs, fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", k, it.Type, max))
		case l.Cmp(max) > 0:
			msgs = append(msgs, fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", k, it.Type, max, l))
		case hasReq && r.Cmp(max) > 0:
			msgs = append(msgs, fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", k, it.Type, max, r))
		}
	}
	for _, k := range sortedResourceNames(it.MaxLimitRequestRatio) {
		ratio := it.MaxLimitRequestRatio[k]
		r, hasReq := req[k]
		l, hasLim := lim[k]
		switch {
		case !hasReq || r.IsZero():
			msgs = append(msgs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", k, it.Type, ratio))
		case !hasLim || l.IsZero():
			msgs = append(msgs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", k, it.Type, ratio))
		default:
			// Compared in milli units, as Kubernetes does for ratios it can hold so.
			observed := float64(l.MilliValue()) / float64(r.MilliValue())
			if observed*1000 > float64(ratio.MilliValue()) {
				msgs = append(msgs, fmt.Sprintf("%s max limit to request ratio per %s is %s, but provided ratio is %f", k, it.Type, ratio, observed))
			}
		}
	}
	return msgs
}

func sortedResourceNames(l api.ResourceList) []string {
	out := make([]string, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// aggregateMessages joins messages as Kubernetes' error aggregates print: one alone, or
// several in brackets, each once.
func aggregateMessages(msgs []string) string {
	seen := map[string]bool{}
	var uniq []string
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			uniq = append(uniq, m)
		}
	}
	if len(uniq) == 1 {
		return uniq[0]
	}
	return "[" + strings.Join(uniq, ", ") + "]"
}
