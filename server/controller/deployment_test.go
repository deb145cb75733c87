package controller

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func testDeployment(name string, replicas int32, image string) *api.Deployment {
	d := &api.Deployment{}
	d.Name, d.Namespace = name, "default"
	d.Spec.Replicas = &replicas
	d.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d.Spec.Template.Labels = map[string]string{"app": name}
	d.Spec.Template.Spec.Containers = []api.Container{{Name: "app", Image: image}}
	return d
}

func rolling(d *api.Deployment, surge, unavailable string) *api.Deployment {
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: intStr(surge), MaxUnavailable: intStr(unavailable)}}
	return d
}

// startDeployments runs the Deployment and ReplicaSet controllers.
func startDeployments(h *harness) *DeploymentController {
	c := NewDeploymentController(h.env())
	h.run(NewReplicaSetController(h.env()))
	h.run(c)
	return c
}

func getDeploy(h *harness, name string) *api.Deployment {
	o := h.get("Deployment", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.Deployment)
}

// replicaSetsOf lists the ReplicaSets a Deployment controls, oldest first.
func replicaSetsOf(h *harness, d *api.Deployment) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, o := range h.list("ReplicaSet", d.Namespace) {
		if ref := ControllerOf(o); ref != nil && ref.UID == d.UID {
			out = append(out, o.(*api.ReplicaSet))
		}
	}
	slices.SortFunc(out, byCreation)
	return out
}

// rsWithImage is the Deployment's ReplicaSet whose template runs image, or nil.
func rsWithImage(h *harness, d *api.Deployment, image string) *api.ReplicaSet {
	for _, rs := range replicaSetsOf(h, d) {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			return rs
		}
	}
	return nil
}

// updateDeploy changes a Deployment as a user would, retrying on a conflict with
// the controller's own writes.
func updateDeploy(t *testing.T, h *harness, name string, change func(*api.Deployment)) {
	t.Helper()
	for range 100 {
		d := getDeploy(h, name)
		change(d)
		_, err := h.Update(context.Background(), d)
		if err == nil {
			return
		}
		if api.ReasonOf(err) != api.ReasonConflict {
			t.Fatalf("update deployment %s: %v", name, err)
		}
	}
	t.Fatalf("update deployment %s: conflicts 100 times in a row", name)
}

func setImage(t *testing.T, h *harness, name, image string) {
	t.Helper()
	updateDeploy(t, h, name, func(d *api.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image })
}

// playAgent does one round of every node agent's work: confirms graceful deletes
// and runs the pods ready(p) approves (bound to n1, Running, Ready). A pod the
// controllers changed or deleted meanwhile is left for the next round.
func playAgent(h *harness, ready func(*api.Pod) bool) {
	for _, p := range h.pods("", true) {
		switch {
		case p.DeletionTimestamp != nil:
			h.finishPod(p)
		case p.Status.Phase != api.PodRunning && (ready == nil || ready(p)):
			agentRun(h, p)
		}
	}
}

// agentRun is harness.runPod (bind, Running, Ready) that gives up quietly on a
// conflict or a deleted pod.
func agentRun(h *harness, p *api.Pod) {
	ctx := context.Background()
	if p.Spec.NodeName == "" {
		p.Spec.NodeName = "n1"
		out, err := h.Update(ctx, p)
		if err != nil {
			return
		}
		p = out.(*api.Pod)
	}
	now := api.NewTime(time.Now().Add(-time.Hour))
	p.Status.Phase = api.PodRunning
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: now}}
	h.UpdateStatus(ctx, p)
}

// waitRollout waits for cond on the Deployment, playing the agent meanwhile.
func waitRollout(t *testing.T, h *harness, name, what string, ready func(*api.Pod) bool, cond func(d *api.Deployment) bool) {
	t.Helper()
	waitFor(t, name+": "+what, func() bool {
		playAgent(h, ready)
		d := getDeploy(h, name)
		return d != nil && d.Status.ObservedGeneration == d.Generation && cond(d)
	})
}

// complete: every replica updated and available, the old sets empty.
func complete(h *harness) func(d *api.Deployment) bool {
	return func(d *api.Deployment) bool {
		want := replicasOf(d.Spec.Replicas)
		s := d.Status
		cond := deploymentCondition(s, api.DeploymentProgressing)
		return s.Replicas == want && s.UpdatedReplicas == want && s.AvailableReplicas == want &&
			cond != nil && cond.Reason == reasonNewRSAvailable && len(h.pods(d.Namespace, true)) == int(want)
	}
}

// podWatch checks a condition on the live pods after every change of the store,
// so no intermediate state of a rollout escapes it.
type podWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	errs   []string
}

func watchPods(t *testing.T, h *harness, check func(pods map[string]*api.Pod) string) *podWatch {
	t.Helper()
	res, _ := api.ResourceForKind("Pod")
	recs, index := h.fsm.List(res, "")
	pods := map[string]*api.Pod{}
	for _, r := range recs {
		pods[r.Object.GetObjectMeta().Name] = r.Object.(*api.Pod)
	}
	w, err := h.fsm.Watch(res, "", index)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pw := &podWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(pw.done)
		defer w.Close()
		for {
			events, err := w.Next(ctx)
			if err != nil {
				return
			}
			for _, ev := range events {
				name := ev.Record.Object.GetObjectMeta().Name
				if ev.Type == raftfsm.Deleted {
					delete(pods, name)
				} else {
					pods[name] = ev.Record.Object.(*api.Pod)
				}
				if msg := check(pods); msg != "" {
					pw.mu.Lock()
					pw.errs = append(pw.errs, msg)
					pw.mu.Unlock()
				}
			}
		}
	}()
	t.Cleanup(pw.stop)
	return pw
}

func (pw *podWatch) stop() {
	pw.cancel()
	<-pw.done
}

// failures stops the watch and returns what it saw go wrong.
func (pw *podWatch) failures() []string {
	pw.stop()
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.errs
}

func availablePods(pods map[string]*api.Pod) (live, available int) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		live++
		if _, ready := readySince(p); ready {
			available++
		}
	}
	return live, available
}

func hasEvent(h *harness, name, reason, prefix string) bool {
	return slices.ContainsFunc(h.eventsFor(name), func(e recordedEvent) bool {
		return e.Reason == reason && strings.HasPrefix(e.Message, prefix)
	})
}
