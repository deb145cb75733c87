package runtime

import (
	"maps"
	"strconv"
)

// Label keys on every engine object Berth creates. They are the only record
// a restarted agent needs to adopt running containers.
const (
	// LabelManaged is "true" on every container, volume and network Berth made;
	// List* calls filter on it and never see anything else.
	LabelManaged = "io.berth.managed"
	// LabelPodUID is the pod's metadata.uid.
	LabelPodUID = "io.berth.pod.uid"
	// LabelPodNamespace is the pod's namespace.
	LabelPodNamespace = "io.berth.pod.namespace"
	// LabelPodName is the pod's name.
	LabelPodName = "io.berth.pod.name"
	// LabelContainerName is the container's name in the pod spec; empty on a sandbox.
	LabelContainerName = "io.berth.container.name"
	// LabelAttempt is the container's restart count (decimal), so a restarted
	// agent recovers restartCount.
	LabelAttempt = "io.berth.container.attempt"
	// LabelSandbox is "true" on a pod's infra container and "false" otherwise.
	LabelSandbox = "io.berth.sandbox"
)

// Meta is what the labels say about a managed container.
type Meta struct {
	PodUID        string
	Namespace     string
	PodName       string
	ContainerName string // empty for a sandbox
	Attempt       int
	Sandbox       bool
}

// Labels returns the labels that carry m, plus LabelManaged, merged over
// extra (Berth's keys win, so a user label cannot forge them). extra is not
// modified.
func (m Meta) Labels(extra map[string]string) map[string]string {
	out := make(map[string]string, len(extra)+7)
	maps.Copy(out, extra)
	out[LabelManaged] = "true"
	out[LabelPodUID] = m.PodUID
	out[LabelPodNamespace] = m.Namespace
	out[LabelPodName] = m.PodName
	out[LabelContainerName] = m.ContainerName
	out[LabelAttempt] = strconv.Itoa(m.Attempt)
	out[LabelSandbox] = strconv.FormatBool(m.Sandbox)
	return out
}

// MetaFromLabels reads Meta back from labels. Missing or malformed values give
// zero fields, never an error: adoption must survive labels written by an
// older agent.
func MetaFromLabels(labels map[string]string) Meta {
	attempt, err := strconv.Atoi(labels[LabelAttempt])
	if err != nil || attempt < 0 {
		attempt = 0
	}
	return Meta{
		PodUID:        labels[LabelPodUID],
		Namespace:     labels[LabelPodNamespace],
		PodName:       labels[LabelPodName],
		ContainerName: labels[LabelContainerName],
		Attempt:       attempt,
		Sandbox:       labels[LabelSandbox] == "true",
	}
}

// IsManaged reports whether labels mark an object as Berth's.
func IsManaged(labels map[string]string) bool { return labels[LabelManaged] == "true" }
