package api

import (
	"fmt"
	"net/netip"
	"strings"
)

// validatePodSpec checks a pod spec at path ("spec" or "spec.template.spec").
// inTemplate adds the rules of controller templates (restartPolicy Always).
func validatePodSpec(l *errs, path string, s *PodSpec, inTemplate bool) {
	volumes := validateVolumes(l, path+".volumes", s.Volumes)
	if len(s.Containers) == 0 {
		l.required(path+".containers", "")
	}
	names := map[string]bool{}
	for i := range s.InitContainers {
		validateContainer(l, fmt.Sprintf("%s.initContainers[%d]", path, i), &s.InitContainers[i], volumes, names)
	}
	for i := range s.Containers {
		validateContainer(l, fmt.Sprintf("%s.containers[%d]", path, i), &s.Containers[i], volumes, names)
	}
	if inTemplate {
		l.oneOf(path+".restartPolicy", s.RestartPolicy, true, RestartPolicyAlways)
	} else {
		l.oneOf(path+".restartPolicy", s.RestartPolicy, true, RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever)
	}
	l.oneOf(path+".dnsPolicy", s.DNSPolicy, true, DNSClusterFirst, DNSClusterFirstWithHostNet, DNSDefault, DNSNone)
	if s.DNSPolicy == DNSNone && (s.DNSConfig == nil || len(s.DNSConfig.Nameservers) == 0) {
		l.required(path+".dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None")
	}
	if s.TerminationGracePeriodSeconds != nil {
		l.nonNegative(path+".terminationGracePeriodSeconds", *s.TerminationGracePeriodSeconds)
	}
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		l.invalid(path+".activeDeadlineSeconds", *s.ActiveDeadlineSeconds, "must be greater than 0")
	}
	validateLabels(l, path+".nodeSelector", s.NodeSelector)
	if s.NodeName != "" {
		l.name(path+".nodeName", s.NodeName, isDNS1123Subdomain)
	}
	if s.ServiceAccountName != "" {
		l.name(path+".serviceAccountName", s.ServiceAccountName, isDNS1123Subdomain)
	}
	if s.Hostname != "" {
		l.name(path+".hostname", s.Hostname, isDNS1123Label)
	}
	if s.Subdomain != "" {
		l.name(path+".subdomain", s.Subdomain, isDNS1123Label)
	}
	for i, ref := range s.ImagePullSecrets {
		if ref.Name == "" {
			l.required(fmt.Sprintf("%s.imagePullSecrets[%d].name", path, i), "")
		}
	}
	validateTolerations(l, path+".tolerations", s.Tolerations)
	validateAffinity(l, path+".affinity", s.Affinity)
	if s.PreemptionPolicy != nil {
		l.oneOf(path+".preemptionPolicy", *s.PreemptionPolicy, false, "PreemptLowerPriority", "Never")
	}
	for i, h := range s.HostAliases {
		if _, err := netip.ParseAddr(h.IP); err != nil {
			l.invalid(fmt.Sprintf("%s.hostAliases[%d].ip", path, i), h.IP, "must be a valid IP address")
		}
	}
	if s.HostNetwork {
		validateHostNetworkPorts(l, path, s)
	}
}

// volumeSourceCount counts the sources a volume sets (exactly one is valid).
func volumeSourceCount(v *VolumeSource) int {
	n := 0
	for _, set := range []bool{v.EmptyDir != nil, v.HostPath != nil, v.Secret != nil, v.ConfigMap != nil,
		v.PersistentVolumeClaim != nil, v.Projected != nil, v.DownwardAPI != nil} {
		if set {
			n++
		}
	}
	for _, raw := range [][]byte{v.NFS, v.CSI, v.Ephemeral, v.ISCSI, v.Glusterfs, v.RBD, v.CephFS, v.Cinder,
		v.FC, v.Flocker, v.FlexVolume, v.AzureFile, v.AzureDisk, v.VsphereVolume, v.Quobyte,
		v.PhotonPersistentDisk, v.PortworxVolume, v.ScaleIO, v.StorageOS, v.GCEPersistentDisk,
		v.AWSElasticBlockStore, v.GitRepo} {
		if len(raw) > 0 && string(raw) != "null" {
			n++
		}
	}
	return n
}

// validateVolumes checks the pod's volumes and returns their names for the mounts.
func validateVolumes(l *errs, path string, vols []Volume) map[string]bool {
	names := map[string]bool{}
	for i := range vols {
		v := &vols[i]
		f := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case v.Name == "":
			l.required(f+".name", "")
		case names[v.Name]:
			l.duplicate(f+".name", v.Name)
		default:
			l.name(f+".name", v.Name, isDNS1123Label)
		}
		names[v.Name] = true
		switch n := volumeSourceCount(&v.VolumeSource); {
		case n == 0:
			l.required(f, "must specify a volume type")
		case n > 1:
			l.forbidden(f, "may not specify more than 1 volume type")
		}
		validateVolumeSource(l, f, &v.VolumeSource)
	}
	return names
}

func validateVolumeSource(l *errs, f string, v *VolumeSource) {
	if v.HostPath != nil && v.HostPath.Path == "" {
		l.required(f+".hostPath.path", "")
	}
	if v.Secret != nil && v.Secret.SecretName == "" {
		l.required(f+".secret.secretName", "")
	}
	if v.ConfigMap != nil && v.ConfigMap.Name == "" {
		l.required(f+".configMap.name", "")
	}
	if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "" {
		l.required(f+".persistentVolumeClaim.claimName", "")
	}
	if v.EmptyDir != nil {
		l.oneOf(f+".emptyDir.medium", v.EmptyDir.Medium, true, "Memory", "HugePages")
	}
	var items []KeyToPath
	if v.Secret != nil {
		items = v.Secret.Items
	} else if v.ConfigMap != nil {
		items = v.ConfigMap.Items
	}
	for i, it := range items {
		g := fmt.Sprintf("%s.items[%d]", f, i)
		if it.Key == "" {
			l.required(g+".key", "")
		}
		if it.Path == "" {
			l.required(g+".path", "")
		} else if strings.HasPrefix(it.Path, "/") || strings.Contains("/"+it.Path+"/", "/../") {
			l.invalid(g+".path", it.Path, "must be a relative path without '..'")
		}
	}
}

// validateContainer checks one container; names collects container names across
// init and app containers, which must be unique together.
func validateContainer(l *errs, f string, c *Container, volumes map[string]bool, names map[string]bool) {
	switch {
	case c.Name == "":
		l.required(f+".name", "")
	case names[c.Name]:
		l.duplicate(f+".name", c.Name)
	default:
		l.name(f+".name", c.Name, isDNS1123Label)
	}
	names[c.Name] = true
	if strings.TrimSpace(c.Image) == "" {
		l.required(f+".image", "")
	} else if c.Image != strings.TrimSpace(c.Image) {
		l.invalid(f+".image", c.Image, "must not have leading or trailing whitespace")
	}
	l.oneOf(f+".imagePullPolicy", c.ImagePullPolicy, true, PullAlways, PullIfNotPresent, PullNever)
	l.oneOf(f+".terminationMessagePolicy", c.TerminationMessagePolicy, true, TerminationMessageReadFile, TerminationMessageFallbackToLogs)
	validateContainerPorts(l, f+".ports", c.Ports)
	validateEnv(l, f, c)
	validateResources(l, f+".resources", &c.Resources)
	validateMounts(l, f+".volumeMounts", c.VolumeMounts, volumes)
	validateProbe(l, f+".livenessProbe", c.LivenessProbe, true)
	validateProbe(l, f+".readinessProbe", c.ReadinessProbe, false)
	validateProbe(l, f+".startupProbe", c.StartupProbe, true)
}

func validateContainerPorts(l *errs, f string, ports []ContainerPort) {
	names := map[string]bool{}
	for i, p := range ports {
		g := fmt.Sprintf("%s[%d]", f, i)
		if p.Name != "" {
			l.name(g+".name", p.Name, isIANASvcName)
			if names[p.Name] {
				l.duplicate(g+".name", p.Name)
			}
			names[p.Name] = true
		}
		if p.ContainerPort == 0 {
			l.required(g+".containerPort", "")
		} else {
			l.portNumber(g+".containerPort", p.ContainerPort)
		}
		if p.HostPort != 0 {
			l.portNumber(g+".hostPort", p.HostPort)
		}
		l.oneOf(g+".protocol", p.Protocol, true, ProtocolSCTP, ProtocolTCP, ProtocolUDP)
		if p.HostIP != "" {
			if _, err := netip.ParseAddr(p.HostIP); err != nil {
				l.invalid(g+".hostIP", p.HostIP, "must be a valid IP address")
			}
		}
	}
}

func validateHostNetworkPorts(l *errs, path string, s *PodSpec) {
	for i, c := range s.Containers {
		for j, p := range c.Ports {
			if p.HostPort != 0 && p.HostPort != p.ContainerPort {
				l.invalid(fmt.Sprintf("%s.containers[%d].ports[%d].hostPort", path, i, j), p.HostPort,
					"must match `containerPort` when `hostNetwork` is true")
			}
		}
	}
}

func validateEnv(l *errs, f string, c *Container) {
	for i, e := range c.Env {
		g := fmt.Sprintf("%s.env[%d]", f, i)
		if e.Name == "" {
			l.required(g+".name", "")
		} else {
			l.name(g+".name", e.Name, isEnvVarName)
		}
		if e.ValueFrom == nil {
			continue
		}
		src := e.ValueFrom
		n := 0
		for _, set := range []bool{src.FieldRef != nil, src.ResourceFieldRef != nil, src.ConfigMapKeyRef != nil, src.SecretKeyRef != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			l.invalid(g+".valueFrom", "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
		case n > 1:
			l.invalid(g+".valueFrom", "", "may not have more than one field specified at a time")
		case e.Value != "":
			l.invalid(g+".valueFrom", "", "may not be specified when `value` is not empty")
		}
		if r := src.ConfigMapKeyRef; r != nil && (r.Key == "" || r.Name == "") {
			l.required(g+".valueFrom.configMapKeyRef", "name and key are required")
		}
		if r := src.SecretKeyRef; r != nil && (r.Key == "" || r.Name == "") {
			l.required(g+".valueFrom.secretKeyRef", "name and key are required")
		}
		if r := src.FieldRef; r != nil && r.FieldPath == "" {
			l.required(g+".valueFrom.fieldRef.fieldPath", "")
		}
		if r := src.ResourceFieldRef; r != nil && r.Resource == "" {
			l.required(g+".valueFrom.resourceFieldRef.resource", "")
		}
	}
	for i, e := range c.EnvFrom {
		g := fmt.Sprintf("%s.envFrom[%d]", f, i)
		if (e.ConfigMapRef == nil) == (e.SecretRef == nil) {
			l.invalid(g, "", "must specify exactly one of: `configMapRef` or `secretRef`")
		}
		if e.Prefix != "" {
			l.name(g+".prefix", e.Prefix, isEnvVarName)
		}
	}
}

// validateResources checks resource names, non-negative amounts and limit ≥ request.
func validateResources(l *errs, f string, r *ResourceRequirements) {
	for _, part := range []struct {
		name string
		list ResourceList
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, k := range sortedStringKeys(part.list) {
			g := f + "." + part.name + "[" + k + "]"
			l.name(g, k, isQualifiedName)
			if q := part.list[k]; q.Cmp(Quantity{}) < 0 {
				l.invalid(g, q, "must be greater than or equal to 0")
			}
		}
	}
	for _, k := range sortedStringKeys(r.Requests) {
		limit, ok := r.Limits[k]
		if req := r.Requests[k]; ok && req.Cmp(limit) > 0 {
			l.invalid(f+".requests", req, fmt.Sprintf("must be less than or equal to %s limit of %s", k, limit.String()))
		}
	}
}

func validateMounts(l *errs, f string, mounts []VolumeMount, volumes map[string]bool) {
	paths := map[string]bool{}
	for i, m := range mounts {
		g := fmt.Sprintf("%s[%d]", f, i)
		switch {
		case m.Name == "":
			l.required(g+".name", "")
		case !volumes[m.Name]:
			l.notFound(g+".name", m.Name)
		}
		switch {
		case m.MountPath == "":
			l.required(g+".mountPath", "")
		case paths[m.MountPath]:
			l.invalid(g+".mountPath", m.MountPath, "must be unique")
		}
		paths[m.MountPath] = true
		if strings.HasPrefix(m.SubPath, "/") || strings.Contains("/"+m.SubPath+"/", "/../") {
			l.invalid(g+".subPath", m.SubPath, "must be a relative path without '..'")
		}
	}
}

// validateProbe checks one probe; oneSuccess is for liveness and startup probes,
// whose successThreshold must be 1.
func validateProbe(l *errs, f string, p *Probe, oneSuccess bool) {
	if p == nil {
		return
	}
	n := 0
	if p.Exec != nil {
		n++
	}
	if p.HTTPGet != nil {
		n++
		validatePortRef(l, f+".httpGet.port", p.HTTPGet.Port)
		l.oneOf(f+".httpGet.scheme", p.HTTPGet.Scheme, true, "HTTP", "HTTPS")
	}
	if p.TCPSocket != nil {
		n++
		validatePortRef(l, f+".tcpSocket.port", p.TCPSocket.Port)
	}
	if p.GRPC != nil {
		n++
		l.portNumber(f+".grpc.port", p.GRPC.Port)
	}
	switch {
	case n == 0:
		l.required(f, "must specify a handler type")
	case n > 1:
		l.forbidden(f, "may not specify more than 1 handler type")
	}
	l.nonNegative(f+".initialDelaySeconds", int64(p.InitialDelaySeconds))
	l.nonNegative(f+".timeoutSeconds", int64(p.TimeoutSeconds))
	l.nonNegative(f+".periodSeconds", int64(p.PeriodSeconds))
	l.nonNegative(f+".successThreshold", int64(p.SuccessThreshold))
	l.nonNegative(f+".failureThreshold", int64(p.FailureThreshold))
	if oneSuccess && p.SuccessThreshold > 1 {
		l.invalid(f+".successThreshold", p.SuccessThreshold, "must be 1")
	}
	if p.TerminationGracePeriodSeconds != nil && *p.TerminationGracePeriodSeconds <= 0 {
		l.invalid(f+".terminationGracePeriodSeconds", *p.TerminationGracePeriodSeconds, "must be greater than 0")
	}
}

// validatePortRef checks a port given as a number or a container port name.
func validatePortRef(l *errs, f string, p IntOrString) {
	if p.Type == TypeString {
		l.name(f, p.StrVal, isIANASvcName)
		return
	}
	l.portNumber(f, p.IntVal)
}

func validateTolerations(l *errs, f string, ts []Toleration) {
	for i, t := range ts {
		g := fmt.Sprintf("%s[%d]", f, i)
		if t.Key != "" {
			l.name(g+".key", t.Key, isQualifiedName)
		}
		switch t.Operator {
		case "", "Equal":
			if t.Key == "" {
				l.invalid(g+".operator", t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"")
			}
			l.name(g+".value", t.Value, isLabelValue)
		case "Exists":
			if t.Value != "" {
				l.invalid(g+".operator", t.Operator, "value must be empty when `operator` is 'Exists'")
			}
		default:
			l.unsupported(g+".operator", t.Operator, "Equal", "Exists")
		}
		l.oneOf(g+".effect", t.Effect, true, TaintNoExecute, TaintNoSchedule, TaintPreferNoSchedule)
		if t.TolerationSeconds != nil && t.Effect != TaintNoExecute {
			l.invalid(g+".effect", t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set")
		}
	}
}
