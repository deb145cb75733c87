package netpol

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/berth-dev/berth/client/proxy"
)

// CleanupNode removes one node's chains (its entry chain and the pod chains
// it jumps to) and every jump into them: what a client stopping for good
// (`berth dev` on Ctrl-C) does. Other nodes' chains on the host stay.
// `berth client --cleanup` (proxy.Cleanup) removes every Berth chain,
// these included.
func CleanupNode(ctx context.Context, x Executor, prefix string, clusterCIDR netip.Prefix, node string) error {
	if x == nil {
		x = &proxy.IPTables{}
	}
	save, err := x.Save(ctx)
	if err != nil {
		return err
	}
	payload := cleanupPayload(parseSave(save), newNames(prefix, clusterCIDR, node))
	if payload == nil {
		return nil
	}
	return x.Restore(ctx, payload)
}

// cleanupPayload is the iptables-restore --noflush input that deletes the
// jumps into the node's entry chain, then the entry chain and its pod chains;
// nil when the host has none of them.
func cleanupPayload(e *existing, n names) []byte {
	entry := n.entry()
	var owned []string
	if e.chains[entry] {
		owned = append(owned, entry)
	}
	for _, c := range e.targets(entry) {
		if n.isPodChain(c) && e.chains[c] && !slices.Contains(owned, c) {
			owned = append(owned, c)
		}
	}
	var dels []string
	for _, hook := range []string{hookForward, hookDockerUser} {
		for _, spec := range e.rules[hook] {
			if jumpTarget(spec) == entry {
				dels = append(dels, "-D "+hook+" "+spec)
			}
		}
	}
	if len(owned) == 0 && len(dels) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("*filter\n")
	for _, c := range owned {
		b.WriteString(":" + c + " - [0:0]\n") // flushed, so no chain still jumps to another
	}
	for _, d := range dels {
		b.WriteString(d + "\n")
	}
	for _, c := range owned {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return []byte(b.String())
}
