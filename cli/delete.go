package cli

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

type deleteCmd struct {
	g              *globals
	ff             fileFlags
	cascade        string
	ignoreNotFound bool
}

func newDeleteCommand(g *globals) *cobra.Command {
	o := &deleteCmd{g: g}
	cmd := &cobra.Command{
		Use:   "delete KIND NAME... | KIND/NAME... | -f FILE",
		Short: "Delete objects by name or as named in manifests",
		RunE:  o.run,
	}
	o.ff.register(cmd, "delete")
	cmd.Flags().StringVar(&o.cascade, "cascade", "background",
		"what happens to dependents: background, foreground or orphan")
	cmd.Flags().BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "succeed when an object is already gone")
	return cmd
}

func (o *deleteCmd) run(cmd *cobra.Command, args []string) error {
	policy, err := propagation(o.cascade)
	if err != nil {
		return err
	}
	type victim struct {
		res      *api.Resource
		ns, name string
	}
	var victims []victim
	switch {
	case len(o.ff.files) > 0 && len(args) > 0:
		return fmt.Errorf("%w: give either -f or KIND NAME, not both", ErrUsage)
	case len(o.ff.files) > 0:
		objs, err := o.ff.load(cmd, o.g)
		if err != nil {
			return err
		}
		for _, mo := range objs {
			m := mo.obj.GetObjectMeta()
			victims = append(victims, victim{mo.res, m.Namespace, m.Name})
		}
	default:
		targets, err := o.targets(args)
		if err != nil {
			return err
		}
		for _, t := range targets {
			for _, name := range t.names {
				victims = append(victims, victim{t.res, o.g.namespaceFor(t.res, false), name})
			}
		}
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	for _, v := range victims {
		if err := o.deleteOne(cmd, c, v.res, v.ns, v.name, policy); err != nil {
			return err
		}
	}
	return nil
}

// targets reads KIND NAME... or KIND/NAME...; delete needs names, never "all".
func (o *deleteCmd) targets(args []string) ([]target, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: delete needs KIND NAME..., KIND/NAME... or -f FILE", ErrUsage)
	}
	targets, err := parseTargets(args)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if len(t.names) == 0 {
			return nil, fmt.Errorf("%w: name the %s to delete", ErrUsage, t.res.Plural)
		}
	}
	return targets, nil
}

func (o *deleteCmd) deleteOne(cmd *cobra.Command, c *api.Client, res *api.Resource, ns, name string,
	policy api.DeletionPropagation) error {
	_, err := c.Delete(cmd.Context(), res, ns, name, api.DeleteOptions{PropagationPolicy: policy})
	if err != nil {
		if o.ignoreNotFound && api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return err
	}
	fmt.Fprintf(printer(cmd), "%s %q deleted\n", kindName(res), name)
	return nil
}

// propagation maps --cascade to a policy; kubectl's old true/false still work.
func propagation(cascade string) (api.DeletionPropagation, error) {
	switch strings.ToLower(cascade) {
	case "background", "true":
		return api.DeleteBackground, nil
	case "foreground":
		return api.DeleteForeground, nil
	case "orphan", "false":
		return api.DeleteOrphan, nil
	}
	return "", fmt.Errorf("%w: --cascade must be background, foreground or orphan, not %q", ErrUsage, cascade)
}
