package cli

import (
	"fmt"
	"strings"
	"time"
)

// The tables of StatefulSets, DaemonSets, Jobs and PriorityClasses, with kubectl's
// columns.
func init() {
	tableDefs["statefulsets"] = statefulSetTable
	tableDefs["daemonsets"] = daemonSetTable
	tableDefs["jobs"] = jobTable
	tableDefs["priorityclasses"] = priorityClassTable
}

var statefulSetTable = tableDef{
	headers: []string{"NAME", "READY", "AGE"},
	row: func(r rowInput) []string {
		ready := fmt.Sprintf("%d/%d", r.u.num("status", "readyReplicas"), desiredReplicas(r.u))
		return []string{r.name, ready, age(r)}
	},
	wide:    []string{"CONTAINERS", "IMAGES"},
	wideRow: templateContainers,
}

var daemonSetTable = tableDef{
	headers: []string{"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, count(r.u, "status", "desiredNumberScheduled"), count(r.u, "status", "currentNumberScheduled"),
			count(r.u, "status", "numberReady"), count(r.u, "status", "updatedNumberScheduled"),
			count(r.u, "status", "numberAvailable"), nodeSelectorString(r.u), age(r)}
	},
	wide: []string{"CONTAINERS", "IMAGES", "SELECTOR"},
	wideRow: func(u fields) []string {
		return append(templateContainers(u), selectorString(u.obj("spec", "selector")))
	},
}

var jobTable = tableDef{
	headers: []string{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, jobStatus(r.u), jobCompletions(r.u), jobDuration(r.u, r.now), age(r)}
	},
	wide: []string{"CONTAINERS", "IMAGES", "SELECTOR"},
	wideRow: func(u fields) []string {
		return append(templateContainers(u), selectorString(u.obj("spec", "selector")))
	},
}

var priorityClassTable = tableDef{
	headers: []string{"NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"},
	row: func(r rowInput) []string {
		return []string{r.name, count(r.u, "value"), fmt.Sprint(r.u.boolean("globalDefault")), age(r),
			preemptionPolicy(r.u)}
	},
}

// preemptionPolicy is a class's policy, which Kubernetes defaults to
// PreemptLowerPriority.
func preemptionPolicy(u fields) string {
	if p := u.str("preemptionPolicy"); p != "" {
		return p
	}
	return "PreemptLowerPriority"
}

// templateContainers is the CONTAINERS and IMAGES columns of a workload.
func templateContainers(u fields) []string {
	var names, images []string
	for _, c := range u.list("spec", "template", "spec", "containers") {
		names = append(names, c.str("name"))
		images = append(images, c.str("image"))
	}
	return []string{orNone(strings.Join(names, ",")), orNone(strings.Join(images, ","))}
}

// nodeSelectorString is a template's nodeSelector as k=v pairs, sorted.
func nodeSelectorString(u fields) string {
	sel := u.strMap("spec", "template", "spec", "nodeSelector")
	var parts []string
	for _, k := range sortedKeys(sel) {
		parts = append(parts, k+"="+sel[k])
	}
	return orNone(strings.Join(parts, ","))
}

// jobStatus is the STATUS column: the first of the Job's decisive conditions that
// is true, else Terminating, Suspended, or Running, in kubectl's order.
func jobStatus(u fields) string {
	conds := trueConditions(u.list("status", "conditions"))
	switch {
	case conds["Complete"]:
		return "Complete"
	case conds["Failed"]:
		return "Failed"
	case u.has("metadata", "deletionTimestamp"):
		return "Terminating"
	case conds["Suspended"]:
		return "Suspended"
	case conds["FailureTarget"]:
		return "FailureTarget"
	case conds["SuccessCriteriaMet"]:
		return "SuccessCriteriaMet"
	}
	return "Running"
}

func trueConditions(conds []fields) map[string]bool {
	out := map[string]bool{}
	for _, c := range conds {
		if c.str("status") == "True" {
			out[c.str("type")] = true
		}
	}
	return out
}

// jobCompletions is "succeeded/completions", or for a Job without completions
// "succeeded/1" (with "of N" when N pods may run at once), as kubectl prints it.
func jobCompletions(u fields) string {
	succeeded := u.num("status", "succeeded")
	switch {
	case u.has("spec", "completions"):
		return fmt.Sprintf("%d/%d", succeeded, u.num("spec", "completions"))
	case u.num("spec", "parallelism") > 1:
		return fmt.Sprintf("%d/1 of %d", succeeded, u.num("spec", "parallelism"))
	}
	return fmt.Sprintf("%d/1", succeeded)
}

// jobDuration is how long the Job ran: to its completion, or until now while it
// runs; empty before it starts.
func jobDuration(u fields, now time.Time) string {
	start := u.time("status", "startTime")
	if start.IsZero() {
		return ""
	}
	if done := u.time("status", "completionTime"); !done.IsZero() {
		return humanAge(done.Sub(start))
	}
	return humanAge(now.Sub(start))
}
