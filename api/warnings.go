package api

import (
	"fmt"
)

// The fields Berth accepts but does not act on yet. Each table is the one place to
// shrink when a feature lands: delete its row and the warning goes away.

// podSpecIgnored lists pod-level fields, by path under the pod spec.
var podSpecIgnored = []struct {
	field string
	set   func(*PodSpec) bool
}{
	{"securityContext", func(s *PodSpec) bool { return s.SecurityContext != nil }},
	{"dnsConfig", func(s *PodSpec) bool { return s.DNSConfig != nil }},
	{"hostAliases", func(s *PodSpec) bool { return len(s.HostAliases) > 0 }},
	{"readinessGates", func(s *PodSpec) bool { return len(s.ReadinessGates) > 0 }},
	{"topologySpreadConstraints", func(s *PodSpec) bool { return len(s.TopologySpreadConstraints) > 0 }},
	{"overhead", func(s *PodSpec) bool { return len(s.Overhead) > 0 }},
	{"runtimeClassName", func(s *PodSpec) bool { return s.RuntimeClassName != nil }},
	{"ephemeralContainers", func(s *PodSpec) bool { return rawSet(s.EphemeralContainers) }},
	{"resourceClaims", func(s *PodSpec) bool { return rawSet(s.ResourceClaims) }},
	{"schedulingGates", func(s *PodSpec) bool { return len(s.SchedulingGates) > 0 }},
	{"hostPID", func(s *PodSpec) bool { return s.HostPID }},
	{"hostIPC", func(s *PodSpec) bool { return s.HostIPC }},
	{"shareProcessNamespace", func(s *PodSpec) bool { return s.ShareProcessNamespace != nil && *s.ShareProcessNamespace }},
	{"hostUsers", func(s *PodSpec) bool { return s.HostUsers != nil }},
	{"os", func(s *PodSpec) bool { return s.OS != nil && s.OS.Name != "linux" }},
}

// containerIgnored lists container fields, by path under the container.
var containerIgnored = []struct {
	field string
	set   func(*Container) bool
}{
	{"securityContext", func(c *Container) bool { return c.SecurityContext != nil }},
	{"lifecycle", func(c *Container) bool { return c.Lifecycle != nil }},
	{"livenessProbe.grpc", func(c *Container) bool { return c.LivenessProbe != nil && c.LivenessProbe.GRPC != nil }},
	{"readinessProbe.grpc", func(c *Container) bool { return c.ReadinessProbe != nil && c.ReadinessProbe.GRPC != nil }},
	{"startupProbe.grpc", func(c *Container) bool { return c.StartupProbe != nil && c.StartupProbe.GRPC != nil }},
	{"resizePolicy", func(c *Container) bool { return len(c.ResizePolicy) > 0 }},
	{"volumeDevices", func(c *Container) bool { return len(c.VolumeDevices) > 0 }},
	{"resources.claims", func(c *Container) bool { return len(c.Resources.Claims) > 0 }},
	{"restartPolicy", func(c *Container) bool { return c.RestartPolicy != nil }},
}

// volumeIgnored lists volume sources Berth has no driver for, by path under the volume.
var volumeIgnored = []struct {
	field string
	set   func(*VolumeSource) bool
}{
	{"persistentVolumeClaim", func(v *VolumeSource) bool { return v.PersistentVolumeClaim != nil }},
	{"projected", func(v *VolumeSource) bool { return v.Projected != nil }},
	{"downwardAPI", func(v *VolumeSource) bool { return v.DownwardAPI != nil }},
	{"nfs", func(v *VolumeSource) bool { return rawSet(v.NFS) }},
	{"csi", func(v *VolumeSource) bool { return rawSet(v.CSI) }},
	{"ephemeral", func(v *VolumeSource) bool { return rawSet(v.Ephemeral) }},
	{"iscsi", func(v *VolumeSource) bool { return rawSet(v.ISCSI) }},
	{"glusterfs", func(v *VolumeSource) bool { return rawSet(v.Glusterfs) }},
	{"rbd", func(v *VolumeSource) bool { return rawSet(v.RBD) }},
	{"cephfs", func(v *VolumeSource) bool { return rawSet(v.CephFS) }},
	{"cinder", func(v *VolumeSource) bool { return rawSet(v.Cinder) }},
	{"fc", func(v *VolumeSource) bool { return rawSet(v.FC) }},
	{"flocker", func(v *VolumeSource) bool { return rawSet(v.Flocker) }},
	{"flexVolume", func(v *VolumeSource) bool { return rawSet(v.FlexVolume) }},
	{"azureFile", func(v *VolumeSource) bool { return rawSet(v.AzureFile) }},
	{"azureDisk", func(v *VolumeSource) bool { return rawSet(v.AzureDisk) }},
	{"vsphereVolume", func(v *VolumeSource) bool { return rawSet(v.VsphereVolume) }},
	{"quobyte", func(v *VolumeSource) bool { return rawSet(v.Quobyte) }},
	{"photonPersistentDisk", func(v *VolumeSource) bool { return rawSet(v.PhotonPersistentDisk) }},
	{"portworxVolume", func(v *VolumeSource) bool { return rawSet(v.PortworxVolume) }},
	{"scaleIO", func(v *VolumeSource) bool { return rawSet(v.ScaleIO) }},
	{"storageos", func(v *VolumeSource) bool { return rawSet(v.StorageOS) }},
	{"gcePersistentDisk", func(v *VolumeSource) bool { return rawSet(v.GCEPersistentDisk) }},
	{"awsElasticBlockStore", func(v *VolumeSource) bool { return rawSet(v.AWSElasticBlockStore) }},
	{"gitRepo", func(v *VolumeSource) bool { return rawSet(v.GitRepo) }},
}

// serviceIgnored lists Service fields, by path under the service spec.
var serviceIgnored = []struct {
	field string
	set   func(*ServiceSpec) bool
}{
	{"type", func(s *ServiceSpec) bool { return s.Type == ServiceTypeLoadBalancer }},
	{"externalIPs", func(s *ServiceSpec) bool { return len(s.ExternalIPs) > 0 }},
	{"loadBalancerIP", func(s *ServiceSpec) bool { return s.LoadBalancerIP != "" }},
	{"loadBalancerSourceRanges", func(s *ServiceSpec) bool { return len(s.LoadBalancerSourceRanges) > 0 }},
	{"loadBalancerClass", func(s *ServiceSpec) bool { return s.LoadBalancerClass != nil }},
	{"healthCheckNodePort", func(s *ServiceSpec) bool { return s.HealthCheckNodePort != 0 }},
	{"allocateLoadBalancerNodePorts", func(s *ServiceSpec) bool { return s.AllocateLoadBalancerNodePorts != nil }},
	{"externalTrafficPolicy", func(s *ServiceSpec) bool { return s.ExternalTrafficPolicy == "Local" }},
	{"internalTrafficPolicy", func(s *ServiceSpec) bool {
		return s.InternalTrafficPolicy != nil && *s.InternalTrafficPolicy == "Local"
	}},
	{"trafficDistribution", func(s *ServiceSpec) bool { return s.TrafficDistribution != nil }},
}

func rawSet(raw []byte) bool { return len(raw) > 0 && string(raw) != "null" }

// Warnings lists the real Kubernetes fields set in obj that Berth ignores, each as
// "<field path>: not supported by Berth yet, ignored". The API sends them as Warning
// headers; the CLI prints them.
func Warnings(obj Object) []string {
	var w []string
	switch o := obj.(type) {
	case *Pod:
		w = podSpecWarnings(w, "spec", &o.Spec)
	case *ReplicaSet:
		w = podSpecWarnings(w, "spec.template.spec", &o.Spec.Template.Spec)
	case *Deployment:
		w = podSpecWarnings(w, "spec.template.spec", &o.Spec.Template.Spec)
	case *StatefulSet:
		w = statefulSetWarnings(w, o)
	case *DaemonSet:
		w = podSpecWarnings(w, "spec.template.spec", &o.Spec.Template.Spec)
	case *Job:
		w = jobWarnings(w, o)
	case *Ingress:
		w = ingressWarnings(w, o)
	case *NetworkPolicy:
		w = networkPolicyWarnings(w, o)
	case *ResourceQuota:
		w = quotaWarnings(w, o)
	case *LimitRange:
		w = limitRangeWarnings(w, o)
	case *ClusterRole:
		if o.AggregationRule != nil {
			w = append(w, ignored("aggregationRule"))
		}
	case *Service:
		for _, row := range serviceIgnored {
			if row.set(&o.Spec) {
				w = append(w, ignored("spec."+row.field))
			}
		}
	}
	return w
}

func ignored(path string) string { return path + ": not supported by Berth yet, ignored" }

func podSpecWarnings(w []string, path string, s *PodSpec) []string {
	for _, row := range podSpecIgnored {
		if row.set(s) {
			w = append(w, ignored(path+"."+row.field))
		}
	}
	for i := range s.InitContainers {
		w = containerWarnings(w, fmt.Sprintf("%s.initContainers[%d]", path, i), &s.InitContainers[i])
	}
	for i := range s.Containers {
		w = containerWarnings(w, fmt.Sprintf("%s.containers[%d]", path, i), &s.Containers[i])
	}
	for i := range s.Volumes {
		for _, row := range volumeIgnored {
			if row.set(&s.Volumes[i].VolumeSource) {
				w = append(w, ignored(fmt.Sprintf("%s.volumes[%d].%s", path, i, row.field)))
			}
		}
	}
	return w
}

func containerWarnings(w []string, path string, c *Container) []string {
	for _, row := range containerIgnored {
		if row.set(c) {
			w = append(w, ignored(path+"."+row.field))
		}
	}
	return w
}
