package controller

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
)

// This file holds what the StatefulSet, DaemonSet and Job controllers ask of a
// pod: is it ready, available, finished, going away; and the revision hash of a
// template. Names carry "pod" and a verb so they do not clash with the other
// controllers' helpers in this package.

// podIsTerminating reports a pod being deleted (graceful deletion in progress).
func podIsTerminating(p *api.Pod) bool { return p.DeletionTimestamp != nil }

// podIsTerminal reports a pod whose containers all finished for good.
func podIsTerminal(p *api.Pod) bool {
	return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
}

// podIsReady reports the pod's Ready condition is True.
func podIsReady(p *api.Pod) bool {
	_, ok := readySince(p)
	return ok
}

// podIsRunningAndReady is Kubernetes' isRunningAndReady: phase Running and Ready.
func podIsRunningAndReady(p *api.Pod) bool {
	return p.Status.Phase == api.PodRunning && podIsReady(p)
}

// podAvailableAt reports whether a running pod has been ready for minReady
// seconds at now; when it is ready but not yet available, wait says how long
// until it will be (so the caller can requeue instead of polling).
func podAvailableAt(p *api.Pod, minReady int32, now time.Time) (available bool, wait time.Duration) {
	if p.Status.Phase != api.PodRunning {
		return false, 0
	}
	since, ok := readySince(p)
	if !ok {
		return false, 0
	}
	if minReady <= 0 || since.IsZero() {
		return true, 0
	}
	due := since.Add(time.Duration(minReady) * time.Second)
	if !due.After(now) {
		return true, 0
	}
	return false, due.Sub(now) + 10*time.Millisecond
}

// podRevisionAlphabet is the alphabet of Kubernetes' SafeEncodeString: no vowels
// (no words), no 0, 1 or 3 (nothing to misread).
const podRevisionAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// podTemplateRevision is the revision hash of a pod template, as Kubernetes
// computes a ControllerRevision's: FNV-32a over the template's JSON (maps encode
// in key order, so equal templates hash equally), printed in decimal and mapped
// onto podRevisionAlphabet.
func podTemplateRevision(t *api.PodTemplateSpec) string {
	h := fnv.New32a()
	raw, _ := json.Marshal(t) // a template always encodes
	h.Write(raw)
	s := strconv.FormatUint(uint64(h.Sum32()), 10)
	out := make([]byte, len(s))
	for i := range len(s) {
		out[i] = podRevisionAlphabet[int(s[i])%len(podRevisionAlphabet)]
	}
	return string(out)
}

// podsControlledBy lists the pods whose managing controller is uid, through the
// store's owner index. The pods are the store's own: read them, never change them
// (api.DeepCopy first).
func podsControlledBy(store Store, podRes *api.Resource, uid string) []*api.Pod {
	var out []*api.Pod
	for _, r := range store.ListByOwner(podRes, uid) {
		p, ok := r.Object.(*api.Pod)
		if !ok {
			continue
		}
		if ref := ControllerOf(p); ref != nil && ref.UID == uid {
			out = append(out, p)
		}
	}
	return out
}

// recordEvent records an Event when env has a recorder.
func recordEvent(env Env, obj api.Object, eventType, reason, message string) {
	if env.Events != nil {
		env.Events.Record(obj, eventType, reason, message)
	}
}
