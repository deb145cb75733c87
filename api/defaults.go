package api

import "strings"

// Default fills the fields Kubernetes defaults on create, for every kind Berth
// serves. It is idempotent: Default twice equals Default once. A Job's selector is
// generated only when the Job has a uid (see defaultJob).
func Default(obj Object) {
	switch o := obj.(type) {
	case *Pod:
		defaultPodSpec(&o.Spec)
	case *ReplicaSet:
		defaultReplicas(&o.Spec.Replicas)
		defaultPodSpec(&o.Spec.Template.Spec)
	case *Deployment:
		defaultDeployment(o)
	case *StatefulSet:
		defaultStatefulSet(&o.Spec)
	case *DaemonSet:
		defaultDaemonSet(&o.Spec)
	case *Job:
		defaultJob(o)
	case *PriorityClass:
		defaultPriorityClass(o)
	case *Service:
		defaultService(&o.Spec)
	case *Endpoints:
		for i := range o.Subsets {
			for j := range o.Subsets[i].Ports {
				setIfEmpty(&o.Subsets[i].Ports[j].Protocol, ProtocolTCP)
			}
		}
	case *Secret:
		defaultSecret(o)
	case *NetworkPolicy:
		defaultNetworkPolicy(o)
	case *LimitRange:
		defaultLimitRange(o)
	case *Namespace:
		setIfEmpty(&o.Status.Phase, NamespaceActive)
	}
}

func setIfEmpty(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

func int32Ptr(v int32) *int32 { return &v }
func int64Ptr(v int64) *int64 { return &v }

func defaultReplicas(r **int32) {
	if *r == nil {
		*r = int32Ptr(1)
	}
}

func defaultDeployment(d *Deployment) {
	s := &d.Spec
	defaultReplicas(&s.Replicas)
	setIfEmpty(&s.Strategy.Type, RollingUpdateDeploymentStrategyType)
	if s.Strategy.Type == RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			v := FromString("25%")
			ru.MaxUnavailable = &v
		}
		if ru.MaxSurge == nil {
			v := FromString("25%")
			ru.MaxSurge = &v
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = int32Ptr(10)
	}
	if s.ProgressDeadlineSeconds == nil {
		s.ProgressDeadlineSeconds = int32Ptr(600)
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultPodSpec(s *PodSpec) {
	setIfEmpty(&s.RestartPolicy, RestartPolicyAlways)
	setIfEmpty(&s.DNSPolicy, DNSClusterFirst)
	setIfEmpty(&s.SchedulerName, DefaultSchedulerName)
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = int64Ptr(30)
	}
	// serviceAccount is the deprecated alias: Kubernetes keeps the two in step.
	if s.ServiceAccountName == "" {
		s.ServiceAccountName = s.DeprecatedServiceAccount
	}
	if s.DeprecatedServiceAccount == "" {
		s.DeprecatedServiceAccount = s.ServiceAccountName
	}
	for i := range s.Volumes {
		defaultVolume(&s.Volumes[i])
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
}

func defaultVolume(v *Volume) {
	if volumeSourceCount(&v.VolumeSource) == 0 {
		v.EmptyDir = &EmptyDirVolumeSource{}
	}
	mode := int32(0o644)
	if v.Secret != nil && v.Secret.DefaultMode == nil {
		v.Secret.DefaultMode = int32Ptr(mode)
	}
	if v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil {
		v.ConfigMap.DefaultMode = int32Ptr(mode)
	}
	if v.HostPath != nil && v.HostPath.Type == nil {
		empty := ""
		v.HostPath.Type = &empty
	}
}

func defaultContainer(c *Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = PullIfNotPresent
		if imageTag(c.Image) == "latest" || imageTag(c.Image) == "" && !strings.Contains(c.Image, "@") {
			c.ImagePullPolicy = PullAlways
		}
	}
	setIfEmpty(&c.TerminationMessagePath, DefaultTerminationMessagePath)
	setIfEmpty(&c.TerminationMessagePolicy, TerminationMessageReadFile)
	for i := range c.Ports {
		setIfEmpty(&c.Ports[i].Protocol, ProtocolTCP)
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
	for _, f := range c.Env {
		if f.ValueFrom != nil && f.ValueFrom.FieldRef != nil && f.ValueFrom.FieldRef.APIVersion == "" {
			f.ValueFrom.FieldRef.APIVersion = "v1"
		}
	}
	// Kubernetes copies limits into missing requests: a container that only sets a
	// limit asks for that much.
	for name, q := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[name]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = ResourceList{}
			}
			c.Resources.Requests[name] = q
		}
	}
}

// imageTag is the tag of an image reference ("" when it has none). A port in the
// registry host ("host:5000/app") is not a tag.
func imageTag(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	i := strings.LastIndexByte(image, ':')
	if i < 0 || strings.Contains(image[i:], "/") {
		return ""
	}
	return image[i+1:]
}

func defaultProbe(p *Probe) {
	if p == nil {
		return
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.HTTPGet != nil {
		setIfEmpty(&p.HTTPGet.Path, "/")
		setIfEmpty(&p.HTTPGet.Scheme, "HTTP")
	}
}

func defaultService(s *ServiceSpec) {
	setIfEmpty(&s.Type, ServiceTypeClusterIP)
	if s.Type == ServiceTypeExternalName {
		// Kubernetes leaves ports and affinity alone for ExternalName services.
		setIfEmpty(&s.SessionAffinity, SessionAffinityNone)
		return
	}
	setIfEmpty(&s.SessionAffinity, SessionAffinityNone)
	if s.SessionAffinity == SessionAffinityClientIP {
		if s.SessionAffinityConfig == nil {
			s.SessionAffinityConfig = &SessionAffinityConfig{}
		}
		if s.SessionAffinityConfig.ClientIP == nil {
			s.SessionAffinityConfig.ClientIP = &ClientIPConfig{}
		}
		if s.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			s.SessionAffinityConfig.ClientIP.TimeoutSeconds = int32Ptr(10800)
		}
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		setIfEmpty(&p.Protocol, ProtocolTCP)
		if p.TargetPort.IsZero() {
			p.TargetPort = FromInt(int(p.Port))
		}
	}
	if s.InternalTrafficPolicy == nil {
		cluster := "Cluster"
		s.InternalTrafficPolicy = &cluster
	}
	if (s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer) && s.ExternalTrafficPolicy == "" {
		s.ExternalTrafficPolicy = "Cluster"
	}
}

func defaultSecret(s *Secret) {
	setIfEmpty(&s.Type, SecretTypeOpaque)
	if len(s.StringData) > 0 && s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
