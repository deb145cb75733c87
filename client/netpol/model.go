package netpol

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
)

// Cluster is the state the rules are computed from: every NetworkPolicy, every
// Pod (their IPs and labels make the peers) and the labels of every Namespace.
type Cluster struct {
	Policies []*api.NetworkPolicy
	Pods     []*api.Pod
	// Namespaces maps a namespace's name to its labels. A namespace not in it
	// still carries the implicit kubernetes.io/metadata.name label.
	Namespaces map[string]map[string]string
}

// PodRules is what the policies allow one local pod, per direction.
type PodRules struct {
	Namespace, Name string
	IP              netip.Addr
	// Ingress and Egress are nil when no policy isolates the pod in that
	// direction (everything passes); non-nil, only their Allows pass.
	Ingress, Egress *Isolation
}

func (p PodRules) key() string { return p.Namespace + "/" + p.Name }

// Isolation lists what passes in one direction of an isolated pod; no Allows
// means nothing does.
type Isolation struct {
	Allows []Allow
}

// Allow is one permitted set of flows: from (ingress) or to (egress) any of
// Peers, on any of Ports.
type Allow struct {
	// Policy is "namespace/name" of the policy that allows it (for comments).
	Policy string
	// AllPeers: any address; else Peers (sorted, never empty).
	AllPeers bool
	Peers    []netip.Prefix
	// AllPorts: any protocol and port; else Ports (sorted, never empty).
	AllPorts bool
	Ports    []PortRange
}

// PortRange is a protocol and a range of destination ports.
type PortRange struct {
	// Protocol is "tcp", "udp" or "sctp".
	Protocol string
	// First..Last are the ports; both 0 means every port of Protocol.
	First, Last uint16
}

func (r PortRange) compare(o PortRange) int {
	return cmp.Or(cmp.Compare(r.Protocol, o.Protocol), cmp.Compare(r.First, o.First), cmp.Compare(r.Last, o.Last))
}

// podInfo is a pod as the rules see it.
type podInfo struct {
	namespace, name string
	labels          map[string]string
	ip              netip.Addr
	node            string
	// ports are the pod's named container ports: "name/PROTOCOL" → number.
	ports map[string]uint16
}

// Compute works out the rules of every pod on node: the pods with an IPv4
// address bound to it, each with the union of what the policies selecting it
// allow. It is pure, and sorted by pod, so equal input gives equal output.
// Malformed objects (a selector that does not parse, a bad CIDR) allow less,
// never more: an isolated pod stays isolated.
func Compute(c Cluster, node string) []PodRules {
	pods := indexPods(c.Pods)
	policies := slices.Clone(c.Policies)
	slices.SortFunc(policies, func(a, b *api.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	r := resolver{pods: pods, namespaces: c.Namespaces}
	var out []PodRules
	for _, p := range pods {
		if p.node != node || node == "" {
			continue
		}
		pr := PodRules{Namespace: p.namespace, Name: p.name, IP: p.ip}
		for _, np := range policies {
			if np == nil || np.Namespace != p.namespace || !selects(&np.Spec.PodSelector, p.labels) {
				continue
			}
			ingress, egress := policyTypes(&np.Spec)
			if ingress {
				pr.Ingress = isolate(pr.Ingress)
				for _, rule := range np.Spec.Ingress {
					pr.Ingress.Allows = append(pr.Ingress.Allows, r.ingress(np, rule, p)...)
				}
			}
			if egress {
				pr.Egress = isolate(pr.Egress)
				for _, rule := range np.Spec.Egress {
					pr.Egress.Allows = append(pr.Egress.Allows, r.egress(np, rule)...)
				}
			}
		}
		if pr.Ingress != nil || pr.Egress != nil {
			out = append(out, pr)
		}
	}
	return out
}

func isolate(i *Isolation) *Isolation {
	if i == nil {
		return &Isolation{}
	}
	return i
}

// policyTypes tells the directions a policy isolates, defaulting as the API
// does when the object was stored before defaulting.
func policyTypes(s *api.NetworkPolicySpec) (ingress, egress bool) {
	if len(s.PolicyTypes) == 0 {
		return true, len(s.Egress) > 0
	}
	return slices.Contains(s.PolicyTypes, api.PolicyTypeIngress), slices.Contains(s.PolicyTypes, api.PolicyTypeEgress)
}

// indexPods keeps the pods that hold an IPv4 address of their own (not host
// network, not finished), sorted by namespace and name.
func indexPods(list []*api.Pod) []*podInfo {
	var out []*podInfo
	for _, p := range list {
		if p == nil || p.Spec.HostNetwork || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !ip.Is4() {
			continue
		}
		info := &podInfo{namespace: p.Namespace, name: p.Name, labels: p.Labels, ip: ip, node: p.Spec.NodeName,
			ports: map[string]uint16{}}
		for _, ctr := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			for _, port := range ctr.Ports {
				if port.Name != "" && port.ContainerPort > 0 && port.ContainerPort <= 65535 {
					info.ports[port.Name+"/"+protocolOr(port.Protocol)] = uint16(port.ContainerPort)
				}
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *podInfo) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	return out
}

// protocolOr is a Kubernetes protocol in upper case, TCP when empty.
func protocolOr(p string) string {
	if p == "" {
		return api.ProtocolTCP
	}
	return strings.ToUpper(p)
}

// selects reports whether sel matches labels; a selector that does not
// parse matches nothing.
func selects(sel *api.LabelSelector, labels map[string]string) bool {
	s, err := sel.AsSelector()
	return err == nil && s.Matches(labels)
}
