package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// ValidateUpdate checks cur as a replacement of old: everything Validate checks, plus
// the fields that may not change. The server must carry server-assigned fields
// (uid, creationTimestamp, a Service's clusterIP, a pod's nodeName) over from old
// before calling it when the user's request left them out.
func ValidateUpdate(old, cur Object) error {
	if old == nil || cur == nil || reflect.ValueOf(old).IsNil() || reflect.ValueOf(cur).IsNil() {
		return NewError(ReasonBadRequest, "no object")
	}
	if reflect.TypeOf(old) != reflect.TypeOf(cur) {
		return NewError(ReasonBadRequest, "cannot change the kind of %q", cur.GetObjectMeta().Name)
	}
	res, ok := ResourceForObject(cur)
	if !ok {
		return NewError(ReasonBadRequest, "kind %q is not served by Berth", cur.GetTypeMeta().Kind)
	}
	var l errs
	validateMetaUpdate(&l, old.GetObjectMeta(), cur.GetObjectMeta())
	validateObjectMeta(&l, cur.GetObjectMeta(), res)
	validateKind(&l, cur)
	validateKindUpdate(&l, old, cur)
	return l.asError(cur)
}

func validateMetaUpdate(l *errs, old, cur *ObjectMeta) {
	if old.Name != cur.Name {
		l.invalid("metadata.name", cur.Name, "field is immutable")
	}
	if old.Namespace != cur.Namespace {
		l.invalid("metadata.namespace", cur.Namespace, "field is immutable")
	}
	if old.UID != cur.UID {
		l.invalid("metadata.uid", cur.UID, "field is immutable")
	}
	if !equalJSON(old.CreationTimestamp, cur.CreationTimestamp) {
		l.invalid("metadata.creationTimestamp", timeString(cur.CreationTimestamp), "field is immutable")
	}
}

func timeString(t *Time) string {
	b, _ := json.Marshal(t)
	return string(bytes.Trim(b, `"`))
}

func validateKindUpdate(l *errs, old, cur Object) {
	switch o := old.(type) {
	case *Pod:
		validatePodUpdate(l, o, cur.(*Pod))
	case *ReplicaSet:
		validateSelectorUpdate(l, o.Spec.Selector, cur.(*ReplicaSet).Spec.Selector)
	case *Deployment:
		validateSelectorUpdate(l, o.Spec.Selector, cur.(*Deployment).Spec.Selector)
	case *StatefulSet:
		validateStatefulSetUpdate(l, &o.Spec, &cur.(*StatefulSet).Spec)
	case *DaemonSet:
		validateSelectorUpdate(l, o.Spec.Selector, cur.(*DaemonSet).Spec.Selector)
	case *Job:
		validateJobUpdate(l, o, cur.(*Job))
	case *PriorityClass:
		validatePriorityClassUpdate(l, o, cur.(*PriorityClass))
	case *ResourceQuota:
		validateResourceQuotaUpdate(l, o, cur.(*ResourceQuota))
	case *ConfigMap:
		c := cur.(*ConfigMap)
		validateImmutableData(l, o.Immutable, c.Immutable,
			equalJSON(o.Data, c.Data) && equalJSON(o.BinaryData, c.BinaryData))
	case *Secret:
		c := cur.(*Secret)
		validateImmutableData(l, o.Immutable, c.Immutable, equalJSON(o.Data, c.Data) && len(c.StringData) == 0)
		if o.Type != "" && o.Type != c.Type {
			l.invalid("type", c.Type, "field is immutable")
		}
	case *Service:
		validateServiceUpdate(l, &o.Spec, &cur.(*Service).Spec)
	case *RoleBinding, *ClusterRoleBinding:
		validateRoleRefUpdate(l, old, cur)
	case *Node:
		c := cur.(*Node)
		if o.Spec.PodCIDR != "" && o.Spec.PodCIDR != c.Spec.PodCIDR {
			l.forbidden("spec.podCIDR", "node updates may not change podCIDR except from \"\" to valid")
		}
	}
}

func validateImmutableData(l *errs, oldImm, curImm *bool, sameData bool) {
	if oldImm == nil || !*oldImm {
		return
	}
	if curImm == nil || !*curImm {
		l.forbidden("immutable", "field is immutable when `immutable` is set")
	}
	if !sameData {
		l.forbidden("data", "field is immutable when `immutable` is set")
	}
}

func validateServiceUpdate(l *errs, old, cur *ServiceSpec) {
	if cur.Type == ServiceTypeExternalName || old.Type == ServiceTypeExternalName {
		return // changing to or from ExternalName releases or allocates the IP
	}
	if old.ClusterIP != "" && cur.ClusterIP != old.ClusterIP {
		l.invalid("spec.clusterIP", cur.ClusterIP, "field is immutable")
	}
}

// validatePodUpdate allows only the Kubernetes-mutable parts of a pod spec to change:
// container images, a lower activeDeadlineSeconds, added tolerations, and a
// nodeName that was empty.
func validatePodUpdate(l *errs, old, cur *Pod) {
	o, c := &old.Spec, &cur.Spec
	if o.NodeName != "" && c.NodeName != o.NodeName {
		l.invalid("spec.nodeName", c.NodeName, "field is immutable once set")
	}
	if o.ActiveDeadlineSeconds != nil {
		switch {
		case c.ActiveDeadlineSeconds == nil:
			l.invalid("spec.activeDeadlineSeconds", c.ActiveDeadlineSeconds, "must not update from a positive integer to nil value")
		case *c.ActiveDeadlineSeconds > *o.ActiveDeadlineSeconds:
			l.invalid("spec.activeDeadlineSeconds", *c.ActiveDeadlineSeconds, "must be less than or equal to previous value")
		}
	}
	for i, t := range o.Tolerations {
		if !containsToleration(c.Tolerations, t) {
			l.forbidden(fmt.Sprintf("spec.tolerations[%d]", i), "existing toleration can not be modified except its tolerationSeconds")
		}
	}
	// Compare everything else: copy the mutable fields from the new spec into a copy
	// of the old one, then the two must be equal.
	mutated := *deepCopyPodSpec(o)
	mutated.ActiveDeadlineSeconds = c.ActiveDeadlineSeconds
	mutated.Tolerations = c.Tolerations
	if o.NodeName == "" {
		mutated.NodeName = c.NodeName
	}
	if len(mutated.Containers) == len(c.Containers) {
		for i := range c.Containers {
			mutated.Containers[i].Image = c.Containers[i].Image
		}
	}
	if len(mutated.InitContainers) == len(c.InitContainers) {
		for i := range c.InitContainers {
			mutated.InitContainers[i].Image = c.InitContainers[i].Image
		}
	}
	if !equalJSON(&mutated, c) {
		l.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`, "+
			"`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions "+
			"to existing tolerations) or `spec.nodeName` (only from empty)")
	}
}

func containsToleration(ts []Toleration, want Toleration) bool {
	for _, t := range ts {
		if t.Key == want.Key && t.Operator == want.Operator && t.Value == want.Value && t.Effect == want.Effect {
			return true
		}
	}
	return false
}

func deepCopyPodSpec(s *PodSpec) *PodSpec {
	out := &PodSpec{}
	raw, err := json.Marshal(s)
	if err == nil {
		_ = json.Unmarshal(raw, out)
	}
	return out
}

// equalJSON compares two values by their JSON encoding, which is what the wire sees
// (nil and empty collections are the same, as they are for a client).
func equalJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(normalizeJSON(ja), normalizeJSON(jb))
}

// normalizeJSON maps empty collections to null so "[]" and an absent list compare equal.
func normalizeJSON(b []byte) []byte {
	switch string(b) {
	case "{}", "[]", `""`:
		return []byte("null")
	}
	return b
}
