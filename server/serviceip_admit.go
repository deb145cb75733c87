package server

import (
	"fmt"
	"slices"

	"github.com/berth-dev/berth/api"
)

// The values of spec.ipFamilyPolicy and spec.ipFamilies. Berth's networks are IPv4
// only: a Service is single-stack IPv4 whatever it asks for.
const (
	ipFamilyIPv4           = "IPv4"
	ipFamilyPolicySingle   = "SingleStack"
	ipFamilyPolicyPrefer   = "PreferDualStack"
	ipFamilyPolicyRequire  = "RequireDualStack"
	msgNotDualStack        = "this cluster is not configured for dual-stack services"
	msgFamilyNotConfigured = "not configured on this cluster"
)

// admitService does at create (old nil) and update what only the server can: it
// assigns the cluster IP and the node ports, checks those a user asked for against
// the configured ranges and the other Services, carries the assigned values over
// an update that leaves them out (a re-applied manifest), and fills the IP family
// fields. What it reserves goes into held, to release once the write's proposal
// has returned.
func (s *Server) admitService(old, svc *api.Service, held *reservations) error {
	if old != nil {
		carryAllocated(old, svc)
	}
	if err := checkIPFamilies(svc); err != nil {
		return err
	}
	if err := s.assignClusterIP(old, svc, held); err != nil {
		return err
	}
	return s.assignNodePorts(old, svc, held)
}

// needsClusterIP: every type but ExternalName has a cluster IP (or is headless).
func needsClusterIP(svc *api.Service) bool { return svc.Spec.Type != api.ServiceTypeExternalName }

// needsNodePorts: NodePort Services, and LoadBalancer ones unless they opt out.
func needsNodePorts(svc *api.Service) bool {
	s := &svc.Spec
	return s.Type == api.ServiceTypeNodePort ||
		s.Type == api.ServiceTypeLoadBalancer && (s.AllocateLoadBalancerNodePorts == nil || *s.AllocateLoadBalancerNodePorts)
}

// carryAllocated copies what the server assigned into an update that leaves it out,
// as Kubernetes does: the cluster IPs and IP families while the Service keeps a
// cluster IP, the node ports (matched by port name) while it keeps node ports.
// When the type changes so that they are no longer needed, the assigned values
// the user sent back unchanged are dropped (a Service turned ExternalName loses its
// cluster IP and node ports, which frees them). A Service turned ClusterIP with its
// node ports still in the request is refused by api.Validate before this runs; the
// manifest of a ClusterIP Service has none.
func carryAllocated(old, svc *api.Service) {
	o, n := &old.Spec, &svc.Spec
	switch {
	case needsClusterIP(old) && needsClusterIP(svc):
		if n.ClusterIP == "" {
			n.ClusterIP = o.ClusterIP
		}
		if len(n.ClusterIPs) == 0 {
			n.ClusterIPs = slices.Clone(o.ClusterIPs)
		}
		if len(n.IPFamilies) == 0 {
			n.IPFamilies = slices.Clone(o.IPFamilies)
		}
		if n.IPFamilyPolicy == nil && o.IPFamilyPolicy != nil {
			p := *o.IPFamilyPolicy
			n.IPFamilyPolicy = &p
		}
	case needsClusterIP(old):
		// Now ExternalName: the cluster IP is released.
		if n.ClusterIP == o.ClusterIP {
			n.ClusterIP = ""
		}
		if slices.Equal(n.ClusterIPs, o.ClusterIPs) {
			n.ClusterIPs = nil
		}
		n.IPFamilies, n.IPFamilyPolicy = nil, nil
	}
	if !needsNodePorts(old) {
		return
	}
	if !needsNodePorts(svc) {
		if svc.Spec.Type != api.ServiceTypeLoadBalancer {
			for i := range n.Ports {
				if np := n.Ports[i].NodePort; np != 0 && oldHasNodePort(o, np) {
					n.Ports[i].NodePort = 0
				}
			}
		}
		return
	}
	// Ports the new spec names itself are not carried to another port.
	used := map[int32]bool{}
	for _, p := range n.Ports {
		used[p.NodePort] = true
	}
	byName := map[string]int32{}
	for _, p := range o.Ports {
		byName[p.Name] = p.NodePort
	}
	for i := range n.Ports {
		if p := &n.Ports[i]; p.NodePort == 0 && !used[byName[p.Name]] {
			p.NodePort = byName[p.Name]
			used[p.NodePort] = true
		}
	}
}

func oldHasNodePort(o *api.ServiceSpec, np int32) bool {
	return slices.ContainsFunc(o.Ports, func(p api.ServicePort) bool { return p.NodePort == np })
}

// checkIPFamilies refuses what an IPv4-only cluster cannot give and fills the
// defaults: ipFamilies [IPv4], ipFamilyPolicy SingleStack (RequireDualStack for a
// headless Service without selector, as Kubernetes sets it). ExternalName Services
// have neither.
func checkIPFamilies(svc *api.Service) error {
	s := &svc.Spec
	if !needsClusterIP(svc) {
		s.IPFamilies, s.IPFamilyPolicy, s.ClusterIPs = nil, nil, nil
		return nil
	}
	if s.ClusterIP == "" && len(s.ClusterIPs) == 1 {
		s.ClusterIP = s.ClusterIPs[0] // Kubernetes reads either field
	}
	headlessNoSelector := s.ClusterIP == api.ClusterIPNone && len(s.Selector) == 0
	if p := s.IPFamilyPolicy; p != nil {
		switch *p {
		case ipFamilyPolicySingle, ipFamilyPolicyPrefer:
		case ipFamilyPolicyRequire:
			if !headlessNoSelector {
				return invalidService(svc, "spec.ipFamilyPolicy", "Invalid value", *p, msgNotDualStack)
			}
		default:
			return invalidService(svc, "spec.ipFamilyPolicy", "Unsupported value", *p,
				fmt.Sprintf("supported values: %q, %q, %q", ipFamilyPolicyPrefer, ipFamilyPolicyRequire, ipFamilyPolicySingle))
		}
	}
	for i, f := range s.IPFamilies {
		if f != ipFamilyIPv4 {
			return invalidService(svc, fmt.Sprintf("spec.ipFamilies[%d]", i), "Invalid value", f, msgFamilyNotConfigured)
		}
		if i > 0 {
			return invalidService(svc, fmt.Sprintf("spec.ipFamilies[%d]", i), "Duplicate value", f, "")
		}
	}
	if len(s.ClusterIPs) > 1 {
		return invalidService(svc, "spec.clusterIPs[1]", "Invalid value", s.ClusterIPs[1], msgNotDualStack)
	}
	if len(s.IPFamilies) == 0 {
		s.IPFamilies = []string{ipFamilyIPv4}
	}
	if s.IPFamilyPolicy == nil {
		p := ipFamilyPolicySingle
		if headlessNoSelector {
			p = ipFamilyPolicyRequire
		}
		s.IPFamilyPolicy = &p
	}
	return nil
}

// assignClusterIP gives a new Service (or one that stops being ExternalName) its
// cluster IP: the one asked for, checked, or the next free one.
func (s *Server) assignClusterIP(old, svc *api.Service, held *reservations) error {
	sp := &svc.Spec
	if !needsClusterIP(svc) {
		return nil
	}
	if sp.ClusterIP == api.ClusterIPNone {
		if sp.Type != api.ServiceTypeClusterIP {
			return invalidService(svc, "spec.clusterIP", "Invalid value", sp.ClusterIP, "may not be set to 'None' for "+sp.Type+" services")
		}
		sp.ClusterIPs = []string{api.ClusterIPNone}
		return nil
	}
	if old != nil && needsClusterIP(old) {
		return nil // immutable: api.ValidateUpdate refuses a change
	}
	ip, why := s.serviceIPs.reserve(sp.ClusterIP, s.heldClusterIPs)
	if why != "" {
		if sp.ClusterIP == "" {
			return invalidService(svc, "spec.clusterIP", "Forbidden", nil, why)
		}
		return invalidService(svc, "spec.clusterIP", "Invalid value", sp.ClusterIP, why)
	}
	held.add(func() { s.serviceIPs.release(ip) })
	sp.ClusterIP, sp.ClusterIPs = ip.String(), []string{ip.String()}
	return nil
}

// assignNodePorts checks the node ports asked for and gives the others one each (a
// LoadBalancer Service that opts out of node ports gets only those it asks for).
// Ports the Service held before the update are its own and need no reservation.
func (s *Server) assignNodePorts(old, svc *api.Service, held *reservations) error {
	sp := &svc.Spec
	allocate := needsNodePorts(svc)
	if !allocate && sp.Type != api.ServiceTypeLoadBalancer {
		for i, p := range sp.Ports {
			if p.NodePort != 0 {
				return invalidService(svc, fmt.Sprintf("spec.ports[%d].nodePort", i), "Forbidden", nil,
					fmt.Sprintf("may not be used when `type` is '%s'", sp.Type))
			}
		}
		return nil
	}
	type key struct {
		port     int32
		protocol string
	}
	mine := map[int32]bool{}
	if old != nil && (old.Spec.Type == api.ServiceTypeNodePort || old.Spec.Type == api.ServiceTypeLoadBalancer) {
		for _, p := range old.Spec.Ports {
			mine[p.NodePort] = p.NodePort != 0
		}
	}
	seen := map[key]bool{}
	var reqs []portRequest
	for i, p := range sp.Ports {
		if p.NodePort != 0 {
			k := key{p.NodePort, p.Protocol}
			if seen[k] {
				return invalidService(svc, fmt.Sprintf("spec.ports[%d].nodePort", i), "Duplicate value", p.NodePort, "")
			}
			seen[k] = true
			if mine[p.NodePort] {
				continue // its own already (even outside a since narrowed range)
			}
		} else if !allocate {
			continue
		}
		reqs = append(reqs, portRequest{index: i, want: p.NodePort})
	}
	if len(reqs) == 0 {
		return nil
	}
	got, err := s.nodePorts.reserve(svc, reqs, func() []int32 { return s.heldNodePorts(svc.Namespace, svc.Name) })
	if err != nil {
		return err
	}
	held.add(func() { s.nodePorts.release(got) })
	for i, r := range reqs {
		sp.Ports[r.index].NodePort = got[i]
	}
	return nil
}

// admitServiceWrite is the hook of createObject (old nil) and of an update's
// nextVersion: Services only.
func (s *Server) admitServiceWrite(old, next api.Object, held *reservations) error {
	svc, ok := next.(*api.Service)
	if !ok {
		return nil
	}
	var prev *api.Service
	if o, ok := old.(*api.Service); ok {
		prev = o
	}
	return s.admitService(prev, svc, held)
}

// serviceNetworks is what GET /v1/status tells clients about the cluster's networks.
func (s *Server) serviceNetworks() (clusterCIDR, serviceCIDR, nodePorts string) {
	return s.cidrs.cluster.String(), s.serviceIPs.cidr.String(), s.nodePorts.ports.String()
}
