package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// The describers of StatefulSets, DaemonSets, Jobs and PriorityClasses, in
// kubectl's words.
func init() {
	kindDescribers["statefulsets"] = describeStatefulSet
	kindDescribers["daemonsets"] = describeDaemonSet
	kindDescribers["jobs"] = describeJob
	kindDescribers["priorityclasses"] = describePriorityClass
}

func describeStatefulSet(d *describer, u fields) {
	d.line(0, "Selector", selectorString(u.obj("spec", "selector")))
	d.line(0, "Replicas", fmt.Sprintf("%d desired | %d total", desiredReplicas(u), u.num("status", "replicas")))
	strategy := u.str("spec", "updateStrategy", "type")
	if strategy == "" {
		strategy = "RollingUpdate"
	}
	d.line(0, "Update Strategy", strategy)
	if ru := u.obj("spec", "updateStrategy", "rollingUpdate"); ru != nil {
		if ru.has("partition") {
			d.line(1, "Partition", ru.num("partition"))
		}
		if mu := ru.str("maxUnavailable"); mu != "" {
			d.line(1, "MaxUnavailable", mu)
		}
	}
	d.line(0, "Pods Status", d.podsStatus(u))
	describeTemplate(d, u)
	claims := u.list("spec", "volumeClaimTemplates")
	if len(claims) == 0 {
		d.line(0, "Volume Claims", "<none>")
		return
	}
	d.header(0, "Volume Claims")
	for _, c := range claims {
		d.line(1, "Name", c.str("metadata", "name"))
		d.line(1, "StorageClass", c.str("spec", "storageClassName"))
		d.pairs(1, "Labels", c.strMap("metadata", "labels"))
		d.pairs(1, "Annotations", c.strMap("metadata", "annotations"))
		d.line(1, "Capacity", orNone(c.str("spec", "resources", "requests", "storage")))
		d.line(1, "Access Modes", "["+strings.Join(c.strs("spec", "accessModes"), " ")+"]")
	}
}

func describeDaemonSet(d *describer, u fields) {
	d.line(0, "Selector", selectorString(u.obj("spec", "selector")))
	d.line(0, "Node-Selector", nodeSelectorString(u))
	d.line(0, "Desired Number of Nodes Scheduled", u.num("status", "desiredNumberScheduled"))
	d.line(0, "Current Number of Nodes Scheduled", u.num("status", "currentNumberScheduled"))
	d.line(0, "Number of Nodes Scheduled with Up-to-date Pods", u.num("status", "updatedNumberScheduled"))
	d.line(0, "Number of Nodes Scheduled with Available Pods", u.num("status", "numberAvailable"))
	d.line(0, "Number of Nodes Misscheduled", u.num("status", "numberMisscheduled"))
	d.line(0, "Pods Status", d.podsStatus(u))
	describeTemplate(d, u)
}

func describeJob(d *describer, u fields) {
	d.line(0, "Selector", selectorString(u.obj("spec", "selector")))
	d.line(0, "Parallelism", optionalNum(u, "spec", "parallelism"))
	d.line(0, "Completions", optionalNum(u, "spec", "completions"))
	mode := u.str("spec", "completionMode")
	if mode == "" {
		mode = "NonIndexed"
	}
	d.line(0, "Completion Mode", mode)
	d.line(0, "Suspend", u.boolean("spec", "suspend"))
	d.line(0, "Backoff Limit", optionalNum(u, "spec", "backoffLimit"))
	if u.has("spec", "ttlSecondsAfterFinished") {
		d.line(0, "TTL Seconds After Finished", u.num("spec", "ttlSecondsAfterFinished"))
	}
	if start := u.time("status", "startTime"); !start.IsZero() {
		d.line(0, "Start Time", start.Local().Format(time.RFC1123Z))
	}
	if done := u.time("status", "completionTime"); !done.IsZero() {
		d.line(0, "Completed At", done.Local().Format(time.RFC1123Z))
	}
	if dur := jobDuration(u, d.now); dur != "" {
		d.line(0, "Duration", dur)
	}
	if u.has("spec", "activeDeadlineSeconds") {
		d.line(0, "Active Deadline Seconds", fmt.Sprintf("%ds", u.num("spec", "activeDeadlineSeconds")))
	}
	d.line(0, "Pods Statuses", fmt.Sprintf("%d Active (%d Ready) / %d Succeeded / %d Failed", u.num("status", "active"),
		u.num("status", "ready"), u.num("status", "succeeded"), u.num("status", "failed")))
	if mode == "Indexed" {
		d.line(0, "Completed Indexes", orNone(u.str("status", "completedIndexes")))
	}
	describeTemplate(d, u)
	describeConditions(d, u.list("status", "conditions"))
}

func describePriorityClass(d *describer, u fields) {
	d.line(0, "Value", u.num("value"))
	d.line(0, "GlobalDefault", u.boolean("globalDefault"))
	d.line(0, "PreemptionPolicy", preemptionPolicy(u))
	d.line(0, "Description", u.str("description"))
}

// optionalNum prints an integer field, or <unset> when the field is absent.
func optionalNum(u fields, path ...string) string {
	if !u.has(path...) {
		return "<unset>"
	}
	return fmt.Sprint(u.num(path...))
}

// podsStatus counts the pods the workload controls by phase, as kubectl's "Pods
// Status" line: "3 Running / 0 Waiting / 0 Succeeded / 0 Failed".
func (d *describer) podsStatus(u fields) string {
	podRes, ok := api.ResourceForKind("Pod")
	sel := labelSelectorQuery(u.obj("spec", "selector"))
	if !ok || sel == "" {
		return "<unknown>"
	}
	l, err := d.c.List(d.ctx, podRes, u.namespace(), api.ListOptions{LabelSelector: sel, Consistent: !d.o.stale})
	if err != nil {
		return "<unavailable: " + oneLine(err.Error()) + ">"
	}
	pods, err := itemsOf(podRes, l)
	if err != nil {
		return "<unavailable: " + oneLine(err.Error()) + ">"
	}
	phases := map[string]int{}
	uid := u.str("metadata", "uid")
	for _, p := range pods {
		if controlledBy(p.u, uid) {
			phases[p.u.str("status", "phase")]++
		}
	}
	return fmt.Sprintf("%d Running / %d Waiting / %d Succeeded / %d Failed",
		phases["Running"], phases["Pending"]+phases[""], phases["Succeeded"], phases["Failed"])
}

// controlledBy says whether a pod's controller reference names uid.
func controlledBy(pod fields, uid string) bool {
	for _, ref := range pod.list("metadata", "ownerReferences") {
		if ref.boolean("controller") && ref.str("uid") == uid {
			return true
		}
	}
	return false
}

// labelSelectorQuery turns a selector in its wire form into the query syntax
// ("app=web,tier in (a,b)"); "" when it is missing or does not parse.
func labelSelectorQuery(sel fields) string {
	if sel == nil {
		return ""
	}
	raw, err := json.Marshal(map[string]any(sel))
	if err != nil {
		return ""
	}
	var ls api.LabelSelector
	if err := json.Unmarshal(raw, &ls); err != nil {
		return ""
	}
	s, err := ls.AsSelector()
	if err != nil {
		return ""
	}
	return s.String()
}
