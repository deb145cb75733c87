package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/api"
	"sigs.k8s.io/yaml"
)

// The -o formats of get.
const (
	outTable = "table"
	outWide  = "wide"
	outJSON  = "json"
	outYAML  = "yaml"
	outName  = "name"
)

// listOut is what -o json/yaml print for several objects, as kubectl does.
type listOut struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Items      []api.Object `json:"items"`
}

// printStructured prints items as JSON or YAML: the object itself when single is
// true (one object asked for by name), a List otherwise.
func printStructured(w io.Writer, format string, items []item, single bool) error {
	var v any
	if single && len(items) == 1 {
		v = items[0].obj
	} else {
		objs := make([]api.Object, 0, len(items))
		for _, it := range items {
			objs = append(objs, it.obj)
		}
		v = listOut{APIVersion: "v1", Kind: "List", Items: objs}
	}
	return writeStructured(w, format, v)
}

// writeStructured encodes any value as indented JSON or as YAML.
func writeStructured(w io.Writer, format string, v any) error {
	var data []byte
	var err error
	if format == outYAML {
		data, err = yaml.Marshal(v)
	} else {
		data, err = json.MarshalIndent(v, "", "    ")
		data = append(data, '\n')
	}
	if err != nil {
		return fmt.Errorf("cli: encode output: %w", err)
	}
	_, err = w.Write(data)
	return err
}

// printNames prints "configmap/x" lines.
func printNames(w io.Writer, items []item) {
	for _, it := range items {
		fmt.Fprintln(w, qualifiedName(it.res, it.u.name()))
	}
}

// humanAge prints a duration the way kubectl's AGE column does: two significant
// units while they matter (3m2s, 5h10m, 2d4h), one when the second would be noise.
func humanAge(d time.Duration) string {
	secs := int64(d / time.Second)
	mins := int64(d / time.Minute)
	hours := int64(d / time.Hour)
	days := hours / 24
	switch {
	case secs < -1:
		return "<invalid>"
	case secs < 0:
		return "0s"
	case secs < 120:
		return fmt.Sprintf("%ds", secs)
	case mins < 10:
		return twoUnits(mins, "m", secs%60, "s")
	case mins < 180:
		return fmt.Sprintf("%dm", mins)
	case hours < 8:
		return twoUnits(hours, "h", mins%60, "m")
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		return twoUnits(days, "d", hours%24, "h")
	case days < 365*2:
		return fmt.Sprintf("%dd", days)
	case days < 365*8:
		return twoUnits(days/365, "y", days%365, "d")
	}
	return fmt.Sprintf("%dy", days/365)
}

func twoUnits(a int64, ua string, b int64, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d%s", a, ua)
	}
	return fmt.Sprintf("%d%s%d%s", a, ua, b, ub)
}

// ageSince is the age of a timestamp, "<unknown>" when there is none.
func ageSince(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return humanAge(now.Sub(t))
}
