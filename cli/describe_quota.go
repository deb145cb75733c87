package cli

import (
	"fmt"
	"sort"
	"strings"
)

// The describers of ResourceQuotas and LimitRanges, in kubectl's layout.
func init() {
	kindDescribers["resourcequotas"] = describeResourceQuota
	kindDescribers["limitranges"] = describeLimitRange
}

// quotaScopeHelp is kubectl's line under each scope.
var quotaScopeHelp = map[string]string{
	"Terminating":    "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
	"NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
	"BestEffort":     "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
	"NotBestEffort":  "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
}

func describeResourceQuota(d *describer, u fields) {
	if scopes := u.strs("spec", "scopes"); len(scopes) > 0 {
		sort.Strings(scopes)
		d.line(0, "Scopes", strings.Join(scopes, ", "))
		for _, s := range scopes {
			if help := quotaScopeHelp[s]; help != "" {
				fmt.Fprintf(d.tw, " * %s\n", help)
			}
		}
	}
	if sel := u.list("spec", "scopeSelector", "matchExpressions"); len(sel) > 0 {
		d.header(0, "Scope Selector")
		for _, e := range sel {
			fmt.Fprintf(d.tw, "  %s %s %s\n", e.str("scopeName"), e.str("operator"), strings.Join(e.strs("values"), ","))
		}
	}
	hard, used := quotaHardUsed(u)
	// The table aligns on its own, not with the metadata lines above it.
	_ = d.tw.Flush()
	defer d.tw.Flush()
	fmt.Fprintln(d.tw, "Resource\tUsed\tHard")
	fmt.Fprintln(d.tw, "--------\t----\t----")
	for _, k := range sortedKeys(hard) {
		fmt.Fprintf(d.tw, "%s\t%s\t%s\n", cell(k), cell(used[k]), cell(hard[k]))
	}
}

func describeLimitRange(d *describer, u fields) {
	_ = d.tw.Flush()
	defer d.tw.Flush()
	fmt.Fprintln(d.tw, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio")
	fmt.Fprintln(d.tw, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------")
	for _, it := range u.list("spec", "limits") {
		cols := []map[string]string{
			it.strMap("min"), it.strMap("max"), it.strMap("defaultRequest"), it.strMap("default"), it.strMap("maxLimitRequestRatio"),
		}
		names := map[string]bool{}
		for _, m := range cols {
			for k := range m {
				names[k] = true
			}
		}
		for _, k := range sortedKeys(names) {
			row := []string{cell(it.str("type")), cell(k)}
			for _, m := range cols {
				row = append(row, cell(orDash(m[k])))
			}
			fmt.Fprintln(d.tw, strings.Join(row, "\t"))
		}
	}
}

// orDash is kubectl's placeholder for an unset bound in a LimitRange.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
