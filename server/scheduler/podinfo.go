package scheduler

import (
	"strings"

	"github.com/berth-dev/berth/api"
)

// Kubernetes' "non-zero" defaults: a container that requests no cpu or memory still
// counts this much when nodes are scored, so best-effort pods do not all pile onto
// one node. Filtering uses the real (zero) request.
const (
	defaultMilliCPURequest = 100               // 0.1 core
	defaultMemoryRequest   = 200 * 1024 * 1024 // 200 MiB
)

// Well-known labels and taints.
const (
	labelHostname          = "kubernetes.io/hostname"
	labelZone              = "topology.kubernetes.io/zone"
	taintUnschedulable     = "node.kubernetes.io/unschedulable"
	preemptNever           = "Never"
	defaultPodsPerNode     = 110
	hardPodAffinityWeight  = 1
	nodeFieldMetadataName  = "metadata.name"
	protocolTCP            = "TCP"
	wildcardHostIP         = "0.0.0.0"
	defaultSpreadHostSkew  = 3
	defaultSpreadZoneSkew  = 5
	whenUnsatisfiableNoSch = "DoNotSchedule"
)

// resources are the two quantities Berth schedules on besides the pod count.
type resources struct {
	milliCPU int64
	memory   int64
}

func (r *resources) add(o resources) { r.milliCPU += o.milliCPU; r.memory += o.memory }
func (r *resources) sub(o resources) { r.milliCPU -= o.milliCPU; r.memory -= o.memory }

// hostPort is one (ip, protocol, port) a pod claims on its node.
type hostPort struct {
	ip       string
	protocol string
	port     int32
}

// conflicts reports whether two claims collide: same protocol and port, and the
// same address or either one the wildcard.
func (p hostPort) conflicts(o hostPort) bool {
	return p.port == o.port && p.protocol == o.protocol &&
		(p.ip == o.ip || p.ip == wildcardHostIP || o.ip == wildcardHostIP)
}

// affinityTerm is a parsed PodAffinityTerm.
type affinityTerm struct {
	sel         api.Selector
	namespaces  map[string]bool // nil with allNS false: only the pod's own namespace
	allNS       bool
	topologyKey string
	weight      int64 // preferred terms only
}

// matches reports whether pod q (labels, namespace) is selected by the term.
func (t *affinityTerm) matches(q *podInfo) bool {
	if !t.allNS && !t.namespaces[q.pod.Namespace] {
		return false
	}
	return t.sel.Matches(q.pod.Labels)
}

// podInfo is what the scheduler derives once from a pod.
type podInfo struct {
	pod      *api.Pod
	uid      string
	priority int32
	req      resources // for filtering
	nonzero  resources // for scoring
	ports    []hostPort
	owner    string // the controller ownerReference's uid, "" when none
	images   []string

	reqAffinity, reqAnti   []affinityTerm
	prefAffinity, prefAnti []affinityTerm
	terminating            bool
}

func (pi *podInfo) hasAffinity() bool {
	return len(pi.reqAffinity)+len(pi.reqAnti)+len(pi.prefAffinity)+len(pi.prefAnti) > 0
}

// newPodInfo derives a podInfo; classes resolves priorityClassName (nil = none).
func newPodInfo(pod *api.Pod, classes func(string) (int32, bool)) *podInfo {
	pi := &podInfo{pod: pod, uid: podKey(pod), terminating: pod.DeletionTimestamp != nil}
	pi.priority = podPriority(pod, classes)
	pi.req, pi.nonzero = podRequests(&pod.Spec)
	for _, c := range pod.Spec.Containers {
		pi.images = append(pi.images, normalizeImage(c.Image))
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: p.HostIP, protocol: p.Protocol, port: p.HostPort}
			if hp.ip == "" {
				hp.ip = wildcardHostIP
			}
			if hp.protocol == "" {
				hp.protocol = protocolTCP
			}
			pi.ports = append(pi.ports, hp)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		pi.images = append(pi.images, normalizeImage(c.Image))
	}
	for _, o := range pod.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			pi.owner = o.UID
		}
	}
	parseAffinity(pi)
	return pi
}

// podKey identifies a pod: its uid, or namespace/name when it has none (tests).
func podKey(pod *api.Pod) string {
	if pod.UID != "" {
		return pod.UID
	}
	return pod.Namespace + "/" + pod.Name
}

// podPriority is spec.priority, else the value of its PriorityClass, else 0.
func podPriority(pod *api.Pod, classes func(string) (int32, bool)) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	if pod.Spec.PriorityClassName != "" && classes != nil {
		if v, ok := classes(pod.Spec.PriorityClassName); ok {
			return v
		}
	}
	return 0
}

// podRequests is Kubernetes' pod request: the sum over app containers, raised to the
// largest init container, plus overhead; and the same with non-zero defaults.
func podRequests(spec *api.PodSpec) (req, nonzero resources) {
	for _, c := range spec.Containers {
		r, nz := containerRequests(c.Resources.Requests)
		req.add(r)
		nonzero.add(nz)
	}
	for _, c := range spec.InitContainers {
		r, nz := containerRequests(c.Resources.Requests)
		req.milliCPU = max(req.milliCPU, r.milliCPU)
		req.memory = max(req.memory, r.memory)
		nonzero.milliCPU = max(nonzero.milliCPU, nz.milliCPU)
		nonzero.memory = max(nonzero.memory, nz.memory)
	}
	if spec.Overhead != nil {
		o := resources{spec.Overhead.Cpu().MilliValue(), spec.Overhead.Memory().Value()}
		req.add(o)
		nonzero.add(o)
	}
	return req, nonzero
}

func containerRequests(l api.ResourceList) (req, nonzero resources) {
	cpu, hasCPU := l[api.ResourceCPU]
	mem, hasMem := l[api.ResourceMemory]
	req = resources{cpu.MilliValue(), mem.Value()}
	nonzero = req
	if !hasCPU {
		nonzero.milliCPU = defaultMilliCPURequest
	}
	if !hasMem {
		nonzero.memory = defaultMemoryRequest
	}
	return req, nonzero
}

// normalizeImage makes "nginx" and "docker.io/library/nginx:latest" the same name.
func normalizeImage(image string) string {
	image = strings.TrimPrefix(image, "docker.io/")
	image = strings.TrimPrefix(image, "library/")
	if strings.Contains(image, "@") {
		return image
	}
	if !strings.Contains(image[strings.LastIndex(image, "/")+1:], ":") {
		image += ":latest"
	}
	return image
}

// parseAffinity parses the pod's affinity terms once. A selector that does not
// parse selects nothing (admission rejects such pods; this is defence only).
func parseAffinity(pi *podInfo) {
	a := pi.pod.Spec.Affinity
	if a == nil {
		return
	}
	if pa := a.PodAffinity; pa != nil {
		pi.reqAffinity = parseTerms(pi.pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, nil)
		pi.prefAffinity = parseTerms(pi.pod, nil, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		pi.reqAnti = parseTerms(pi.pod, pa.RequiredDuringSchedulingIgnoredDuringExecution, nil)
		pi.prefAnti = parseTerms(pi.pod, nil, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

func parseTerms(pod *api.Pod, req []api.PodAffinityTerm, pref []api.WeightedPodAffinityTerm) []affinityTerm {
	var out []affinityTerm
	for _, t := range req {
		out = append(out, parseTerm(pod, t, 0))
	}
	for _, w := range pref {
		out = append(out, parseTerm(pod, w.PodAffinityTerm, int64(w.Weight)))
	}
	return out
}

// parseTerm: namespaces listed, plus every namespace when namespaceSelector is {}
// (a non-empty namespaceSelector needs namespace labels, which State does not
// carry: it adds nothing); none of either means the pod's own namespace.
func parseTerm(pod *api.Pod, t api.PodAffinityTerm, weight int64) affinityTerm {
	sel, err := t.LabelSelector.AsSelector()
	if err != nil {
		sel = api.Nothing()
	}
	at := affinityTerm{sel: sel, topologyKey: t.TopologyKey, weight: weight}
	if ns := t.NamespaceSelector; ns != nil && len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0 {
		at.allNS = true
	}
	if len(t.Namespaces) > 0 {
		at.namespaces = make(map[string]bool, len(t.Namespaces))
		for _, n := range t.Namespaces {
			at.namespaces[n] = true
		}
	} else if t.NamespaceSelector == nil {
		at.namespaces = map[string]bool{pod.Namespace: true}
	}
	return at
}
