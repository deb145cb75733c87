package cli

import (
	"fmt"
	"strings"
)

func describePod(d *describer, u fields) {
	node := orNone(u.str("spec", "nodeName"))
	if ip := u.str("status", "hostIP"); ip != "" {
		node += "/" + ip
	}
	d.line(0, "Node", node)
	d.line(0, "Status", podStatus(u))
	d.line(0, "IP", orNone(u.str("status", "podIP")))
	statuses := map[string]fields{}
	for _, cs := range u.list("status", "containerStatuses") {
		statuses[cs.str("name")] = cs
	}
	d.header(0, "Containers")
	for _, c := range u.list("spec", "containers") {
		describeContainer(d, c, statuses[c.str("name")])
	}
	describeConditions(d, u.list("status", "conditions"))
}

// describeContainer prints a container's spec and, when known, its state.
func describeContainer(d *describer, c, status fields) {
	d.header(1, c.str("name"))
	d.line(2, "Image", c.str("image"))
	d.line(2, "Ports", containerPorts(c))
	if cmd := c.strs("command"); len(cmd) > 0 {
		d.line(2, "Command", strings.Join(cmd, " "))
	}
	if args := c.strs("args"); len(args) > 0 {
		d.line(2, "Args", strings.Join(args, " "))
	}
	if status != nil {
		d.line(2, "State", containerState(status.obj("state")))
		d.line(2, "Ready", status.boolean("ready"))
		d.line(2, "Restart Count", status.num("restartCount"))
	}
	if lim := c.strMap("resources", "limits"); len(lim) > 0 {
		d.pairs(2, "Limits", lim)
	}
	if req := c.strMap("resources", "requests"); len(req) > 0 {
		d.pairs(2, "Requests", req)
	}
	var env []string
	for _, e := range c.list("env") {
		val := e.str("value")
		if e.has("valueFrom") {
			val = "<set from a reference>"
		}
		env = append(env, e.str("name")+"="+val)
	}
	if len(env) > 0 {
		d.line(2, "Environment", strings.Join(env, ", "))
	}
}

func containerPorts(c fields) string {
	var ports []string
	for _, p := range c.list("ports") {
		proto := p.str("protocol")
		if proto == "" {
			proto = "TCP"
		}
		ports = append(ports, fmt.Sprintf("%d/%s", p.num("containerPort"), proto))
	}
	return orNone(strings.Join(ports, ", "))
}

func containerState(s fields) string {
	switch {
	case s.obj("running") != nil:
		return "Running (since " + s.str("running", "startedAt") + ")"
	case s.obj("waiting") != nil:
		return "Waiting (" + orNone(s.str("waiting", "reason")) + ")"
	case s.obj("terminated") != nil:
		return fmt.Sprintf("Terminated (%s, exit code %d)", orNone(s.str("terminated", "reason")),
			s.num("terminated", "exitCode"))
	}
	return "Unknown"
}

func describeConditions(d *describer, conds []fields) {
	if len(conds) == 0 {
		return
	}
	d.header(0, "Conditions")
	fmt.Fprintln(d.tw, "  Type\tStatus\tReason")
	fmt.Fprintln(d.tw, "  ----\t------\t------")
	for _, c := range conds {
		fmt.Fprintf(d.tw, "  %s\t%s\t%s\n", c.str("type"), c.str("status"), c.str("reason"))
	}
}

// describeTemplate prints a pod template's labels and containers.
func describeTemplate(d *describer, u fields) {
	d.header(0, "Pod Template")
	d.pairs(1, "Labels", u.strMap("spec", "template", "metadata", "labels"))
	d.header(1, "Containers")
	for _, c := range u.list("spec", "template", "spec", "containers") {
		d.header(2, c.str("name"))
		d.line(3, "Image", c.str("image"))
		d.line(3, "Ports", containerPorts(c))
	}
}

// selectorString prints a label selector's matchLabels and matchExpressions.
func selectorString(sel fields) string {
	var parts []string
	for _, k := range sortedKeys(sel.strMap("matchLabels")) {
		parts = append(parts, k+"="+sel.str("matchLabels", k))
	}
	for _, e := range sel.list("matchExpressions") {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", e.str("key"), strings.ToLower(e.str("operator")),
			strings.Join(e.strs("values"), ",")))
	}
	return orNone(strings.Join(parts, ","))
}

func describeReplicaSet(d *describer, u fields) {
	d.line(0, "Selector", selectorString(u.obj("spec", "selector")))
	d.line(0, "Replicas", fmt.Sprintf("%d current / %d desired", u.num("status", "replicas"), desiredReplicas(u)))
	d.line(0, "Ready Replicas", u.num("status", "readyReplicas"))
	describeTemplate(d, u)
	describeConditions(d, u.list("status", "conditions"))
}

func describeDeployment(d *describer, u fields) {
	d.line(0, "Selector", selectorString(u.obj("spec", "selector")))
	d.line(0, "Replicas", fmt.Sprintf("%d desired | %d updated | %d total | %d available | %d unavailable",
		desiredReplicas(u), u.num("status", "updatedReplicas"), u.num("status", "replicas"),
		u.num("status", "availableReplicas"), u.num("status", "unavailableReplicas")))
	strategy := u.str("spec", "strategy", "type")
	if strategy == "" {
		strategy = "RollingUpdate"
	}
	d.line(0, "StrategyType", strategy)
	describeTemplate(d, u)
	describeConditions(d, u.list("status", "conditions"))
}
