package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// runWatch prints the current list, then one row (or document) per change until the
// stream ends or the user interrupts.
func (o *getCmd) runWatch(cmd *cobra.Command, c *api.Client, t target, format string) error {
	fieldSelector := o.fieldSelector
	if len(t.names) == 1 {
		// Watching one object is watching its collection filtered to its name.
		fieldSelector = joinSelectors(fieldSelector, "metadata.name="+t.names[0])
	}
	items, rv, err := o.fetch(cmd.Context(), c, target{res: t.res}, fieldSelector)
	if err != nil {
		return err
	}
	w := printer(cmd)
	tbl := newTable(w, t.res, format == outWide, o.allNamespaces, false)
	emit := func(it item) error {
		switch format {
		case outJSON, outYAML:
			if format == outYAML {
				fmt.Fprintln(w, "---")
			}
			return printStructured(w, format, []item{it}, true)
		case outName:
			printNames(w, []item{it})
			return nil
		}
		tbl.add(it.u, time.Now())
		return tbl.flush()
	}
	for _, it := range items {
		if err := emit(it); err != nil {
			return err
		}
	}
	ns := o.g.namespaceFor(t.res, o.allNamespaces)
	wt, err := c.Watch(cmd.Context(), t.res, ns, api.WatchOptions{
		ResourceVersion: rv, LabelSelector: o.labelSelector, FieldSelector: fieldSelector,
	})
	if err != nil {
		return err
	}
	defer wt.Close()
	return watchLoop(wt, t.res, emit)
}

// watchLoop hands each change to emit; bookmarks are not changes and are skipped.
func watchLoop(wt *api.Watcher, res *api.Resource, emit func(item) error) error {
	for {
		ev, err := wt.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.Type == api.WatchBookmark || ev.Object == nil {
			continue
		}
		it, err := newItem(res, ev.Object)
		if err != nil {
			return err
		}
		if err := emit(it); err != nil {
			return err
		}
	}
}

func joinSelectors(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}
