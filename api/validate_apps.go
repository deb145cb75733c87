package api

import "fmt"

func validateReplicaSet(l *errs, rs *ReplicaSet) {
	s := &rs.Spec
	validateReplicas(l, s.Replicas, s.MinReadySeconds)
	validateControllerTemplate(l, "deployment", s.Selector, &s.Template)
}

func validateDeployment(l *errs, d *Deployment) {
	s := &d.Spec
	validateReplicas(l, s.Replicas, s.MinReadySeconds)
	validateControllerTemplate(l, "deployment", s.Selector, &s.Template)
	if s.RevisionHistoryLimit != nil {
		l.nonNegative("spec.revisionHistoryLimit", int64(*s.RevisionHistoryLimit))
	}
	if p := s.ProgressDeadlineSeconds; p != nil {
		if *p <= 0 {
			l.invalid("spec.progressDeadlineSeconds", *p, "must be greater than 0")
		} else if *p <= s.MinReadySeconds {
			l.invalid("spec.progressDeadlineSeconds", *p, "must be greater than minReadySeconds")
		}
	}
	validateStrategy(l, &s.Strategy)
}

func validateReplicas(l *errs, replicas *int32, minReady int32) {
	if replicas != nil {
		l.nonNegative("spec.replicas", int64(*replicas))
	}
	l.nonNegative("spec.minReadySeconds", int64(minReady))
}

// validateControllerTemplate checks the selector (required, non-empty, matching the
// template's labels) and the template itself. kind names the controller in the
// empty-selector message, as Kubernetes words it (ReplicaSets say "deployment" too).
func validateControllerTemplate(l *errs, kind string, sel *LabelSelector, t *PodTemplateSpec) {
	switch {
	case sel == nil:
		l.required("spec.selector", "")
	case len(sel.MatchLabels)+len(sel.MatchExpressions) == 0:
		l.invalid("spec.selector", "", "empty selector is invalid for "+kind)
	default:
		validateLabelSelector(l, "spec.selector", sel)
		if s, err := sel.AsSelector(); err == nil && !s.Matches(t.Labels) {
			l.invalid("spec.template.metadata.labels", t.Labels, "`selector` does not match template `labels`")
		}
	}
	validateLabels(l, "spec.template.metadata.labels", t.Labels)
	validateAnnotations(l, "spec.template.metadata.annotations", t.Annotations)
	validatePodSpec(l, "spec.template.spec", &t.Spec, true)
}

func validateStrategy(l *errs, s *DeploymentStrategy) {
	switch s.Type {
	case "", RollingUpdateDeploymentStrategyType:
	case RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			l.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
		}
		return
	default:
		l.unsupported("spec.strategy.type", s.Type, RecreateDeploymentStrategyType, RollingUpdateDeploymentStrategyType)
		return
	}
	ru := s.RollingUpdate
	if ru == nil {
		return
	}
	unavail := validateIntOrPercent(l, "spec.strategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable)
	surge := validateIntOrPercent(l, "spec.strategy.rollingUpdate.maxSurge", ru.MaxSurge)
	if unavail == 0 && surge == 0 && ru.MaxUnavailable != nil && ru.MaxSurge != nil {
		l.invalid("spec.strategy.rollingUpdate.maxUnavailable", *ru.MaxUnavailable, "may not be 0 when `maxSurge` is 0")
	}
	if ru.MaxUnavailable != nil && ru.MaxUnavailable.Type == TypeString && unavail > 100 {
		l.invalid("spec.strategy.rollingUpdate.maxUnavailable", *ru.MaxUnavailable, "must not be greater than 100%")
	}
}

// validateIntOrPercent checks a count or a percentage and returns its number (-1
// when unset or invalid).
func validateIntOrPercent(l *errs, f string, v *IntOrString) int {
	if v == nil {
		return -1
	}
	if v.Type == TypeInt {
		l.nonNegative(f, int64(v.IntVal))
		return int(v.IntVal)
	}
	n, err := v.ScaledValue(100, false)
	if err != nil {
		l.invalid(f, *v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')")
		return -1
	}
	return n
}

// validateSelectorUpdate forbids changing a controller's selector (apps/v1 rule).
func validateSelectorUpdate(l *errs, old, cur *LabelSelector) {
	if !equalJSON(old, cur) {
		l.invalid("spec.selector", fmt.Sprint(selectorString(cur)), "field is immutable")
	}
}

func selectorString(s *LabelSelector) string {
	sel, err := s.AsSelector()
	if err != nil {
		return ""
	}
	return sel.String()
}
