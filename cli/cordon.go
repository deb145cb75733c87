package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// newCordonCommand is `cordon` (on=true) or `uncordon`: spec.unschedulable keeps the
// scheduler from placing new pods on the node; pods already there stay.
func newCordonCommand(g *globals, on bool) *cobra.Command {
	verb, short := "uncordon", "Let the scheduler place new pods on a node again"
	if on {
		verb, short = "cordon", "Keep the scheduler from placing new pods on a node"
	}
	return &cobra.Command{
		Use:   verb + " NODE...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			for _, node := range args {
				if err := cordon(cmd.Context(), c, printer(cmd), node, on); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// cordon sets a node's spec.unschedulable and prints kubectl's line about it.
func cordon(ctx context.Context, c *api.Client, w io.Writer, node string, on bool) error {
	res, err := resolveKind("nodes")
	if err != nil {
		return err
	}
	_, changed, err := editObject(ctx, c, res, "", node, func(u fields) error {
		if u.boolean("spec", "unschedulable") == on {
			return errUnchanged
		}
		if on {
			u.set(true, "spec", "unschedulable")
		} else {
			u.unset("spec", "unschedulable")
		}
		return nil
	})
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "cordoned", false: "uncordoned"}[on]
	if !changed {
		verb = "already " + verb
	}
	fmt.Fprintf(w, "%s %s\n", qualifiedName(res, node), verb)
	return nil
}
