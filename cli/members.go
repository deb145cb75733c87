package cli

import (
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newMembersCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the cluster's agents (servers and clients) as gossip sees them",
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
			members, err := c.Members(cmd.Context())
			if err != nil {
				return err
			}
			sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
			if format != outTable {
				return writeStructured(printer(cmd), format, members)
			}
			tw := tabwriter.NewWriter(printer(cmd), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tADDRESS\tSTATUS\tROLE\tVERSION")
			for _, m := range members {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Addr, m.State, m.Role, m.Version)
			}
			return tw.Flush()
		},
	}
}
