package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newOperatorCommand(g *globals) *cobra.Command {
	op := &cobra.Command{Use: "operator", Short: "Operate the cluster's servers"}
	raft := &cobra.Command{Use: "raft", Short: "Inspect and change the Raft configuration"}
	raft.AddCommand(newListPeersCommand(g), newRemovePeerCommand(g))
	op.AddCommand(raft, newKeyringCommand(g), newGossipCommand(g))
	return op
}

func newListPeersCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list-peers",
		Short: "List the servers in the Raft configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.outputFormat(outTable, outTable, outJSON, outYAML)
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			peers, err := c.RaftPeers(cmd.Context())
			if err != nil {
				return err
			}
			if format != outTable {
				return writeStructured(printer(cmd), format, peers)
			}
			tw := tabwriter.NewWriter(printer(cmd), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "ID\tADDRESS\tSTATE\tVOTER")
			for _, p := range peers {
				state := "follower"
				if p.Leader {
					state = "leader"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%t\n", p.ID, p.Address, state, p.Voter)
			}
			return tw.Flush()
		},
	}
}

func newRemovePeerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove-peer ID",
		Short: "Remove a server from the Raft configuration (for one that is gone for good)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			if err := c.RemoveRaftPeer(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "Removed peer with id %q\n", args[0])
			return nil
		},
	}
}
