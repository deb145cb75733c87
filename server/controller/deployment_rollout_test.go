package controller

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestDeploymentCreatesReplicaSetAndPods(t *testing.T) {
	h := newHarness(t)
	spec := testDeployment("web", 3, "web:1")
	spec.Annotations = map[string]string{"kubernetes.io/change-cause": "first"}
	h.mustCreate(spec)
	startDeployments(h)

	waitRollout(t, h, "web", "complete", nil, complete(h))
	rss := replicaSetsOf(h, getDeploy(h, "web"))
	if len(rss) != 1 {
		t.Fatalf("replica sets = %d, want 1", len(rss))
	}
	rs := rss[0]
	hash := templateHash(&getDeploy(h, "web").Spec.Template, nil)
	if rs.Name != "web-"+hash || rs.Labels[podTemplateHashLabel] != hash ||
		rs.Spec.Selector.MatchLabels[podTemplateHashLabel] != hash || rs.Spec.Template.Labels[podTemplateHashLabel] != hash {
		t.Fatalf("replica set %s labels %v selector %v: want the template hash %s everywhere", rs.Name, rs.Labels, rs.Spec.Selector, hash)
	}
	a := rs.Annotations
	if a[revisionAnnotation] != "1" || a[desiredReplicasAnnotation] != "3" || a[maxReplicasAnnotation] != "4" ||
		a["kubernetes.io/change-cause"] != "first" {
		t.Fatalf("replica set annotations = %v", a)
	}
	for _, p := range h.pods("default", false) {
		if p.Labels[podTemplateHashLabel] != hash || ControllerOf(p).UID != rs.UID {
			t.Fatalf("pod %s: labels %v, controller %+v", p.Name, p.Labels, ControllerOf(p))
		}
	}
	got := getDeploy(h, "web")
	if got.Annotations[revisionAnnotation] != "1" {
		t.Fatalf("deployment revision annotation = %q, want 1", got.Annotations[revisionAnnotation])
	}
	if c := deploymentCondition(got.Status, api.DeploymentAvailable); c == nil || c.Status != api.ConditionTrue || c.Reason != reasonMinimumAvailable {
		t.Fatalf("Available = %+v", c)
	}
	if got.Status.ReadyReplicas != 3 || got.Status.UnavailableReplicas != 0 {
		t.Fatalf("status = %+v", got.Status)
	}
	if !hasEvent(h, "web", "ScalingReplicaSet", "Scaled up replica set web-"+hash+" to 3") {
		t.Fatalf("no ScalingReplicaSet event: %+v", h.eventsFor("web"))
	}
}

// TestDeploymentRollingUpdateKeepsAvailability rolls image A to B with maxSurge 1
// and maxUnavailable 0: no state of the store may have fewer than 3 ready pods or
// more than 4 live ones.
func TestDeploymentRollingUpdateKeepsAvailability(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(rolling(testDeployment("web", 3, "web:a"), "1", "0"))
	startDeployments(h)
	waitRollout(t, h, "web", "image a rolled out", nil, complete(h))

	watch := watchPods(t, h, func(pods map[string]*api.Pod) string {
		live, available := availablePods(pods)
		if available < 3 || live > 4 {
			return fmt.Sprintf("%d live pods, %d available", live, available)
		}
		return ""
	})
	setImage(t, h, "web", "web:b")
	waitRollout(t, h, "web", "image b rolled out", nil, func(d *api.Deployment) bool {
		old := rsWithImage(h, d, "web:a")
		return complete(h)(d) && old != nil && replicasOf(old.Spec.Replicas) == 0
	})
	if errs := watch.failures(); len(errs) > 0 {
		t.Fatalf("availability broken during the rollout: %v", errs)
	}
	for _, p := range h.pods("default", true) {
		if p.Spec.Containers[0].Image != "web:b" {
			t.Fatalf("pod %s still runs %s", p.Name, p.Spec.Containers[0].Image)
		}
	}
	cur := getDeploy(h, "web")
	old, nw := rsWithImage(h, cur, "web:a"), rsWithImage(h, cur, "web:b")
	if old.Annotations[revisionAnnotation] != "1" || nw.Annotations[revisionAnnotation] != "2" || cur.Annotations[revisionAnnotation] != "2" {
		t.Fatalf("revisions: old %s new %s deployment %s; want 1, 2, 2",
			old.Annotations[revisionAnnotation], nw.Annotations[revisionAnnotation], cur.Annotations[revisionAnnotation])
	}
	if !hasEvent(h, "web", "ScalingReplicaSet", "Scaled up replica set "+nw.Name+" to 1") ||
		!hasEvent(h, "web", "ScalingReplicaSet", "Scaled down replica set "+old.Name+" to 0") {
		t.Fatalf("events = %+v", h.eventsFor("web"))
	}
}

func TestDeploymentRecreate(t *testing.T) {
	h := newHarness(t)
	spec := testDeployment("web", 2, "web:a")
	spec.Spec.Strategy.Type = api.RecreateDeploymentStrategyType
	h.mustCreate(spec)
	startDeployments(h)
	waitRollout(t, h, "web", "image a rolled out", nil, complete(h))

	// Old and new pods never exist together, terminating ones included.
	watch := watchPods(t, h, func(pods map[string]*api.Pod) string {
		images := map[string]bool{}
		for _, p := range pods {
			images[p.Spec.Containers[0].Image] = true
		}
		if len(images) > 1 {
			return fmt.Sprintf("pods of both templates at once: %v", slices.Sorted(maps.Keys(images)))
		}
		return ""
	})
	setImage(t, h, "web", "web:b")
	waitRollout(t, h, "web", "image b rolled out", nil, complete(h))
	if errs := watch.failures(); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if old := rsWithImage(h, getDeploy(h, "web"), "web:a"); old == nil || replicasOf(old.Spec.Replicas) != 0 {
		t.Fatalf("old replica set = %+v, want it kept at 0", old)
	}
}

func TestDeploymentPauseAndResume(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testDeployment("web", 2, "web:a"))
	startDeployments(h)
	waitRollout(t, h, "web", "image a rolled out", nil, complete(h))

	updateDeploy(t, h, "web", func(d *api.Deployment) { d.Spec.Paused = true })
	waitRollout(t, h, "web", "Progressing DeploymentPaused", nil, func(d *api.Deployment) bool {
		c := deploymentCondition(d.Status, api.DeploymentProgressing)
		return c != nil && c.Status == api.ConditionUnknown && c.Reason == reasonPaused
	})
	// Paused: a new template does not roll out, but scaling still applies, in the
	// same sync that would have created the new ReplicaSet.
	updateDeploy(t, h, "web", func(d *api.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "web:b"
		three := int32(3)
		d.Spec.Replicas = &three
	})
	waitRollout(t, h, "web", "scaled to 3 while paused", nil, func(d *api.Deployment) bool {
		rs := rsWithImage(h, d, "web:a")
		return rs != nil && replicasOf(rs.Spec.Replicas) == 3 && d.Status.AvailableReplicas == 3
	})
	if n := len(replicaSetsOf(h, getDeploy(h, "web"))); n != 1 {
		t.Fatalf("replica sets while paused = %d, want 1", n)
	}

	updateDeploy(t, h, "web", func(d *api.Deployment) { d.Spec.Paused = false })
	waitRollout(t, h, "web", "image b rolled out after resume", nil, func(d *api.Deployment) bool {
		rs := rsWithImage(h, d, "web:b")
		return complete(h)(d) && rs != nil && replicasOf(rs.Spec.Replicas) == 3
	})
}

func TestDeploymentRollbackReusesReplicaSet(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testDeployment("web", 2, "web:a"))
	startDeployments(h)
	waitRollout(t, h, "web", "a", nil, complete(h))
	setImage(t, h, "web", "web:b")
	waitRollout(t, h, "web", "b", nil, complete(h))
	d := getDeploy(h, "web")
	rsA := rsWithImage(h, d, "web:a")

	// What `rollout undo` does: put revision 1's template back.
	updateDeploy(t, h, "web", func(d *api.Deployment) {
		d.Spec.Template = rsA.Spec.Template
		d.Spec.Template.Labels = maps.Clone(rsA.Spec.Template.Labels)
		delete(d.Spec.Template.Labels, podTemplateHashLabel)
	})
	waitRollout(t, h, "web", "rolled back to a", nil, func(d *api.Deployment) bool {
		rs := rsWithImage(h, d, "web:a")
		return complete(h)(d) && rs != nil && replicasOf(rs.Spec.Replicas) == 2
	})
	d = getDeploy(h, "web")
	rss := replicaSetsOf(h, d)
	a, b := rsWithImage(h, d, "web:a"), rsWithImage(h, d, "web:b")
	if len(rss) != 2 || a.UID != rsA.UID {
		t.Fatalf("replica sets = %d, want the original two (a reused)", len(rss))
	}
	if a.Annotations[revisionAnnotation] != "3" || a.Annotations[revisionHistoryAnnotation] != "1" ||
		b.Annotations[revisionAnnotation] != "2" || d.Annotations[revisionAnnotation] != "3" {
		t.Fatalf("after rollback: a %v, b %v, deployment %v", a.Annotations, b.Annotations, d.Annotations)
	}
}

func TestDeploymentRevisionHistoryLimit(t *testing.T) {
	h := newHarness(t)
	spec := testDeployment("web", 1, "web:a")
	one := int32(1)
	spec.Spec.RevisionHistoryLimit = &one
	h.mustCreate(spec)
	startDeployments(h)
	for _, image := range []string{"web:a", "web:b", "web:c"} {
		if image != "web:a" {
			setImage(t, h, "web", image)
		}
		waitRollout(t, h, "web", image, nil, func(d *api.Deployment) bool {
			rs := rsWithImage(h, d, image)
			return complete(h)(d) && rs != nil && replicasOf(rs.Spec.Replicas) == 1
		})
	}
	waitRollout(t, h, "web", "the oldest replica set deleted", nil, func(d *api.Deployment) bool {
		return len(replicaSetsOf(h, d)) == 2 && rsWithImage(h, d, "web:a") == nil
	})
	if rsWithImage(h, getDeploy(h, "web"), "web:b") == nil {
		t.Fatal("the newest old replica set was deleted too")
	}
}

func TestDeploymentProgressDeadlineExceeded(t *testing.T) {
	h := newHarness(t)
	spec := testDeployment("web", 2, "web:a")
	one := int32(1)
	spec.Spec.ProgressDeadlineSeconds = &one
	h.mustCreate(spec)
	startDeployments(h)

	never := func(*api.Pod) bool { return false }
	waitRollout(t, h, "web", "ProgressDeadlineExceeded", never, func(d *api.Deployment) bool {
		c := deploymentCondition(d.Status, api.DeploymentProgressing)
		// Timestamps have second precision: the deadline may pass before the pods
		// exist, and the counts keep being reported after it.
		return c != nil && c.Status == api.ConditionFalse && c.Reason == reasonTimedOut && d.Status.Replicas == 2
	})
	d := getDeploy(h, "web")
	if c := deploymentCondition(d.Status, api.DeploymentAvailable); c == nil || c.Status != api.ConditionFalse || c.Reason != reasonMinimumUnavailable {
		t.Fatalf("Available = %+v, want False/MinimumReplicasUnavailable", c)
	}
	if d.Status.UnavailableReplicas != 2 || d.Status.AvailableReplicas != 0 {
		t.Fatalf("status = %+v", d.Status)
	}
}

// TestDeploymentProportionalScaling is Kubernetes' documented example: 10 replicas,
// maxSurge 3, maxUnavailable 2, a new image whose pods never get ready; scaling to
// 15 mid-rollout gives the old set 3 more and the new one 2.
func TestDeploymentProportionalScaling(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(rolling(testDeployment("web", 10, "web:a"), "3", "2"))
	startDeployments(h)
	onlyA := func(p *api.Pod) bool { return p.Spec.Containers[0].Image == "web:a" }
	waitRollout(t, h, "web", "a", onlyA, complete(h))

	setImage(t, h, "web", "web:b")
	sizes := func(a, b int32) func(d *api.Deployment) bool {
		return func(d *api.Deployment) bool {
			rsA, rsB := rsWithImage(h, d, "web:a"), rsWithImage(h, d, "web:b")
			return rsA != nil && rsB != nil && replicasOf(rsA.Spec.Replicas) == a && replicasOf(rsB.Spec.Replicas) == b &&
				rsA.Status.AvailableReplicas == a
		}
	}
	waitRollout(t, h, "web", "stuck at 8 old + 5 new", onlyA, sizes(8, 5))
	updateDeploy(t, h, "web", func(d *api.Deployment) {
		n := int32(15)
		d.Spec.Replicas = &n
	})
	waitRollout(t, h, "web", "scaled to 11 old + 7 new", onlyA, sizes(11, 7))
}

func TestDeploymentHashCollision(t *testing.T) {
	h := newHarness(t)
	d := h.mustCreate(testDeployment("web", 1, "web:a")).(*api.Deployment)
	// Someone else's ReplicaSet holds the name the template hash gives.
	squatter := testReplicaSet("web-"+templateHash(&d.Spec.Template, nil), 0)
	squatter.Spec.Selector.MatchLabels = map[string]string{"app": "other"}
	squatter.Spec.Template.Labels = map[string]string{"app": "other"}
	h.mustCreate(squatter)
	startDeployments(h)

	waitRollout(t, h, "web", "rolled out under another name", nil, complete(h))
	got := getDeploy(h, "web")
	one := int32(1)
	if got.Status.CollisionCount == nil || *got.Status.CollisionCount != 1 {
		t.Fatalf("collisionCount = %v, want 1", got.Status.CollisionCount)
	}
	rss := replicaSetsOf(h, got)
	if len(rss) != 1 || rss[0].Name != "web-"+templateHash(&got.Spec.Template, &one) {
		t.Fatalf("replica sets = %v", rss)
	}
}

func TestDeploymentAdoptsOrphanReplicaSet(t *testing.T) {
	h := newHarness(t)
	spec := testDeployment("web", 2, "web:a")
	api.Default(spec)
	hash := templateHash(&spec.Spec.Template, nil)
	orphan := newReplicaSetFor(spec, hash)
	orphan.OwnerReferences = nil
	two := int32(2)
	orphan.Spec.Replicas = &two
	h.mustCreate(orphan)
	h.mustCreate(spec)
	startDeployments(h)

	waitRollout(t, h, "web", "complete with the adopted set", nil, complete(h))
	rss := replicaSetsOf(h, getDeploy(h, "web"))
	if len(rss) != 1 || rss[0].Name != orphan.Name {
		t.Fatalf("replica sets = %d, want the adopted %s only", len(rss), orphan.Name)
	}
}
