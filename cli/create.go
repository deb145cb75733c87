package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCreateCommand(g *globals) *cobra.Command {
	var ff fileFlags
	cmd := &cobra.Command{
		Use:   "create -f FILE | create namespace NAME",
		Short: "Create objects; fails for any that already exists",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			objs, err := ff.load(cmd, g)
			if err != nil {
				return err
			}
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			for _, mo := range objs {
				if _, err := c.Create(cmd.Context(), mo.obj); err != nil {
					return err
				}
				fmt.Fprintf(printer(cmd), "%s created\n", qualifiedName(mo.res, mo.obj.GetObjectMeta().Name))
			}
			return nil
		},
	}
	ff.register(cmd, "create")
	cmd.AddCommand(newCreateNamespaceCommand(g))
	return cmd
}

func newCreateNamespaceCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "namespace NAME",
		Aliases: []string{"ns"},
		Short:   "Create a namespace",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := resolveKind("namespaces")
			if err != nil {
				return err
			}
			obj := res.New()
			obj.GetObjectMeta().Name = args[0]
			c, err := g.client(cmd)
			if err != nil {
				return err
			}
			if _, err := c.Create(cmd.Context(), obj); err != nil {
				return err
			}
			fmt.Fprintf(printer(cmd), "%s created\n", qualifiedName(res, args[0]))
			return nil
		},
	}
}
