package cli

import "fmt"

var podTable = tableDef{
	headers: []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"},
	row: func(r rowInput) []string {
		ready, total, restarts := podContainerCounts(r.u)
		return []string{r.name, fmt.Sprintf("%d/%d", ready, total), podStatus(r.u), fmt.Sprint(restarts), age(r)}
	},
	wide: []string{"IP", "NODE"},
	wideRow: func(u fields) []string {
		return []string{orNone(u.str("status", "podIP")), orNone(u.str("spec", "nodeName"))}
	},
}

// podContainerCounts counts the pod's ready containers, its containers and restarts.
func podContainerCounts(u fields) (ready, total int, restarts int64) {
	total = u.size("spec", "containers")
	for _, cs := range u.list("status", "containerStatuses") {
		if cs.boolean("ready") {
			ready++
		}
		restarts += cs.num("restartCount")
	}
	return ready, total, restarts
}

// podStatus is the STATUS column: what most needs a user's eye first — deletion,
// then a container that is waiting or died with a reason, then the phase.
func podStatus(u fields) string {
	if u.has("metadata", "deletionTimestamp") {
		return "Terminating"
	}
	if reason := u.str("status", "reason"); reason != "" {
		return reason
	}
	status := u.str("status", "phase")
	if status == "" {
		status = "Pending"
	}
	for _, cs := range u.list("status", "initContainerStatuses") {
		if w := cs.str("state", "waiting", "reason"); w != "" && w != "PodInitializing" {
			return "Init:" + w
		}
	}
	for _, cs := range u.list("status", "containerStatuses") {
		if w := cs.str("state", "waiting", "reason"); w != "" {
			status = w
		} else if t := cs.str("state", "terminated", "reason"); t != "" {
			status = t
		}
	}
	return status
}

var replicaSetTable = tableDef{
	headers: []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, fmt.Sprint(desiredReplicas(r.u)), count(r.u, "status", "replicas"),
			count(r.u, "status", "readyReplicas"), age(r)}
	},
}

var deploymentTable = tableDef{
	headers: []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"},
	row: func(r rowInput) []string {
		ready := fmt.Sprintf("%d/%d", r.u.num("status", "readyReplicas"), desiredReplicas(r.u))
		return []string{r.name, ready, count(r.u, "status", "updatedReplicas"),
			count(r.u, "status", "availableReplicas"), age(r)}
	},
}

// desiredReplicas is spec.replicas, which Kubernetes defaults to 1 when unset.
func desiredReplicas(u fields) int64 {
	if !u.has("spec", "replicas") {
		return 1
	}
	return u.num("spec", "replicas")
}
