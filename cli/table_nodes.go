package cli

import (
	"sort"
	"strings"
)

// nodeRolePrefix marks a node's roles in its labels, as in Kubernetes.
const nodeRolePrefix = "node-role.kubernetes.io/"

var nodeTable = tableDef{
	headers: []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"},
	row: func(r rowInput) []string {
		return []string{r.name, nodeStatus(r.u), nodeRoles(r.u), age(r),
			orNone(r.u.str("status", "nodeInfo", "kubeletVersion"))}
	},
	wide: []string{"INTERNAL-IP"},
	wideRow: func(u fields) []string {
		return []string{orNone(nodeAddress(u, "InternalIP"))}
	},
}

// nodeStatus is Ready or NotReady (Unknown counts as not ready), plus
// SchedulingDisabled for a cordoned node.
func nodeStatus(u fields) string {
	status := "Unknown"
	for _, c := range u.list("status", "conditions") {
		if c.str("type") != "Ready" {
			continue
		}
		status = "NotReady"
		if c.str("status") == "True" {
			status = "Ready"
		}
	}
	if u.boolean("spec", "unschedulable") {
		status += ",SchedulingDisabled"
	}
	return status
}

func nodeRoles(u fields) string {
	var roles []string
	for k := range u.strMap("metadata", "labels") {
		if role, ok := strings.CutPrefix(k, nodeRolePrefix); ok && role != "" {
			roles = append(roles, role)
		}
	}
	sort.Strings(roles)
	return orNone(strings.Join(roles, ","))
}

func nodeAddress(u fields, typ string) string {
	for _, a := range u.list("status", "addresses") {
		if a.str("type") == typ {
			return a.str("address")
		}
	}
	return ""
}
