package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"strings"
)

// DefaultPrefix starts every chain the proxy makes.
const DefaultPrefix = "BERTH"

// maxChainName is the longest chain name iptables accepts (XT_EXTENSION_MAXNAMELEN
// less the NUL).
const maxChainName = 28

// Lengths of the hashed parts of chain names: the cluster tag (30 bits: clusters
// on one host are few) and the per-service or per-endpoint hash (55 bits).
const (
	tagLen  = 6
	hashLen = 11
)

// The fixed chains of a cluster, after PREFIX-TAG-.
const (
	kindServices    = "SERVICES"
	kindNodePorts   = "NODEPORTS"
	kindMarkMasq    = "MARK-MASQ"
	kindPostrouting = "POSTROUTING"
	kindReject      = "REJECT"
	kindExtReject   = "EXT-REJECT"
	kindForward     = "FORWARD"
	kindFirewall    = "FIREWALL"
	kindSvc         = "SVC"
	kindSep         = "SEP"
)

// ClusterTag names a cluster in chain names: a short hash of its cluster CIDR,
// so the clients of one cluster share chains and two clusters on one host do
// not. An invalid prefix gives the tag of the empty string.
func ClusterTag(clusterCIDR netip.Prefix) string {
	s := ""
	if clusterCIDR.IsValid() {
		s = clusterCIDR.Masked().String()
	}
	return hash(s, tagLen)
}

// hash is the first n characters of the base32 SHA-256 of s (upper case, as
// chain names are by custom).
func hash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(sum[:])[:n]
}

// names builds the chain names of one cluster.
type names struct {
	prefix string // PREFIX-TAG-
}

func newNames(prefix, tag string) names { return names{prefix: prefix + "-" + tag + "-"} }

func (n names) chain(kind string) string { return n.prefix + kind }

// svc is the chain of one service port.
func (n names) svc(key string) string { return n.prefix + kindSvc + "-" + hash(key, hashLen) }

// sep is the chain of one endpoint of a service port.
func (n names) sep(key string, ep netip.AddrPort) string {
	return n.prefix + kindSep + "-" + hash(key+"|"+ep.String(), hashLen)
}

// owns reports whether chain belongs to this cluster.
func (n names) owns(chain string) bool { return strings.HasPrefix(chain, n.prefix) }
