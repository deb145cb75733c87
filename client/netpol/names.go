package netpol

import (
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"strings"

	"github.com/berth-dev/berth/client/proxy"
)

// hashLen is the length of the node and pod hashes in chain names (55 bits):
// with the "BERTH-TAG-PI-" start, 27 characters, under iptables' 28.
const hashLen = 11

// The kinds of chains, after PREFIX-TAG-.
const (
	kindNode    = "NP-" // one per node: the entry, jumped to from FORWARD
	kindIngress = "PI-" // one per isolated pod: what may reach it
	kindEgress  = "PE-" // one per isolated pod: what it may reach
)

// names builds the chain names of one node of one cluster. The cluster part
// (PREFIX-TAG-) is the service proxy's, so `berth client --cleanup` and the
// proxy's per-cluster cleanup remove these chains too.
type names struct {
	cluster string // PREFIX-TAG-
	node    string
}

func newNames(prefix string, clusterCIDR netip.Prefix, node string) names {
	if prefix == "" {
		prefix = proxy.DefaultPrefix
	}
	return names{cluster: prefix + "-" + proxy.ClusterTag(clusterCIDR) + "-", node: node}
}

// entry is the node's chain, the one FORWARD jumps to.
func (n names) entry() string { return n.cluster + kindNode + hash(n.node) }

// ingress and egress are the chains of one local pod ("namespace/name").
func (n names) ingress(pod string) string { return n.cluster + kindIngress + hash(n.node+"|"+pod) }
func (n names) egress(pod string) string  { return n.cluster + kindEgress + hash(n.node+"|"+pod) }

// isPodChain reports whether chain is a pod chain of this cluster (of any node).
func (n names) isPodChain(chain string) bool {
	return strings.HasPrefix(chain, n.cluster+kindIngress) || strings.HasPrefix(chain, n.cluster+kindEgress)
}

// isPolicyChain reports whether chain is a network policy chain of this cluster.
func (n names) isPolicyChain(chain string) bool {
	return n.isPodChain(chain) || strings.HasPrefix(chain, n.cluster+kindNode)
}

// hash is the first hashLen characters of the base32 SHA-256 of s.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(sum[:])[:hashLen]
}
