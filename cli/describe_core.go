package cli

import (
	"encoding/base64"
	"fmt"
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
