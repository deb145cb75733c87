package api

import "strings"

// statefulSetImmutable lists the StatefulSet spec fields an update may not change;
// the others (replicas, template, updateStrategy, minReadySeconds, ordinals,
// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy) may.
var statefulSetImmutable = []struct {
	field string
	get   func(*StatefulSetSpec) any
}{
	{"selector", func(s *StatefulSetSpec) any { return s.Selector }},
	{"serviceName", func(s *StatefulSetSpec) any { return s.ServiceName }},
	{"podManagementPolicy", func(s *StatefulSetSpec) any { return s.PodManagementPolicy }},
	{"volumeClaimTemplates", func(s *StatefulSetSpec) any { return s.VolumeClaimTemplates }},
}

// validateStatefulSetUpdate words the error as Kubernetes does, and names the
// fields that changed.
func validateStatefulSetUpdate(l *errs, old, cur *StatefulSetSpec) {
	var changed []string
	for _, f := range statefulSetImmutable {
		if !equalJSON(f.get(old), f.get(cur)) {
			changed = append(changed, f.field)
		}
	}
	if len(changed) > 0 {
		l.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "+
			"'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "+
			"are forbidden (changed: "+strings.Join(changed, ", ")+")")
	}
}

// validateJobUpdate keeps what a running Job's pods were made from: the selector,
// completionMode, the failure policies, completions (except for an Indexed Job
// scaled elastically, completions and parallelism moving together) and the pod
// template (except its scheduling directives while the Job is suspended and has
// not started, so a queue can place it before it runs).
func validateJobUpdate(l *errs, old, cur *Job) {
	o, c := &old.Spec, &cur.Spec
	validateSelectorUpdate(l, o.Selector, c.Selector)
	if !equalJSON(o.CompletionMode, c.CompletionMode) {
		l.invalid("spec.completionMode", c.CompletionMode, "field is immutable")
	}
	if !equalJSON(o.Completions, c.Completions) && !elasticIndexed(o, c) {
		l.invalid("spec.completions", c.Completions, "field is immutable")
	}
	for _, f := range []struct {
		field    string
		old, cur any
	}{
		{"podFailurePolicy", o.PodFailurePolicy, c.PodFailurePolicy},
		{"backoffLimitPerIndex", o.BackoffLimitPerIndex, c.BackoffLimitPerIndex},
		{"managedBy", o.ManagedBy, c.ManagedBy},
	} {
		if !equalJSON(f.old, f.cur) {
			l.forbidden("spec."+f.field, "field is immutable")
		}
	}
	validateJobTemplateUpdate(l, old, cur)
}

// elasticIndexed says whether an Indexed Job changes completions together with
// parallelism (both equal before and after), which Kubernetes allows.
func elasticIndexed(o, c *JobSpec) bool {
	indexed := c.CompletionMode != nil && *c.CompletionMode == IndexedCompletion
	same := func(a, b *int32) bool { return a != nil && b != nil && *a == *b }
	return indexed && same(o.Completions, o.Parallelism) && same(c.Completions, c.Parallelism)
}

func validateJobTemplateUpdate(l *errs, old, cur *Job) {
	o, c := &old.Spec.Template, &cur.Spec.Template
	if equalJSON(o, c) {
		return
	}
	suspended := old.Spec.Suspend != nil && *old.Spec.Suspend && old.Status.StartTime == nil
	if suspended {
		// Copy the mutable directives of the new template into the old one: what
		// is left must be equal.
		mutated := PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: *deepCopyPodSpec(&o.Spec)}
		mutated.Labels, mutated.Annotations = c.Labels, c.Annotations
		mutated.Spec.NodeSelector, mutated.Spec.Affinity = c.Spec.NodeSelector, c.Spec.Affinity
		mutated.Spec.Tolerations, mutated.Spec.SchedulingGates = c.Spec.Tolerations, c.Spec.SchedulingGates
		if equalJSON(&mutated, c) {
			return
		}
		l.forbidden("spec.template", "field is immutable; while a Job is suspended and has not started, only "+
			"labels, annotations, nodeSelector, affinity, tolerations and schedulingGates of the template may change")
		return
	}
	l.forbidden("spec.template", "field is immutable; a Job's pod template may change only while the Job is suspended "+
		"and has not started (then only labels, annotations, nodeSelector, affinity, tolerations and schedulingGates)")
}

func validatePriorityClassUpdate(l *errs, old, cur *PriorityClass) {
	if old.Value != cur.Value {
		l.forbidden("value", "may not be changed in an update.")
	}
	if !equalJSON(old.PreemptionPolicy, cur.PreemptionPolicy) {
		l.invalid("preemptionPolicy", cur.PreemptionPolicy, "field is immutable")
	}
}
