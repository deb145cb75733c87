package server

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

const jobManifest = `apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: default}
spec:
  backoffLimit: 4
  template:
    metadata: {labels: {app: pi}}
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: IMAGE}]
`

// A Job gets its selector generated from the uid the server stamps, and applying
// its manifest again (a PUT without the generated fields) changes nothing, as
// kubectl apply does for Kubernetes.
func TestJobSelectorGeneratedAndReapplied(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	manifest := func(image string) api.Object {
		return mustDecodeObject(t, strings.Replace(jobManifest, "IMAGE", image, 1))
	}
	created, err := c.Create(ctx, manifest("perl:5.34"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	job := created.(*api.Job)
	if job.Spec.Selector == nil || job.Spec.Selector.MatchLabels[api.ControllerUIDLabel] != job.UID {
		t.Fatalf("selector not generated from uid %s: %+v", job.UID, job.Spec.Selector)
	}
	for k, v := range map[string]string{api.JobNameLabel: "pi", api.ControllerUIDLabel: job.UID, "job-name": "pi", "controller-uid": job.UID, "app": "pi"} {
		if job.Spec.Template.Labels[k] != v {
			t.Errorf("template label %s = %q, want %q", k, job.Spec.Template.Labels[k], v)
		}
	}
	if job.Labels["app"] != "pi" || len(job.Labels) != 1 {
		t.Errorf("job labels = %v, want the template's own", job.Labels)
	}

	again, err := c.Update(ctx, manifest("perl:5.34"))
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if g := again.(*api.Job); g.Generation != 1 || !equalSelector(g.Spec.Selector, job.Spec.Selector) {
		t.Errorf("re-apply changed the job: generation %d selector %+v", g.Generation, g.Spec.Selector)
	}

	_, err = c.Update(ctx, manifest("perl:5.36"))
	wantReason(t, err, api.ReasonInvalid)
	if !strings.Contains(err.Error(), "spec.template: Forbidden: field is immutable") {
		t.Errorf("template change: %v", err)
	}
}

func equalSelector(a, b *api.LabelSelector) bool {
	sa, errA := a.AsSelector()
	sb, errB := b.AsSelector()
	return errA == nil && errB == nil && sa.String() == sb.String()
}

// A StatefulSet's immutable fields are refused on update with a message that names
// them, and the apps-group path serves it.
func TestStatefulSetUpdateRules(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	const doc = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: default}\nspec:\n" +
		"  serviceName: SVC\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n" +
		"  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}\n"
	mk := func(svc string) api.Object { return mustDecodeObject(t, strings.Replace(doc, "SVC", svc, 1)) }
	if _, err := c.Create(ctx, mk("web")); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := c.Update(ctx, mk("web")); err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	_, err := c.Update(ctx, mk("other"))
	wantReason(t, err, api.ReasonInvalid)
	if !strings.Contains(err.Error(), "(changed: serviceName)") {
		t.Errorf("serviceName change: %v", err)
	}
}
