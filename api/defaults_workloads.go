package api

func defaultStatefulSet(s *StatefulSetSpec) {
	defaultReplicas(&s.Replicas)
	setIfEmpty(&s.PodManagementPolicy, OrderedReadyPodManagement)
	setIfEmpty(&s.UpdateStrategy.Type, RollingUpdateStatefulSetStrategyType)
	if s.UpdateStrategy.Type == RollingUpdateStatefulSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateStatefulSetStrategy{}
		}
		if s.UpdateStrategy.RollingUpdate.Partition == nil {
			s.UpdateStrategy.RollingUpdate.Partition = int32Ptr(0)
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = int32Ptr(10)
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	p := s.PersistentVolumeClaimRetentionPolicy
	setIfEmpty(&p.WhenDeleted, RetainPersistentVolumeClaimRetentionPolicyType)
	setIfEmpty(&p.WhenScaled, RetainPersistentVolumeClaimRetentionPolicyType)
	for i := range s.VolumeClaimTemplates {
		c := &s.VolumeClaimTemplates[i]
		if c.Spec.VolumeMode == nil {
			mode := PersistentVolumeFilesystem
			c.Spec.VolumeMode = &mode
		}
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultDaemonSet(s *DaemonSetSpec) {
	setIfEmpty(&s.UpdateStrategy.Type, RollingUpdateDaemonSetStrategyType)
	if s.UpdateStrategy.Type == RollingUpdateDaemonSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			v := FromInt(1)
			ru.MaxUnavailable = &v
		}
		if ru.MaxSurge == nil {
			v := FromInt(0)
			ru.MaxSurge = &v
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = int32Ptr(10)
	}
	defaultPodSpec(&s.Template.Spec)
}

// defaultJob fills a Job's defaults as Kubernetes does. The selector is generated
// only once the Job has a uid (the server stamps it before defaulting on create, and
// carries it into an update before defaulting again), because the generated
// selector matches on it.
func defaultJob(j *Job) {
	s := &j.Spec
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = int32Ptr(1)
	}
	if s.Parallelism == nil {
		s.Parallelism = int32Ptr(1)
	}
	if s.BackoffLimit == nil {
		s.BackoffLimit = int32Ptr(6)
		if s.BackoffLimitPerIndex != nil {
			s.BackoffLimit = int32Ptr(1<<31 - 1)
		}
	}
	if s.CompletionMode == nil {
		mode := NonIndexedCompletion
		s.CompletionMode = &mode
	}
	if s.Suspend == nil {
		f := false
		s.Suspend = &f
	}
	if s.PodReplacementPolicy == nil {
		policy := TerminatingOrFailedPodReplacement
		if rawSet(s.PodFailurePolicy) {
			policy = FailedPodReplacement
		}
		s.PodReplacementPolicy = &policy
	}
	// A Job without labels takes its template's, as in Kubernetes, less the ones
	// selector generation adds: those would make Default depend on whether the uid
	// was known yet, and Default must be idempotent.
	if len(j.Labels) == 0 {
		for k, v := range s.Template.Labels {
			if !isGeneratedJobLabel(k) {
				if j.Labels == nil {
					j.Labels = map[string]string{}
				}
				j.Labels[k] = v
			}
		}
	}
	if j.UID != "" && (s.ManualSelector == nil || !*s.ManualSelector) {
		generateJobSelector(j)
	}
	defaultPodSpec(&s.Template.Spec)
}

func isGeneratedJobLabel(k string) bool {
	switch k {
	case JobNameLabel, ControllerUIDLabel, LegacyJobNameLabel, LegacyControllerUIDLabel:
		return true
	}
	return false
}

// generateJobSelector labels the template with the Job's name and uid and selects
// the uid label. A label the user set already is left alone: if it disagrees,
// validation says so.
func generateJobSelector(j *Job) {
	t := &j.Spec.Template
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	for k, v := range map[string]string{
		JobNameLabel: j.Name, LegacyJobNameLabel: j.Name,
		ControllerUIDLabel: j.UID, LegacyControllerUIDLabel: j.UID,
	} {
		if _, ok := t.Labels[k]; !ok {
			t.Labels[k] = v
		}
	}
	if j.Spec.Selector == nil {
		j.Spec.Selector = &LabelSelector{}
	}
	if j.Spec.Selector.MatchLabels == nil {
		j.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := j.Spec.Selector.MatchLabels[ControllerUIDLabel]; !ok {
		j.Spec.Selector.MatchLabels[ControllerUIDLabel] = j.UID
	}
}

func defaultPriorityClass(pc *PriorityClass) {
	if pc.PreemptionPolicy == nil {
		policy := PreemptLowerPriority
		pc.PreemptionPolicy = &policy
	}
}
