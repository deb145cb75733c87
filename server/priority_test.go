package server

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

// mustDecodeObject decodes a manifest (a fresh object each call: the client may
// change what it sends).
func mustDecodeObject(t *testing.T, doc string) api.Object {
	t.Helper()
	obj, _, err := api.DecodeObject([]byte(doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return obj
}

func priorityClassDoc(name, rest string) string {
	return "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: " + name + "}\n" + rest
}

func podDoc(name, spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: default}\nspec:\n" + spec +
		"  containers: [{name: app, image: busybox}]\n"
}

// podName makes a pod name of a test name: "No class, no default" is
// "no-class-no-default".
func podName(test string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(test, func(r rune) bool { return r == ' ' || r == ',' }), "-"))
}

// TestPodPriorityAdmission drives Kubernetes' Priority admission rules through a
// real single-node server: class lookup, the built-in classes, the global default,
// and the refusals.
func TestPodPriorityAdmission(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	if _, err := c.Create(ctx, mustDecodeObject(t, priorityClassDoc("high", "value: 1000\ndescription: important\n"))); err != nil {
		t.Fatalf("create class: %v", err)
	}
	if _, err := c.Create(ctx, mustDecodeObject(t, priorityClassDoc("batch", "value: 5\npreemptionPolicy: Never\n"))); err != nil {
		t.Fatalf("create class: %v", err)
	}

	// Before any default class exists, a pod without a class gets 0.
	tests := []struct {
		name       string
		spec       string
		wantClass  string
		wantValue  int32
		wantPolicy string
		wantErr    string // the whole 403 message; "" means admitted
	}{
		{"no class, no default", "", "", 0, api.PreemptLowerPriority, ""},
		{"named class", "  priorityClassName: high\n", "high", 1000, api.PreemptLowerPriority, ""},
		{"class with policy Never", "  priorityClassName: batch\n", "batch", 5, api.PreemptNever, ""},
		{"built-in node critical", "  priorityClassName: system-node-critical\n", "system-node-critical", 2000001000, api.PreemptLowerPriority, ""},
		{"built-in cluster critical", "  priorityClassName: system-cluster-critical\n", "system-cluster-critical", 2000000000, api.PreemptLowerPriority, ""},
		{"matching priority is fine", "  priorityClassName: high\n  priority: 1000\n", "high", 1000, api.PreemptLowerPriority, ""},
		{"unknown class", "  priorityClassName: nope\n", "", 0, "",
			`pods "unknown-class" is forbidden: no PriorityClass with name nope was found`},
		{"disagreeing priority", "  priorityClassName: high\n  priority: 7\n", "", 0, "",
			`pods "disagreeing-priority" is forbidden: the integer value of priority (7) must not be provided in pod spec; ` +
				"priority admission controller computed 1000 from the given PriorityClass name"},
		{"priority without class", "  priority: 7\n", "", 0, "",
			`pods "priority-without-class" is forbidden: the integer value of priority (7) must not be provided in pod spec; ` +
				"priority admission controller computed 0 from the given PriorityClass name"},
		{"disagreeing policy", "  priorityClassName: high\n  preemptionPolicy: Never\n", "", 0, "",
			`pods "disagreeing-policy" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; ` +
				"priority admission controller computed PreemptLowerPriority from the given PriorityClass name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := c.Create(ctx, mustDecodeObject(t, podDoc(podName(tt.name), tt.spec)))
			if tt.wantErr != "" {
				wantReason(t, err, api.ReasonForbidden)
				if err.(*api.Error).Status.Message != tt.wantErr || err.(*api.Error).Code() != 403 {
					t.Errorf("message %q (code %d), want %q", err.(*api.Error).Status.Message, err.(*api.Error).Code(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			s := obj.(*api.Pod).Spec
			if s.PriorityClassName != tt.wantClass || s.Priority == nil || *s.Priority != tt.wantValue ||
				s.PreemptionPolicy == nil || *s.PreemptionPolicy != tt.wantPolicy {
				t.Errorf("class %q priority %v policy %v, want %q %d %s", s.PriorityClassName, s.Priority, s.PreemptionPolicy,
					tt.wantClass, tt.wantValue, tt.wantPolicy)
			}
		})
	}

	// Re-applying a pod's manifest keeps what admission set (those fields are
	// immutable), and does not count as a spec change.
	updated, err := c.Update(ctx, mustDecodeObject(t, podDoc("named-class", "  priorityClassName: high\n")))
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if p := updated.(*api.Pod); *p.Spec.Priority != 1000 || p.Generation != 1 {
		t.Errorf("re-applied pod: priority %d generation %d", *p.Spec.Priority, p.Generation)
	}
	if _, err := c.Update(ctx, mustDecodeObject(t, podDoc(podName("no class, no default"), ""))); err != nil {
		t.Fatalf("re-apply without class: %v", err)
	}

	// A global default class names itself on pods without a class; a second one
	// is refused.
	if _, err := c.Create(ctx, mustDecodeObject(t, priorityClassDoc("default-low", "value: 10\nglobalDefault: true\n"))); err != nil {
		t.Fatalf("create default class: %v", err)
	}
	obj, err := c.Create(ctx, mustDecodeObject(t, podDoc("defaulted", "")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if s := obj.(*api.Pod).Spec; s.PriorityClassName != "default-low" || *s.Priority != 10 {
		t.Errorf("defaulted pod: class %q priority %d", s.PriorityClassName, *s.Priority)
	}
	_, err = c.Create(ctx, mustDecodeObject(t, priorityClassDoc("default-2", "value: 20\nglobalDefault: true\n")))
	wantReason(t, err, api.ReasonForbidden)
	if want := `priorityclasses.scheduling.k8s.io "default-2" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist`; err.Error() != want {
		t.Errorf("second default: %q, want %q", err.Error(), want)
	}
	_, err = c.Update(ctx, mustDecodeObject(t, priorityClassDoc("high", "value: 1000\nglobalDefault: true\n")))
	wantReason(t, err, api.ReasonForbidden)
}

// TestPriorityClassValidation checks the API rules of the kind itself through the
// server: a cluster-scoped path, reserved values and names, an immutable value.
func TestPriorityClassValidation(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	_, err := c.Create(ctx, mustDecodeObject(t, priorityClassDoc("huge", "value: 1000000001\n")))
	wantReason(t, err, api.ReasonInvalid)
	_, err = c.Create(ctx, mustDecodeObject(t, priorityClassDoc("system-mine", "value: 1\n")))
	wantReason(t, err, api.ReasonInvalid)

	created, err := c.Create(ctx, mustDecodeObject(t, priorityClassDoc("high", "value: 1000\n")))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if pc := created.(*api.PriorityClass); pc.Namespace != "" || *pc.PreemptionPolicy != api.PreemptLowerPriority {
		t.Errorf("stored class: %+v", pc)
	}
	pcRes := mustRes(t, "PriorityClass")
	if got, err := c.Get(ctx, pcRes, "", "high", api.GetOptions{Consistent: true}); err != nil || got.(*api.PriorityClass).Value != 1000 {
		t.Fatalf("get: %v %v", got, err)
	}
	_, err = c.Update(ctx, mustDecodeObject(t, priorityClassDoc("high", "value: 2000\n")))
	wantReason(t, err, api.ReasonInvalid)
	if _, err := c.Update(ctx, mustDecodeObject(t, priorityClassDoc("high", "value: 1000\ndescription: now described\n"))); err != nil {
		t.Errorf("description update: %v", err)
	}
}
