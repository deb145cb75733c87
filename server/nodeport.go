package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-dev/berth/api"
)

// portRange is the node port range, both ends included.
type portRange struct{ min, max int32 }

func (r portRange) String() string { return fmt.Sprintf("%d-%d", r.min, r.max) }

func (r portRange) contains(p int32) bool { return p >= r.min && p <= r.max }

// parsePortRange reads "30000-32767" or, as Kubernetes also allows, "30000+2767".
func parsePortRange(s string) (portRange, error) {
	bad := fmt.Errorf("server: --service-node-port-range %q is not a port range (e.g. 30000-32767)", s)
	sep := strings.IndexAny(s, "-+")
	if sep < 0 {
		return portRange{}, bad
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(s[:sep]), 10, 32)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(s[sep+1:]), 10, 32)
	if err1 != nil || err2 != nil {
		return portRange{}, bad
	}
	if s[sep] == '+' {
		hi += lo
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return portRange{}, fmt.Errorf("server: --service-node-port-range %q must lie within 1-65535, low end first", s)
	}
	return portRange{int32(lo), int32(hi)}, nil
}

// nodePortAllocator hands out node ports to NodePort (and LoadBalancer) Services on
// the leader, with the reserve/release pattern of serviceIPAllocator: the stored
// Services are the truth, inFlight covers writes not applied yet. A port is held
// cluster-wide whatever its protocol, as in Kubernetes.
type nodePortAllocator struct {
	ports portRange

	mu       sync.Mutex
	inFlight map[int32]bool
	next     int32 // where the next search starts; moves past each port handed out
}

func newNodePortAllocator(r portRange) *nodePortAllocator {
	return &nodePortAllocator{ports: r, inFlight: map[int32]bool{}, next: r.min}
}

// portRequest is one port of a Service to reserve: want (0: any free one) and the
// index of the Service port it is for, which an error names.
type portRequest struct {
	index int
	want  int32
}

// reserve gives every request a port, all or nothing: a wanted port must be in the
// range and free; the others get the next free ports. held lists the node ports of
// the stored Services (without the Service being updated); it is called under the
// lock. On failure the error names the first port refused. The caller must release
// the ports once its proposal has returned.
func (a *nodePortAllocator) reserve(svc *api.Service, reqs []portRequest, held func() []int32) ([]int32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	taken := map[int32]bool{}
	for _, p := range held() {
		taken[p] = true
	}
	for p := range a.inFlight {
		taken[p] = true
	}
	out := make([]int32, len(reqs))
	mine := map[int32]bool{} // ports this Service wants more than once (TCP and UDP alike)
	for i, r := range reqs {
		if r.want == 0 {
			continue
		}
		field := fmt.Sprintf("spec.ports[%d].nodePort", r.index)
		switch {
		case !a.ports.contains(r.want):
			return nil, invalidService(svc, field, "Invalid value", r.want,
				"provided port is not in the valid range. The range of valid ports is "+a.ports.String())
		case taken[r.want] && !mine[r.want]:
			return nil, invalidService(svc, field, "Invalid value", r.want, "provided port is already allocated")
		}
		out[i], taken[r.want], mine[r.want] = r.want, true, true
	}
	n := a.ports.max - a.ports.min + 1
	cursor := a.next
	for i, r := range reqs {
		if r.want != 0 {
			continue
		}
		found := false
		for j := range n {
			p := a.ports.min + (cursor-a.ports.min+j)%n
			if !taken[p] {
				out[i], taken[p], found = p, true, true
				cursor = p + 1
				break
			}
		}
		if !found {
			return nil, invalidService(svc, fmt.Sprintf("spec.ports[%d].nodePort", r.index), "Forbidden", nil,
				fmt.Sprintf("every port of the node port range %s is allocated; delete a NodePort Service or run the servers with a wider --service-node-port-range", a.ports))
		}
	}
	for _, p := range out {
		a.inFlight[p] = true
	}
	if cursor > a.ports.max {
		cursor = a.ports.min
	}
	a.next = cursor
	return out, nil
}

// release forgets in-flight ports.
func (a *nodePortAllocator) release(ports []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ports {
		delete(a.inFlight, p)
	}
}

// heldNodePorts lists the node ports of the stored Services but one (namespace/name,
// the Service being updated, whose own ports are its to keep).
func (s *Server) heldNodePorts(exceptNS, exceptName string) []int32 {
	var out []int32
	s.eachStoredService(func(svc *api.Service) {
		if svc.Namespace == exceptNS && svc.Name == exceptName {
			return
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				out = append(out, p.NodePort)
			}
		}
		if svc.Spec.HealthCheckNodePort != 0 {
			out = append(out, svc.Spec.HealthCheckNodePort)
		}
	})
	return out
}
