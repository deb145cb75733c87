package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-dev/berth/api"
)

// tableDef is how one kind prints as a table: its columns (NAME included, AGE too
// where the kind has one) and the extra columns -o wide appends.
type tableDef struct {
	headers []string
	row     func(r rowInput) []string
	wide    []string
	wideRow func(u fields) []string
}

// rowInput is what a row function reads: the object, the name to show (kind/name
// when several kinds print together) and the time ages are measured from.
type rowInput struct {
	u    fields
	name string
	now  time.Time
}

// tableDefs maps a resource's plural to its table; other kinds print NAME AGE.
var tableDefs = map[string]tableDef{
	"pods":        podTable,
	"replicasets": replicaSetTable,
	"deployments": deploymentTable,
	"services":    serviceTable,
	"endpoints":   endpointsTable,
	"nodes":       nodeTable,
	"namespaces":  namespaceTable,
	"configmaps":  configMapTable,
	"secrets":     secretTable,
	"events":      eventTable,
}

var defaultTable = tableDef{
	headers: []string{"NAME", "AGE"},
	row:     func(r rowInput) []string { return []string{r.name, age(r)} },
}

// age is the AGE column of an object.
func age(r rowInput) string {
	return ageSince(r.u.time("metadata", "creationTimestamp"), r.now)
}

func tableFor(res *api.Resource) tableDef {
	if d, ok := tableDefs[res.Plural]; ok {
		return d
	}
	return defaultTable
}

// table prints rows of one kind, aligned like kubectl (three spaces between columns).
type table struct {
	tw       *tabwriter.Writer
	res      *api.Resource
	def      tableDef
	wide     bool
	showNS   bool // a NAMESPACE column first, for --all-namespaces
	withKind bool // names as kind/name, when several kinds print together
	header   bool // whether the header is out
}

func newTable(w io.Writer, res *api.Resource, wide, allNamespaces, withKind bool) *table {
	return &table{
		tw:       tabwriter.NewWriter(w, 0, 8, 3, ' ', 0),
		res:      res,
		def:      tableFor(res),
		wide:     wide,
		showNS:   allNamespaces && res.Namespaced,
		withKind: withKind,
	}
}

func (t *table) writeHeader() {
	if t.header {
		return
	}
	t.header = true
	cols := t.def.headers
	if t.showNS {
		cols = append([]string{"NAMESPACE"}, cols...)
	}
	if t.wide {
		cols = append(cols, t.def.wide...)
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

// add prints one object's row (the header first if it is not out yet).
func (t *table) add(u fields, now time.Time) {
	t.writeHeader()
	name := u.name()
	if t.withKind {
		name = qualifiedName(t.res, name)
	}
	cells := t.def.row(rowInput{u: u, name: name, now: now})
	if t.showNS {
		cells = append([]string{u.namespace()}, cells...)
	}
	if t.wide && t.def.wideRow != nil {
		cells = append(cells, t.def.wideRow(u)...)
	}
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// cell keeps a value on one line of its column: tabs and newlines would break the
// alignment (an event message may hold both).
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// orNone is kubectl's placeholder for an empty cell.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// count prints an integer field, 0 when unset.
func count(u fields, path ...string) string {
	return fmt.Sprint(u.num(path...))
}
