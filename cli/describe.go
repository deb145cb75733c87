package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

type describeCmd struct {
	g     *globals
	stale bool
}

func newDescribeCommand(g *globals) *cobra.Command {
	o := &describeCmd{g: g}
	cmd := &cobra.Command{
		Use:   "describe KIND [NAME...] | KIND/NAME...",
		Short: "Show objects in detail, with the events about them",
		Args:  cobra.MinimumNArgs(1),
		RunE:  o.run,
	}
	cmd.Flags().BoolVar(&o.stale, "stale", false, "read the answering server's copy, which may lag the leader")
	return cmd
}

func (o *describeCmd) run(cmd *cobra.Command, args []string) error {
	targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	get := &getCmd{g: o.g, stale: o.stale}
	first := true
	for _, t := range targets {
		items, _, err := get.fetch(cmd.Context(), c, t, "")
		if err != nil {
			return err
		}
		for _, it := range items {
			if !first {
				fmt.Fprintln(printer(cmd))
			}
			first = false
			if err := o.describe(cmd.Context(), c, printer(cmd), it); err != nil {
				return err
			}
		}
	}
	if first {
		fmt.Fprintln(cmd.ErrOrStderr(), get.noneFound(targets))
	}
	return nil
}

// describe prints one object: its metadata, what its kind adds, then its events.
func (o *describeCmd) describe(ctx context.Context, c *api.Client, w io.Writer, it item) error {
	d := &describer{w: w, tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0), now: time.Now(), ctx: ctx, c: c, o: o}
	d.meta(it)
	if fn, ok := kindDescribers[it.res.Plural]; ok {
		fn(d, it.u)
	}
	if it.res.Plural != "events" {
		d.events(it)
	}
	return d.tw.Flush()
}

// describer writes "Key:<tab>value" lines that a tabwriter aligns, at indent levels
// of two spaces.
type describer struct {
	w   io.Writer
	tw  *tabwriter.Writer
	now time.Time
	ctx context.Context
	c   *api.Client
	o   *describeCmd
}

func (d *describer) line(indent int, key string, val any) {
	fmt.Fprintf(d.tw, "%s%s:\t%v\n", strings.Repeat("  ", indent), key, val)
}

// raw writes text as it is, after what the tabwriter holds.
func (d *describer) raw(s string) {
	_ = d.tw.Flush()
	_, _ = io.WriteString(d.w, s)
}

// header prints a key that opens a section of its own lines.
func (d *describer) header(indent int, key string) {
	fmt.Fprintf(d.tw, "%s%s:\n", strings.Repeat("  ", indent), key)
}

// pairs prints a map as k=v lines under one key, sorted, or <none>.
func (d *describer) pairs(indent int, key string, m map[string]string) {
	if len(m) == 0 {
		d.line(indent, key, "<none>")
		return
	}
	keys := sortedKeys(m)
	for i, k := range keys {
		label := key + ":"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(d.tw, "%s%s\t%s=%s\n", strings.Repeat("  ", indent), label, k, oneLine(m[k]))
	}
}

func (d *describer) meta(it item) {
	u := it.u
	d.line(0, "Name", u.name())
	if it.res.Namespaced {
		d.line(0, "Namespace", u.namespace())
	}
	d.pairs(0, "Labels", u.strMap("metadata", "labels"))
	d.pairs(0, "Annotations", u.strMap("metadata", "annotations"))
	if t := u.time("metadata", "creationTimestamp"); !t.IsZero() {
		d.line(0, "CreationTimestamp", fmt.Sprintf("%s (%s ago)", t.Local().Format(time.RFC1123Z), humanAge(d.now.Sub(t))))
	}
	for _, ref := range u.list("metadata", "ownerReferences") {
		if ref.boolean("controller") {
			d.line(0, "Controlled By", ref.str("kind")+"/"+ref.str("name"))
		}
	}
	if u.has("metadata", "deletionTimestamp") {
		d.line(0, "Terminating Since", u.str("metadata", "deletionTimestamp"))
	}
}

// events lists the events whose involvedObject is this object.
func (d *describer) events(it item) {
	evRes, ok := api.ResourceForKind("Event")
	if !ok {
		return
	}
	sel := "involvedObject.kind=" + it.res.Kind + ",involvedObject.name=" + it.u.name()
	ns := ""
	if it.res.Namespaced {
		ns = it.u.namespace()
		sel += ",involvedObject.namespace=" + ns
	}
	l, err := d.c.List(d.ctx, evRes, ns, api.ListOptions{FieldSelector: sel, Consistent: !d.o.stale})
	if err != nil {
		d.line(0, "Events", "<unavailable: "+oneLine(err.Error())+">")
		return
	}
	items, err := itemsOf(evRes, l)
	if err != nil {
		d.line(0, "Events", "<unavailable: "+oneLine(err.Error())+">")
		return
	}
	var rows []fields
	for _, ev := range items {
		// Cluster-scoped objects share names across kinds; keep only this kind's.
		if k := ev.u.str("involvedObject", "kind"); k == "" || k == it.res.Kind {
			rows = append(rows, ev.u)
		}
	}
	if len(rows) == 0 {
		d.line(0, "Events", "<none>")
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return eventTime(rows[i]).Before(eventTime(rows[j])) })
	d.header(0, "Events")
	fmt.Fprintln(d.tw, "  Type\tReason\tAge\tFrom\tMessage")
	fmt.Fprintln(d.tw, "  ----\t------\t----\t----\t-------")
	for _, ev := range rows {
		fmt.Fprintf(d.tw, "  %s\t%s\t%s\t%s\t%s\n", ev.str("type"), ev.str("reason"),
			ageSince(eventTime(ev), d.now), orNone(ev.str("source", "component")), cell(ev.str("message")))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// kindDescribers add the lines of each kind after the common metadata.
var kindDescribers = map[string]func(d *describer, u fields){
	"pods":        describePod,
	"replicasets": describeReplicaSet,
	"deployments": describeDeployment,
	"services":    describeService,
	"endpoints":   describeEndpoints,
	"nodes":       describeNode,
	"namespaces":  describeNamespace,
	"configmaps":  describeConfigMap,
	"secrets":     describeSecret,
	"events":      describeEvent,
}
