package api

import (
	"fmt"
	"strings"
)

// maxIndexedJobSize bounds completions and parallelism of an Indexed Job, as in
// Kubernetes: the indexes travel in status.completedIndexes.
const maxIndexedJobSize = 100000

func validateStatefulSet(l *errs, ss *StatefulSet) {
	s := &ss.Spec
	validateReplicas(l, s.Replicas, s.MinReadySeconds)
	if s.ServiceName != "" {
		l.name("spec.serviceName", s.ServiceName, isDNS1035Label)
	}
	l.oneOf("spec.podManagementPolicy", s.PodManagementPolicy, true, OrderedReadyPodManagement, ParallelPodManagement)
	validateStatefulSetStrategy(l, &s.UpdateStrategy)
	if s.RevisionHistoryLimit != nil {
		l.nonNegative("spec.revisionHistoryLimit", int64(*s.RevisionHistoryLimit))
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p != nil {
		retain, del := RetainPersistentVolumeClaimRetentionPolicyType, DeletePersistentVolumeClaimRetentionPolicyType
		l.oneOf("spec.persistentVolumeClaimRetentionPolicy.whenDeleted", p.WhenDeleted, true, retain, del)
		l.oneOf("spec.persistentVolumeClaimRetentionPolicy.whenScaled", p.WhenScaled, true, retain, del)
	}
	if s.Ordinals != nil {
		l.nonNegative("spec.ordinals.start", int64(s.Ordinals.Start))
	}
	// The pods mount the claims as volumes of the claims' names: validate the
	// template as the pods will be, with those volumes added (a template volume
	// of the same name is replaced by the claim, as the controller does).
	t := s.Template
	t.Spec.Volumes = nil
	claims := validateClaimTemplates(l, s.VolumeClaimTemplates)
	for _, v := range s.Template.Spec.Volumes {
		if !claims[v.Name] {
			t.Spec.Volumes = append(t.Spec.Volumes, v)
		}
	}
	for _, c := range s.VolumeClaimTemplates {
		if claims[c.Name] {
			t.Spec.Volumes = append(t.Spec.Volumes, Volume{Name: c.Name, VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}}})
		}
	}
	validateControllerTemplate(l, "statefulset", s.Selector, &t)
	forbidTemplateDeadline(l, "StatefulSet", &s.Template.Spec)
}

// validateClaimTemplates checks the claims' names and returns the valid ones.
func validateClaimTemplates(l *errs, claims []PersistentVolumeClaim) map[string]bool {
	valid := map[string]bool{}
	for i, c := range claims {
		f := fmt.Sprintf("spec.volumeClaimTemplates[%d].metadata.name", i)
		switch {
		case c.Name == "":
			l.required(f, "")
		case valid[c.Name]:
			l.duplicate(f, c.Name)
		default:
			if msgs := isDNS1123Label(c.Name); len(msgs) > 0 {
				l.name(f, c.Name, isDNS1123Label)
				continue
			}
			valid[c.Name] = true
		}
		for j, m := range c.Spec.AccessModes {
			l.oneOf(fmt.Sprintf("spec.volumeClaimTemplates[%d].spec.accessModes[%d]", i, j), m, false,
				"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
		}
	}
	return valid
}

func validateStatefulSetStrategy(l *errs, s *StatefulSetUpdateStrategy) {
	switch s.Type {
	case "", RollingUpdateStatefulSetStrategyType:
	case OnDeleteStatefulSetStrategyType:
		if s.RollingUpdate != nil {
			l.invalid("spec.updateStrategy.rollingUpdate", s.Type, "only allowed for updateStrategy 'RollingUpdate'")
		}
		return
	default:
		l.unsupported("spec.updateStrategy.type", s.Type, OnDeleteStatefulSetStrategyType, RollingUpdateStatefulSetStrategyType)
		return
	}
	ru := s.RollingUpdate
	if ru == nil {
		return
	}
	if ru.Partition != nil {
		l.nonNegative("spec.updateStrategy.rollingUpdate.partition", int64(*ru.Partition))
	}
	if ru.MaxUnavailable != nil {
		f := "spec.updateStrategy.rollingUpdate.maxUnavailable"
		switch n := validateIntOrPercent(l, f, ru.MaxUnavailable); {
		case n == 0:
			l.invalid(f, *ru.MaxUnavailable, "must be greater than 0")
		case n > 100 && ru.MaxUnavailable.Type == TypeString:
			l.invalid(f, *ru.MaxUnavailable, "must not be greater than 100%")
		}
	}
}

func validateDaemonSet(l *errs, ds *DaemonSet) {
	s := &ds.Spec
	l.nonNegative("spec.minReadySeconds", int64(s.MinReadySeconds))
	if s.RevisionHistoryLimit != nil {
		l.nonNegative("spec.revisionHistoryLimit", int64(*s.RevisionHistoryLimit))
	}
	validateControllerTemplate(l, "daemonset", s.Selector, &s.Template)
	forbidTemplateDeadline(l, "DaemonSet", &s.Template.Spec)
	switch s.UpdateStrategy.Type {
	case "", RollingUpdateDaemonSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
			validateRollingUpdateDaemonSet(l, ru)
		}
	case OnDeleteDaemonSetStrategyType:
	default:
		l.unsupported("spec.updateStrategy.type", s.UpdateStrategy.Type,
			OnDeleteDaemonSetStrategyType, RollingUpdateDaemonSetStrategyType)
	}
}

// validateRollingUpdateDaemonSet checks the bounds and that exactly one is non-zero:
// a node either drops its old pod first (maxUnavailable) or runs both for a while
// (maxSurge). Unset fields count as their defaults (1 and 0).
func validateRollingUpdateDaemonSet(l *errs, ru *RollingUpdateDaemonSet) {
	const f = "spec.updateStrategy.rollingUpdate."
	unavail, surge := 1, 0
	for _, b := range []struct {
		name string
		v    *IntOrString
		n    *int
	}{{"maxUnavailable", ru.MaxUnavailable, &unavail}, {"maxSurge", ru.MaxSurge, &surge}} {
		if b.v == nil {
			continue
		}
		*b.n = validateIntOrPercent(l, f+b.name, b.v)
		if b.v.Type == TypeString && *b.n > 100 {
			l.invalid(f+b.name, *b.v, "must not be greater than 100%")
		}
	}
	switch {
	case unavail > 0 && surge > 0:
		l.invalid(f+"maxSurge", *ru.MaxSurge, "may not be set when maxUnavailable is non-zero")
	case unavail == 0 && surge == 0:
		l.required(f+"maxUnavailable", "cannot be 0 when maxSurge is 0")
	}
}

// forbidTemplateDeadline rejects activeDeadlineSeconds in a template whose pods
// should run forever.
func forbidTemplateDeadline(l *errs, kind string, s *PodSpec) {
	if s.ActiveDeadlineSeconds != nil {
		l.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in "+kind+" is not Supported")
	}
}

func validateJob(l *errs, j *Job) {
	s := &j.Spec
	for _, n := range []struct {
		field string
		v     *int32
	}{{"parallelism", s.Parallelism}, {"completions", s.Completions}, {"backoffLimit", s.BackoffLimit},
		{"ttlSecondsAfterFinished", s.TTLSecondsAfterFinished}, {"backoffLimitPerIndex", s.BackoffLimitPerIndex},
		{"maxFailedIndexes", s.MaxFailedIndexes}} {
		if n.v != nil {
			l.nonNegative("spec."+n.field, int64(*n.v))
		}
	}
	if s.ActiveDeadlineSeconds != nil {
		l.nonNegative("spec.activeDeadlineSeconds", *s.ActiveDeadlineSeconds)
	}
	if s.CompletionMode != nil {
		l.oneOf("spec.completionMode", *s.CompletionMode, false, NonIndexedCompletion, IndexedCompletion)
	}
	indexed := s.CompletionMode != nil && *s.CompletionMode == IndexedCompletion
	if indexed {
		validateIndexedJob(l, s)
	} else if s.BackoffLimitPerIndex != nil {
		l.invalid("spec.backoffLimitPerIndex", *s.BackoffLimitPerIndex, "requires indexed completion mode")
	}
	if s.PodReplacementPolicy != nil {
		l.oneOf("spec.podReplacementPolicy", *s.PodReplacementPolicy, false, TerminatingOrFailedPodReplacement, FailedPodReplacement)
	}
	validateJobSelector(l, j)
	t := &s.Template
	validateLabels(l, "spec.template.metadata.labels", t.Labels)
	validateAnnotations(l, "spec.template.metadata.annotations", t.Annotations)
	validatePodSpec(l, "spec.template.spec", &t.Spec, false)
	if p := t.Spec.RestartPolicy; p != RestartPolicyOnFailure && p != RestartPolicyNever {
		l.unsupported("spec.template.spec.restartPolicy", p, RestartPolicyOnFailure, RestartPolicyNever)
	}
}

func validateIndexedJob(l *errs, s *JobSpec) {
	if s.Completions == nil {
		l.required("spec.completions", "when completion mode is Indexed")
	} else if *s.Completions > maxIndexedJobSize {
		l.invalid("spec.completions", *s.Completions, fmt.Sprintf("must be less than or equal to %d when completion mode is Indexed", maxIndexedJobSize))
	}
	if s.Parallelism != nil && *s.Parallelism > maxIndexedJobSize {
		l.invalid("spec.parallelism", *s.Parallelism, fmt.Sprintf("must be less than or equal to %d when completion mode is Indexed", maxIndexedJobSize))
	}
	if s.MaxFailedIndexes != nil && s.BackoffLimitPerIndex == nil {
		l.required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified")
	}
}

// validateJobSelector checks a manual selector like any controller's and, once the
// Job has a uid, that a generated one is what generation makes. A Job without a
// selector and without a uid is one not yet defaulted by the server.
func validateJobSelector(l *errs, j *Job) {
	s := &j.Spec
	manual := s.ManualSelector != nil && *s.ManualSelector
	switch {
	case s.Selector == nil:
		if manual || j.UID != "" {
			l.required("spec.selector", "")
		}
		return
	case manual && len(s.Selector.MatchLabels)+len(s.Selector.MatchExpressions) == 0:
		l.invalid("spec.selector", "", "empty selector is invalid for job")
		return
	}
	validateLabelSelector(l, "spec.selector", s.Selector)
	sel, err := s.Selector.AsSelector()
	if err != nil {
		return // validateLabelSelector said why
	}
	if !sel.Matches(s.Template.Labels) {
		l.invalid("spec.template.metadata.labels", s.Template.Labels, "`selector` does not match template `labels`")
	}
	if manual || j.UID == "" {
		return
	}
	for _, want := range []struct{ key, value string }{
		{ControllerUIDLabel, j.UID}, {JobNameLabel, j.Name},
	} {
		f := "spec.template.metadata.labels[" + want.key + "]"
		switch got, ok := s.Template.Labels[want.key]; {
		case !ok:
			l.required(f, fmt.Sprintf("must be '%s'", want.value))
		case got != want.value:
			l.invalid(f, got, fmt.Sprintf("must be '%s'", want.value))
		}
	}
	if s.Selector.MatchLabels[ControllerUIDLabel] != j.UID {
		l.invalid("spec.selector.matchLabels", s.Selector.MatchLabels, "`selector` not auto-generated")
	}
}

func validatePriorityClass(l *errs, pc *PriorityClass) {
	if strings.HasPrefix(pc.Name, SystemPriorityClassPrefix) {
		sys, ok := SystemPriorityClass(pc.Name)
		switch {
		case !ok:
			l.forbidden("metadata.name", "priority class names with '"+SystemPriorityClassPrefix+
				"' prefix are reserved for system use only. error: "+pc.Name+" is not a known system priority class")
		case sys.Value != pc.Value:
			l.forbidden("metadata.name", fmt.Sprintf("priority class names with '%s' prefix are reserved for system use only. error: value of %s PriorityClass must be %d",
				SystemPriorityClassPrefix, pc.Name, sys.Value))
		case pc.GlobalDefault:
			l.forbidden("metadata.name", fmt.Sprintf("priority class names with '%s' prefix are reserved for system use only. error: globalDefault of %s PriorityClass must be false",
				SystemPriorityClassPrefix, pc.Name))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		l.forbidden("value", fmt.Sprintf("maximum allowed value of a user defined priority is %d", HighestUserDefinablePriority))
	}
	if pc.PreemptionPolicy != nil {
		l.oneOf("preemptionPolicy", *pc.PreemptionPolicy, false, PreemptLowerPriority, PreemptNever)
	}
}
