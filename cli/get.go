package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

type getCmd struct {
	g             *globals
	labelSelector string
	fieldSelector string
	allNamespaces bool
	watch         bool
	stale         bool
}

// target is one kind to read, with the names asked for (none: list them all).
type target struct {
	res   *api.Resource
	names []string
}

func newGetCommand(g *globals) *cobra.Command {
	o := &getCmd{g: g}
	cmd := &cobra.Command{
		Use:   "get KIND[,KIND...] [NAME...] | KIND/NAME...",
		Short: "Show objects as a table, YAML, JSON or names",
		Long: "Show objects as a table, YAML, JSON or names (-o table|wide|yaml|json|name).\n" +
			"Reads go through the leader unless --stale, so they see every earlier write.",
		Args: cobra.MinimumNArgs(1),
		RunE: o.run,
	}
	f := cmd.Flags()
	f.StringVarP(&o.labelSelector, "selector", "l", "", "label selector (app=web,tier!=db)")
	f.StringVar(&o.fieldSelector, "field-selector", "", "field selector (metadata.name=x)")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	f.BoolVarP(&o.watch, "watch", "w", false, "after the list, print each change as it happens")
	f.BoolVar(&o.stale, "stale", false, "read the answering server's copy, which may lag the leader")
	return cmd
}

func (o *getCmd) run(cmd *cobra.Command, args []string) error {
	format, err := o.g.outputFormat(outTable, outTable, outWide, outJSON, outYAML, outName)
	if err != nil {
		return err
	}
	targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	if o.watch {
		if len(targets) != 1 || len(targets[0].names) > 1 {
			return fmt.Errorf("%w: --watch takes one resource type and at most one name", ErrUsage)
		}
		return o.runWatch(cmd, c, targets[0], format)
	}
	groups := make([][]item, 0, len(targets))
	for _, t := range targets {
		items, _, err := o.fetch(cmd.Context(), c, t, o.fieldSelector)
		if err != nil {
			return err
		}
		groups = append(groups, items)
	}
	single := len(targets) == 1 && len(targets[0].names) == 1
	return o.print(cmd, format, targets, groups, single)
}

// parseTargets reads "cm,secret [NAME...]" or "cm/a secret/b".
func parseTargets(args []string) ([]target, error) {
	if strings.Contains(args[0], "/") {
		var out []target
		for _, a := range args {
			kind, name, ok := strings.Cut(a, "/")
			if !ok || kind == "" || name == "" {
				return nil, fmt.Errorf("%w: %q: use KIND/NAME for every argument, or KIND NAME [NAME]", ErrUsage, a)
			}
			res, err := resolveKind(kind)
			if err != nil {
				return nil, err
			}
			if n := len(out); n > 0 && out[n-1].res == res {
				out[n-1].names = append(out[n-1].names, name)
				continue
			}
			out = append(out, target{res: res, names: []string{name}})
		}
		return out, nil
	}
	kinds, err := splitKinds(args[0])
	if err != nil {
		return nil, err
	}
	if len(args) > 1 && len(kinds) > 1 {
		return nil, fmt.Errorf("%w: names need a single resource type (or KIND/NAME)", ErrUsage)
	}
	out := make([]target, 0, len(kinds))
	for _, res := range kinds {
		out = append(out, target{res: res, names: args[1:]})
	}
	return out, nil
}

// fetch reads a target's objects, and for a list its resourceVersion (to watch from).
func (o *getCmd) fetch(ctx context.Context, c *api.Client, t target, fieldSelector string) ([]item, string, error) {
	ns := o.g.namespaceFor(t.res, o.allNamespaces)
	if len(t.names) == 0 {
		l, err := c.List(ctx, t.res, ns, api.ListOptions{
			LabelSelector: o.labelSelector, FieldSelector: fieldSelector, Consistent: !o.stale,
		})
		if err != nil {
			return nil, "", err
		}
		items, err := itemsOf(t.res, l)
		return items, l.ResourceVersion, err
	}
	ns = o.g.namespaceFor(t.res, false) // a name is looked up in one namespace
	items := make([]item, 0, len(t.names))
	for _, name := range t.names {
		obj, err := c.Get(ctx, t.res, ns, name, api.GetOptions{Consistent: !o.stale})
		if err != nil {
			return nil, "", err
		}
		it, err := newItem(t.res, obj)
		if err != nil {
			return nil, "", err
		}
		items = append(items, it)
	}
	return items, "", nil
}

func (o *getCmd) print(cmd *cobra.Command, format string, targets []target, groups [][]item, single bool) error {
	w := printer(cmd)
	switch format {
	case outJSON, outYAML:
		var all []item
		for _, g := range groups {
			all = append(all, g...)
		}
		return printStructured(w, format, all, single)
	}
	printed := 0
	for i, items := range groups {
		if len(items) == 0 {
			continue
		}
		if format == outName {
			printNames(w, items)
			printed++
			continue
		}
		if printed > 0 {
			fmt.Fprintln(w)
		}
		t := newTable(w, targets[i].res, format == outWide, o.allNamespaces, len(targets) > 1)
		now := time.Now()
		for _, it := range items {
			t.add(it.u, now)
		}
		if err := t.flush(); err != nil {
			return err
		}
		printed++
	}
	if printed == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), o.noneFound(targets))
	}
	return nil
}

// noneFound is kubectl's message for an empty answer.
func (o *getCmd) noneFound(targets []target) string {
	if o.allNamespaces || !targets[0].res.Namespaced {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", o.g.namespace)
}
