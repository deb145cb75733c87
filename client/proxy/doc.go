// Package proxy is Berth's service proxy (kube-proxy's iptables mode, inside
// the client): it follows the cluster's Services and Endpoints and programs
// the host's iptables so that every ClusterIP and NodePort reaches the ready
// endpoints behind it, from the host and from every pod.
//
// Each sync computes the whole desired rule set from the cluster state
// (Render, a pure function) and applies it atomically with one
// `iptables-restore --noflush`; stale chains go in the same transaction.
// Syncs are coalesced: a burst of endpoint changes costs one restore, never
// more often than Config.MinSyncInterval, and a full sync runs every
// Config.SyncPeriod as a safety net.
//
// The chains, per cluster (TAG is a short hash of the cluster CIDR, so two
// clusters on one host never share chains):
//
//	nat    BERTH-TAG-SERVICES     ClusterIP portals (PREROUTING from pods, OUTPUT from the host)
//	nat    BERTH-TAG-NODEPORTS    NodePorts on every local address (PREROUTING, OUTPUT)
//	nat    BERTH-TAG-SVC-HASH     one per service port: affinity, then a random choice
//	nat    BERTH-TAG-SEP-HASH     one per endpoint: hairpin mark, then DNAT
//	nat    BERTH-TAG-MARK-MASQ    marks a connection for masquerade
//	nat    BERTH-TAG-POSTROUTING  masquerades marked connections (POSTROUTING)
//	filter BERTH-TAG-REJECT       ClusterIPs without endpoints: REJECT (OUTPUT, FORWARD)
//	filter BERTH-TAG-EXT-REJECT   NodePorts without endpoints: REJECT (INPUT)
//	filter BERTH-TAG-FORWARD      accepts marked (NodePort) traffic past Docker's DROP
//	filter BERTH-TAG-FIREWALL     drops martian 127/8 traffic that route_localnet admits
//
// Beside iptables it sets, on the pod bridges (the host interfaces holding an
// address of the cluster CIDR), hairpin mode on every port (a pod reaching
// its own service) and route_localnet (NodePorts on the node's loopback
// InternalIP). Cross-pod service traffic needs bridge-nf-call-iptables=1
// (Docker sets it); the proxy warns when it is off.
//
// It is not the pod network (client and client/runtime/docker make the
// bridge), the endpoints controller (the server keeps Endpoints), nor DNS.
// See DESIGN.md for the choices.
package proxy
