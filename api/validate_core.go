package api

import (
	"fmt"
	"net/netip"
)

// maxDataSize is the limit on a ConfigMap's or Secret's total data.
const maxDataSize = 1 << 20

func validateConfigMap(l *errs, cm *ConfigMap) {
	total := 0
	for _, k := range sortedStringKeys(cm.Data) {
		l.name("data["+k+"]", k, isConfigMapKey)
		total += len(k) + len(cm.Data[k])
	}
	for _, k := range sortedStringKeys(cm.BinaryData) {
		l.name("binaryData["+k+"]", k, isConfigMapKey)
		if _, dup := cm.Data[k]; dup {
			l.invalid("data["+k+"]", k, "duplicate of key present in binaryData")
		}
		total += len(k) + len(cm.BinaryData[k])
	}
	if total > maxDataSize {
		l.tooLong("data", maxDataSize)
	}
}

// secretRequiredKeys lists the keys each well-known Secret type must hold.
var secretRequiredKeys = map[string][]string{
	SecretTypeTLS:              {"tls.crt", "tls.key"},
	SecretTypeDockerConfigJSON: {".dockerconfigjson"},
	SecretTypeDockercfg:        {".dockercfg"},
	SecretTypeSSHAuth:          {"ssh-privatekey"},
}

func validateSecret(l *errs, s *Secret) {
	total := 0
	for _, k := range sortedStringKeys(s.Data) {
		l.name("data["+k+"]", k, isConfigMapKey)
		total += len(k) + len(s.Data[k])
	}
	for _, k := range sortedStringKeys(s.StringData) {
		l.name("stringData["+k+"]", k, isConfigMapKey)
		if _, merged := s.Data[k]; !merged {
			total += len(k) + len(s.StringData[k])
		}
	}
	if total > maxDataSize {
		l.tooLong("data", maxDataSize)
	}
	for _, k := range secretRequiredKeys[s.Type] {
		_, inData := s.Data[k]
		_, inString := s.StringData[k]
		if !inData && !inString {
			l.required("data["+k+"]", "")
		}
	}
	if s.Type == SecretTypeBasicAuth && len(s.Data["username"])+len(s.Data["password"])+
		len(s.StringData["username"])+len(s.StringData["password"]) == 0 {
		l.required("data", "must contain `username` or `password`")
	}
	if s.Type == SecretTypeServiceAccountToken && s.Annotations["kubernetes.io/service-account.name"] == "" {
		l.required("metadata.annotations[kubernetes.io/service-account.name]", "")
	}
}

func validateNode(l *errs, n *Node) {
	seen := map[string]bool{}
	for i, t := range n.Spec.Taints {
		f := fmt.Sprintf("spec.taints[%d]", i)
		if t.Key == "" {
			l.required(f+".key", "")
		} else {
			l.name(f+".key", t.Key, isQualifiedName)
		}
		l.name(f+".value", t.Value, isLabelValue)
		if t.Effect == "" {
			l.required(f+".effect", "")
		} else {
			l.oneOf(f+".effect", t.Effect, false, TaintNoExecute, TaintNoSchedule, TaintPreferNoSchedule)
		}
		if seen[t.Key+"\x00"+t.Effect] {
			l.duplicate(f, t.Key+":"+t.Effect)
		}
		seen[t.Key+"\x00"+t.Effect] = true
	}
	if n.Spec.PodCIDR != "" {
		validateCIDR(l, "spec.podCIDR", n.Spec.PodCIDR)
	}
	for i, c := range n.Spec.PodCIDRs {
		validateCIDR(l, fmt.Sprintf("spec.podCIDRs[%d]", i), c)
	}
	for _, part := range []struct {
		name string
		list ResourceList
	}{{"status.capacity", n.Status.Capacity}, {"status.allocatable", n.Status.Allocatable}} {
		for _, k := range sortedStringKeys(part.list) {
			l.name(part.name+"["+k+"]", k, isQualifiedName)
		}
	}
}

func validateCIDR(l *errs, f, cidr string) {
	if _, err := netip.ParsePrefix(cidr); err != nil {
		l.invalid(f, cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
	}
}

func validateEvent(l *errs, e *Event) {
	if e.InvolvedObject.Namespace != "" && e.Namespace != "" && e.InvolvedObject.Namespace != e.Namespace {
		l.invalid("involvedObject.namespace", e.InvolvedObject.Namespace, "does not match event.namespace")
	}
	l.oneOf("type", e.Type, true, EventTypeNormal, EventTypeWarning)
	if e.Count < 0 {
		l.invalid("count", e.Count, "must be greater than or equal to 0")
	}
}

func validateEndpoints(l *errs, ep *Endpoints) {
	for i, s := range ep.Subsets {
		f := fmt.Sprintf("subsets[%d]", i)
		for j, a := range s.Addresses {
			validateEndpointAddress(l, fmt.Sprintf("%s.addresses[%d]", f, j), a)
		}
		for j, a := range s.NotReadyAddresses {
			validateEndpointAddress(l, fmt.Sprintf("%s.notReadyAddresses[%d]", f, j), a)
		}
		for j, p := range s.Ports {
			g := fmt.Sprintf("%s.ports[%d]", f, j)
			if len(s.Ports) > 1 && p.Name == "" {
				l.required(g+".name", "")
			}
			if p.Name != "" {
				l.name(g+".name", p.Name, isDNS1123Label)
			}
			l.portNumber(g+".port", p.Port)
			l.oneOf(g+".protocol", p.Protocol, true, ProtocolSCTP, ProtocolTCP, ProtocolUDP)
		}
	}
}

func validateEndpointAddress(l *errs, f string, a EndpointAddress) {
	if _, err := netip.ParseAddr(a.IP); err != nil {
		l.invalid(f+".ip", a.IP, "must be a valid IP address")
	}
	if a.Hostname != "" {
		l.name(f+".hostname", a.Hostname, isDNS1123Label)
	}
	if a.NodeName != nil && *a.NodeName != "" {
		l.name(f+".nodeName", *a.NodeName, isDNS1123Subdomain)
	}
}
