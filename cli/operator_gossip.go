package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/api"
)

// newGossipCommand is `berth operator gossip keyring`, which rotates the gossip
// encryption key as Consul's and Nomad's keyring commands do: install the new key
// everywhere, use it, then remove the old one.
func newGossipCommand(g *globals) *cobra.Command {
	gossipCmd := &cobra.Command{Use: "gossip", Short: "Manage gossip encryption"}
	keyring := &cobra.Command{Use: "keyring", Short: "List and rotate the gossip encryption keys of every member"}
	keyring.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the gossip keys (base64), the primary first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			ring, err := c.GossipKeyring(cmd.Context())
			if err != nil {
				return err
			}
			if len(ring.Keys) == 0 {
				fmt.Fprintln(printer(cmd), "Gossip is not encrypted (--insecure-dev)")
				return nil
			}
			for i, k := range ring.Keys {
				role := ""
				if i == 0 {
					role = "  (primary)"
				}
				fmt.Fprintf(printer(cmd), "%s%s\n", k, role)
			}
			return nil
		},
	})
	for _, op := range []struct{ name, short, done string }{
		{"install", "Add KEY (base64 of 16, 24 or 32 bytes) to every member's keyring", "Installed"},
		{"use", "Make KEY, already installed, the one every member encrypts with", "Now using"},
		{"remove", "Remove KEY (not the primary) from every member's keyring", "Removed"},
	} {
		keyring.AddCommand(&cobra.Command{
			Use:   op.name + " KEY",
			Short: op.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := g.client(cmd)
				if err != nil {
					return err
				}
				res, err := c.ChangeGossipKeyring(cmd.Context(), api.GossipKeyringChange{Op: op.name, Key: args[0]})
				if err != nil {
					return err
				}
				return reportKeyringChange(cmd, op.done, res)
			},
		})
	}
	gossipCmd.AddCommand(keyring)
	return gossipCmd
}

// reportKeyringChange prints how many members took the change; members that could
// not be told make it fail, so a script stops before the next step of a rotation.
func reportKeyringChange(cmd *cobra.Command, done string, res *api.GossipKeyringResult) error {
	told := res.Members - len(res.Failed)
	fmt.Fprintf(printer(cmd), "%s the key on %d of %d members\n", done, told, res.Members)
	if len(res.Failed) == 0 {
		return nil
	}
	names := make([]string, 0, len(res.Failed))
	for n := range res.Failed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(printer(cmd), "  %s: %s\n", n, res.Failed[n])
	}
	return fmt.Errorf("%d members did not get the change: repeat it once they are reachable", len(res.Failed))
}
