package cli

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// The outcomes apply prints after each object's name.
const (
	applyCreated    = "created"
	applyConfigured = "configured"
	applyUnchanged  = "unchanged"
)

func newApplyCommand(g *globals) *cobra.Command {
	var ff fileFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update objects from manifests, so the cluster matches the files",
		Long: "Create or update objects from YAML or JSON manifests. Each object is created if\n" +
			"missing, replaced otherwise; applying the same files again changes nothing.",
		Args: cobra.NoArgs,
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
				result, err := applyOne(cmd.Context(), c, mo)
				if err != nil {
					return err
				}
				fmt.Fprintf(printer(cmd), "%s %s\n", qualifiedName(mo.res, mo.obj.GetObjectMeta().Name), result)
			}
			return nil
		},
	}
	ff.register(cmd, "apply")
	return cmd
}

// applyOne creates the object or replaces what is stored. The replace carries no
// resourceVersion (the file wins over concurrent edits, as a user applying expects),
// and the server answers an identical object without a new version: "unchanged".
func applyOne(ctx context.Context, c *api.Client, mo manifestObject) (string, error) {
	m := mo.obj.GetObjectMeta()
	cur, err := c.Get(ctx, mo.res, m.Namespace, m.Name, api.GetOptions{Consistent: true})
	if api.ReasonOf(err) == api.ReasonNotFound {
		if _, err := c.Create(ctx, mo.obj); err != nil {
			return "", err
		}
		return applyCreated, nil
	}
	if err != nil {
		return "", err
	}
	m.ResourceVersion = ""
	updated, err := c.Update(ctx, mo.obj)
	if err != nil {
		return "", err
	}
	if updated.GetObjectMeta().ResourceVersion == cur.GetObjectMeta().ResourceVersion {
		return applyUnchanged, nil
	}
	return applyConfigured, nil
}
