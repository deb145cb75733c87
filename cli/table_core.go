package cli

import (
	"fmt"
	"strings"
	"time"
)

var namespaceTable = tableDef{
	headers: []string{"NAME", "STATUS", "AGE"},
	row: func(r rowInput) []string {
		phase := r.u.str("status", "phase")
		if phase == "" {
			phase = "Active"
		}
		return []string{r.name, phase, age(r)}
	},
}

var configMapTable = tableDef{
	headers: []string{"NAME", "DATA", "AGE"},
	row: func(r rowInput) []string {
		n := r.u.size("data") + r.u.size("binaryData")
		return []string{r.name, fmt.Sprint(n), age(r)}
	},
}

var secretTable = tableDef{
	headers: []string{"NAME", "TYPE", "DATA", "AGE"},
	row: func(r rowInput) []string {
		typ := r.u.str("type")
		if typ == "" {
			typ = "Opaque"
		}
		return []string{r.name, typ, fmt.Sprint(secretKeys(r.u)), age(r)}
	},
}

// secretKeys counts the keys of data and stringData together (a key in both counts once).
func secretKeys(u fields) int {
	keys := map[string]bool{}
	for k := range u.strMap("data") {
		keys[k] = true
	}
	for k := range u.strMap("stringData") {
		keys[k] = true
	}
	return len(keys)
}

var eventTable = tableDef{
	headers: []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
	row: func(r rowInput) []string {
		return []string{ageSince(eventTime(r.u), r.now), r.u.str("type"), r.u.str("reason"),
			eventObject(r.u), r.u.str("message")}
	},
}

// eventTime is when an event was last seen, from whichever field its source set.
func eventTime(u fields) time.Time {
	for _, path := range [][]string{{"lastTimestamp"}, {"eventTime"}, {"series", "lastObservedTime"},
		{"firstTimestamp"}, {"metadata", "creationTimestamp"}} {
		if t := u.time(path...); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// eventObject is "pod/web-1": the involved object's kind in lower case and its name.
func eventObject(u fields) string {
	return strings.ToLower(u.str("involvedObject", "kind")) + "/" + u.str("involvedObject", "name")
}
