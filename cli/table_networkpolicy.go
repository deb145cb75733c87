package cli

// The NetworkPolicy table, in kubectl's columns.
func init() {
	tableDefs["networkpolicies"] = networkPolicyTable
}

var networkPolicyTable = tableDef{
	headers: []string{"NAME", "POD-SELECTOR", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, orNone(labelSelectorQuery(r.u.obj("spec", "podSelector"))), age(r)}
	},
}
