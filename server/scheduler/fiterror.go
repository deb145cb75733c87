package scheduler

import (
	"fmt"
	"sort"
	"strings"
)

// FitError says why a pod fits on no node. Its message is Kubernetes' FailedScheduling
// text: "0/5 nodes are available: 2 node(s) had untolerated taint {k: v}, 3
// Insufficient cpu." — each reason with the number of nodes that gave it, the
// entries sorted as strings, as Kubernetes sorts them.
type FitError struct {
	// NumAllNodes is how many nodes the pod was tried against.
	NumAllNodes int
	// Reasons counts the nodes per reason; a node may give several (cpu and memory).
	Reasons map[string]int
	// Preemption, when not empty, says why preemption did not help either.
	Preemption string
}

// Error implements error.
func (e *FitError) Error() string {
	parts := make([]string, 0, len(e.Reasons))
	for reason, count := range e.Reasons {
		parts = append(parts, fmt.Sprintf("%d %s", count, reason))
	}
	sort.Strings(parts)
	msg := fmt.Sprintf("0/%d nodes are available", e.NumAllNodes)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
	}
	return msg + "."
}

// Unwrap makes errors.Is(err, ErrUnschedulable) hold.
func (e *FitError) Unwrap() error { return ErrUnschedulable }

// diagnosis records each node's failure during one pod's filtering.
type diagnosis struct {
	reasons    map[string]int
	resolvable map[*nodeInfo]bool // failed only on filters preemption can fix
}

func newDiagnosis() *diagnosis {
	return &diagnosis{reasons: map[string]int{}, resolvable: map[*nodeInfo]bool{}}
}

func (d *diagnosis) record(n *nodeInfo, reasons []string, resolvable bool) {
	for _, r := range reasons {
		d.reasons[r]++
	}
	if resolvable {
		d.resolvable[n] = true
	}
}

func (d *diagnosis) fitError(numNodes int) *FitError {
	return &FitError{NumAllNodes: numNodes, Reasons: d.reasons}
}
