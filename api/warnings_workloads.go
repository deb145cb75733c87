package api

import "fmt"

// jobIgnored lists Job spec fields Berth's Job controller does not act on, by path
// under the Job spec.
var jobIgnored = []struct {
	field string
	set   func(*JobSpec) bool
}{
	{"podFailurePolicy", func(s *JobSpec) bool { return rawSet(s.PodFailurePolicy) }},
	{"successPolicy", func(s *JobSpec) bool { return rawSet(s.SuccessPolicy) }},
	{"backoffLimitPerIndex", func(s *JobSpec) bool { return s.BackoffLimitPerIndex != nil }},
	{"maxFailedIndexes", func(s *JobSpec) bool { return s.MaxFailedIndexes != nil }},
	{"managedBy", func(s *JobSpec) bool { return s.ManagedBy != nil }},
}

func jobWarnings(w []string, j *Job) []string {
	for _, row := range jobIgnored {
		if row.set(&j.Spec) {
			w = append(w, ignored("spec."+row.field))
		}
	}
	return podSpecWarnings(w, "spec.template.spec", &j.Spec.Template.Spec)
}

// statefulSetWarnings adds, to the pod template's warnings, one per volume claim
// template: Berth has no volume provisioner, so the claim becomes a volume on the
// node the ordinal's pod runs on, and what the claim asks of storage is not
// honoured.
func statefulSetWarnings(w []string, ss *StatefulSet) []string {
	w = podSpecWarnings(w, "spec.template.spec", &ss.Spec.Template.Spec)
	for i, c := range ss.Spec.VolumeClaimTemplates {
		w = append(w, fmt.Sprintf("spec.volumeClaimTemplates[%d]: Berth has no PersistentVolumeClaims: each ordinal gets "+
			"a node-local volume %q instead (storageClassName, accessModes and resources are ignored)", i, c.Name))
	}
	return w
}
