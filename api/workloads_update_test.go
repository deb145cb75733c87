package api

import (
	"testing"
	"time"
)

func TestValidateUpdateWorkloads(t *testing.T) {
	sts := func() Object { return mustDecode(t, stsHead+"  serviceName: web\n"+appTemplate) }
	ds := func() Object { return mustDecode(t, dsHead+appTemplate) }
	job := func(extra string) func() Object {
		return func() Object {
			j := mustDecode(t, jobHead+extra+jobTemplate).(*Job)
			j.UID = "u-1" // as the server stamped it: Default generates the selector
			return j
		}
	}
	pc := func() Object { return mustDecode(t, pcHead+"metadata: {name: high}\nvalue: 100\n") }
	checkValidateUpdate(t, []updateCase{
		{"statefulset mutable fields", sts, func(o Object) {
			s := &o.(*StatefulSet).Spec
			s.Replicas, s.MinReadySeconds, s.RevisionHistoryLimit = int32Ptr(5), 3, int32Ptr(2)
			s.Template.Spec.Containers[0].Image = "j"
			s.UpdateStrategy = StatefulSetUpdateStrategy{Type: OnDeleteStatefulSetStrategyType}
			s.Ordinals = &StatefulSetOrdinals{Start: 2}
			s.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Delete"
		}, nil},
		{"statefulset immutable fields", sts, func(o Object) {
			s := &o.(*StatefulSet).Spec
			s.ServiceName, s.PodManagementPolicy = "other", ParallelPodManagement
			s.VolumeClaimTemplates = []PersistentVolumeClaim{{ObjectMeta: ObjectMeta{Name: "data"}}}
		}, []string{"spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
			"'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden " +
			"(changed: serviceName, podManagementPolicy, volumeClaimTemplates)"}},
		{"statefulset selector", sts, func(o Object) {
			s := &o.(*StatefulSet).Spec
			s.Selector.MatchLabels["v"] = "1"
			s.Template.Labels["v"] = "1"
		}, []string{"(changed: selector)"}},
		{"daemonset template may change", ds, func(o Object) {
			o.(*DaemonSet).Spec.Template.Spec.Containers[0].Image = "j"
		}, nil},
		{"daemonset selector", ds, func(o Object) {
			s := &o.(*DaemonSet).Spec
			s.Selector.MatchLabels["v"] = "1"
			s.Template.Labels["v"] = "1"
		}, []string{`spec.selector: Invalid value: "app=a,v=1": field is immutable`}},
		{"job parallelism and deadline may change", job(""), func(o Object) {
			s := &o.(*Job).Spec
			s.Parallelism, s.ActiveDeadlineSeconds, s.BackoffLimit = int32Ptr(3), int64Ptr(60), int32Ptr(1)
			s.Suspend = new(bool)
			*s.Suspend = true
		}, nil},
		{"job template is immutable", job(""), func(o Object) {
			o.(*Job).Spec.Template.Spec.Containers[0].Image = "j"
		}, []string{"spec.template: Forbidden: field is immutable; a Job's pod template may change only while the Job is suspended"}},
		{"suspended job scheduling directives", job("  suspend: true\n"), func(o Object) {
			s := &o.(*Job).Spec.Template
			s.Spec.NodeSelector = map[string]string{"zone": "a"}
			s.Spec.Tolerations = []Toleration{{Key: "k", Operator: "Exists"}}
			s.Annotations = map[string]string{"queue": "q1"}
		}, nil},
		{"suspended job image", job("  suspend: true\n"), func(o Object) {
			o.(*Job).Spec.Template.Spec.Containers[0].Image = "j"
		}, []string{"spec.template: Forbidden: field is immutable; while a Job is suspended and has not started, only labels"}},
		{"suspended job that started", func() Object {
			j := job("  suspend: true\n")().(*Job)
			j.Status.StartTime = NewTime(time.Unix(1700000000, 0))
			return j
		}, func(o Object) {
			o.(*Job).Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
		}, []string{"spec.template: Forbidden"}},
		{"job immutable fields", job("  completions: 3\n"), func(o Object) {
			s := &o.(*Job).Spec
			s.Completions = int32Ptr(4)
			mode := IndexedCompletion
			s.CompletionMode = &mode
			s.Selector.MatchLabels["x"] = "y"
		}, []string{"spec.completions: Invalid value: 4: field is immutable", `spec.completionMode: Invalid value: "Indexed": field is immutable`,
			"spec.selector: Invalid value", "field is immutable"}},
		{"elastic indexed job", job("  completionMode: Indexed\n  completions: 3\n  parallelism: 3\n"), func(o Object) {
			s := &o.(*Job).Spec
			s.Completions, s.Parallelism = int32Ptr(5), int32Ptr(5)
		}, nil},
		{"priorityclass value", pc, func(o Object) { o.(*PriorityClass).Value = 200 },
			[]string{"value: Forbidden: may not be changed in an update."}},
		{"priorityclass policy", pc, func(o Object) {
			never := PreemptNever
			o.(*PriorityClass).PreemptionPolicy = &never
		}, []string{`preemptionPolicy: Invalid value: "Never": field is immutable`}},
		{"priorityclass description and default", pc, func(o Object) {
			p := o.(*PriorityClass)
			p.Description, p.GlobalDefault = "new", true
		}, nil},
	})
}
