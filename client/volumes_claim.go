package client

import "github.com/berth-dev/berth/client/runtime"

// A persistentVolumeClaim volume is, on a Berth node, an engine volume named after
// the namespace and the claim rather than the pod, so it outlives the pod: the
// StatefulSet controller gives each ordinal the claim <template>-<set>-<ordinal>
// and pins the ordinal's later pods to this node. Berth has no PersistentVolumes
// or provisioner; what the claim asks of storage (size, class, access modes) is
// not honoured, and the volume stays until removed by hand.
//
// Claim volumes carry no pod uid label, so a pod's cleanup and adoption, which
// remove volumes by pod uid, leave them alone.
const (
	// LabelClaimNamespace and LabelClaimName name the claim a volume holds.
	LabelClaimNamespace = "io.berth.claim.namespace"
	LabelClaimName      = "io.berth.claim.name"
)

// claimVolumeName is the engine volume of a claim. Namespaces and claim names are
// DNS names, which never contain "_", so the name is unambiguous.
func claimVolumeName(namespace, claim string) string {
	return "berth-claim-" + namespace + "_" + claim
}

func claimVolumeLabels(namespace, claim string) map[string]string {
	return map[string]string{runtime.LabelManaged: "true", LabelClaimNamespace: namespace, LabelClaimName: claim}
}
