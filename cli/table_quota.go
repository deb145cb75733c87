package cli

import (
	"strings"
	"time"
)

// The ResourceQuota and LimitRange tables, in kubectl's columns.
func init() {
	tableDefs["resourcequotas"] = resourceQuotaTable
	tableDefs["limitranges"] = limitRangeTable
}

var resourceQuotaTable = tableDef{
	headers: []string{"NAME", "AGE", "REQUEST", "LIMIT"},
	row: func(r rowInput) []string {
		req, lim := quotaColumns(r.u)
		return []string{r.name, age(r), req, lim}
	},
}

// quotaColumns are kubectl's REQUEST and LIMIT cells: "pods: 1/2, requests.cpu:
// 500m/4", the limits.* resources in the second. Until the controller has written
// the status, the spec's caps show with nothing used.
func quotaColumns(u fields) (req, lim string) {
	hard, used := quotaHardUsed(u)
	var reqs, lims []string
	for _, k := range sortedKeys(hard) {
		cell := k + ": " + used[k] + "/" + hard[k]
		if strings.HasPrefix(k, "limits.") {
			lims = append(lims, cell)
		} else {
			reqs = append(reqs, cell)
		}
	}
	return strings.Join(reqs, ", "), strings.Join(lims, ", ")
}

// quotaHardUsed reads status.hard (spec.hard before the first status) and
// status.used, "0" for what is not reported yet.
func quotaHardUsed(u fields) (hard, used map[string]string) {
	hard = u.strMap("status", "hard")
	if len(hard) == 0 {
		hard = u.strMap("spec", "hard")
	}
	used = u.strMap("status", "used")
	for k := range hard {
		if used[k] == "" {
			used[k] = "0"
		}
	}
	return hard, used
}

var limitRangeTable = tableDef{
	headers: []string{"NAME", "CREATED AT"},
	row: func(r rowInput) []string {
		created := ""
		if t := r.u.time("metadata", "creationTimestamp"); !t.IsZero() {
			created = t.UTC().Format(time.RFC3339)
		}
		return []string{r.name, created}
	},
}
