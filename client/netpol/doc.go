// Package netpol enforces NetworkPolicies (networking.k8s.io/v1) for the pods
// of one node, inside the client, with iptables: the part of Calico's Felix
// or kube-router's policy controller that Berth needs.
//
// It follows every NetworkPolicy, every Pod (their IPs and labels are the
// peers a selector stands for) and every Namespace (labels, for
// namespaceSelectors), computes for each local pod what the policies
// selecting it allow (Compute, pure: the union of their rules; a pod no
// policy selects in a direction is open in it), renders that as filter
// chains (Render, pure) and applies them with one `iptables-restore
// --noflush` per change, changes within Config.MinSyncInterval coalesced.
//
// The chains, per node of a cluster (TAG is the service proxy's cluster tag,
// NODE and POD short hashes):
//
//	filter BERTH-TAG-NP-NODE  the node's entry, from DOCKER-USER (or FORWARD):
//	                          established flows RETURN, then each isolated
//	                          local pod's traffic jumps to its chains
//	filter BERTH-TAG-PI-POD   what may reach the pod: RETURN per allowed
//	                          source and port, then DROP
//	filter BERTH-TAG-PE-POD   what the pod may reach: RETURN per allowed
//	                          destination and port, then DROP
//
// Filtering happens in FORWARD, after the service proxy's DNAT, so a policy
// sees the real pod IP behind a ClusterIP. Pods of one bridge reach FORWARD
// only with net.bridge.bridge-nf-call-iptables=1 (Docker sets it). Traffic
// between a pod and its own host (the node's probes, the node-local DNS on
// the bridge's gateway) goes through INPUT and OUTPUT, not FORWARD, so
// policies never cut a pod off its node, as in Kubernetes.
//
// It is not the service proxy (client/proxy, whose executor and cluster tag
// it shares) nor the pod network. See DESIGN.md for the choices.
package netpol
