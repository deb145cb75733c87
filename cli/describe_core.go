package cli

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/api"
)

func describeNamespace(d *describer, u fields) {
	phase := u.str("status", "phase")
	if phase == "" {
		phase = "Active"
	}
	d.line(0, "Status", phase)
}

func describeConfigMap(d *describer, u fields) {
	fmt.Fprintln(d.tw, "\nData\n====")
	for _, k := range sortedKeys(u.strMap("data")) {
		// Values may hold tabs; write them past the tabwriter, verbatim.
		d.raw(fmt.Sprintf("%s:\n----\n%s\n\n", k, u.str("data", k)))
	}
	if n := u.size("binaryData"); n > 0 {
		fmt.Fprintln(d.tw, "BinaryData\n====")
		for k, v := range u.strMap("binaryData") {
			fmt.Fprintf(d.tw, "%s:\t%d bytes\n", k, decodedLen(v))
		}
	}
}

// describeSecret shows sizes only: a describe output is pasted into tickets and
// chats, and a secret's value must never travel with it.
func describeSecret(d *describer, u fields) {
	typ := u.str("type")
	if typ == "" {
		typ = "Opaque"
	}
	d.line(0, "Type", typ)
	fmt.Fprintln(d.tw, "\nData\n====")
	data := u.strMap("data")
	for _, k := range sortedKeys(data) {
		fmt.Fprintf(d.tw, "%s:\t%d bytes\n", k, decodedLen(data[k]))
	}
	str := u.strMap("stringData")
	for _, k := range sortedKeys(str) {
		if _, dup := data[k]; !dup {
			fmt.Fprintf(d.tw, "%s:\t%d bytes\n", k, len(str[k]))
		}
	}
}

// decodedLen is the size of base64 data, or of the text itself if it is not base64.
func decodedLen(s string) int {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return len(b)
	}
	return len(s)
}

func describeService(d *describer, u fields) {
	d.pairs(0, "Selector", u.strMap("spec", "selector"))
	typ := u.str("spec", "type")
	if typ == "" {
		typ = "ClusterIP"
	}
	d.line(0, "Type", typ)
	d.line(0, "IP", orNone(u.str("spec", "clusterIP")))
	if ips := u.strs("spec", "externalIPs"); len(ips) > 0 {
		d.line(0, "External IPs", serviceExternalIPs(u))
	}
	for _, p := range u.list("spec", "ports") {
		proto := p.str("protocol")
		if proto == "" {
			proto = "TCP"
		}
		d.line(0, "Port", fmt.Sprintf("%s  %d/%s", orNone(p.str("name")), p.num("port"), proto))
		target := p.str("targetPort")
		if target == "" {
			target = fmt.Sprint(p.num("port"))
		}
		d.line(0, "TargetPort", target+"/"+proto)
		if np := p.num("nodePort"); np != 0 {
			d.line(0, "NodePort", fmt.Sprintf("%s  %d/%s", orNone(p.str("name")), np, proto))
		}
	}
	d.line(0, "Endpoints", d.serviceEndpoints(u))
	aff := u.str("spec", "sessionAffinity")
	if aff == "" {
		aff = "None"
	}
	d.line(0, "Session Affinity", aff)
}

// serviceEndpoints reads the service's Endpoints object, <none> if it has none yet.
func (d *describer) serviceEndpoints(u fields) string {
	res, ok := api.ResourceForKind("Endpoints")
	if !ok {
		return "<none>"
	}
	obj, err := d.c.Get(d.ctx, res, u.namespace(), u.name(), api.GetOptions{Consistent: !d.o.stale})
	if err != nil {
		return "<none>"
	}
	it, err := newItem(res, obj)
	if err != nil {
		return "<none>"
	}
	return endpointsList(it.u, 10)
}

func describeEndpoints(d *describer, u fields) {
	d.header(0, "Subsets")
	for _, s := range u.list("subsets") {
		var ready, notReady []string
		for _, a := range s.list("addresses") {
			ready = append(ready, a.str("ip"))
		}
		for _, a := range s.list("notReadyAddresses") {
			notReady = append(notReady, a.str("ip"))
		}
		d.line(1, "Addresses", orNone(strings.Join(ready, ",")))
		d.line(1, "NotReadyAddresses", orNone(strings.Join(notReady, ",")))
		d.header(1, "Ports")
		for _, p := range s.list("ports") {
			fmt.Fprintf(d.tw, "    %s\t%d\t%s\n", orNone(p.str("name")), p.num("port"), p.str("protocol"))
		}
	}
}

func describeNode(d *describer, u fields) {
	d.line(0, "Roles", nodeRoles(u))
	d.line(0, "Unschedulable", u.boolean("spec", "unschedulable"))
	d.line(0, "PodCIDR", orNone(u.str("spec", "podCIDR")))
	describeConditions(d, u.list("status", "conditions"))
	d.header(0, "Addresses")
	for _, a := range u.list("status", "addresses") {
		d.line(1, a.str("type"), a.str("address"))
	}
	d.pairs(0, "Capacity", u.strMap("status", "capacity"))
	d.pairs(0, "Allocatable", u.strMap("status", "allocatable"))
	d.header(0, "System Info")
	info := u.obj("status", "nodeInfo")
	for _, k := range sortedKeys(info) {
		d.line(1, k, info.str(k))
	}
}

func describeEvent(d *describer, u fields) {
	d.line(0, "Type", u.str("type"))
	d.line(0, "Reason", u.str("reason"))
	d.line(0, "Message", cell(u.str("message")))
	d.line(0, "Involved Object", eventObject(u))
	d.line(0, "Source", orNone(u.str("source", "component")))
	d.line(0, "Count", u.num("count"))
	d.line(0, "Last Seen", ageSince(eventTime(u), d.now))
}
