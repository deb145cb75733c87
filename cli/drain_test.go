package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

// drainPodManifest is a Ready pod on node; owner is "KIND/NAME/UID" of its
// controller or "" for none; emptyDir adds such a volume.
func drainPodManifest(name, node, owner string, emptyDir bool) string {
	m := `
apiVersion: v1
kind: Pod
metadata:
  name: ` + name + `
  labels: {app: web}
`
	if owner != "" {
		parts := strings.Split(owner, "/")
		m += "  ownerReferences: [{apiVersion: apps/v1, kind: " + parts[0] + ", name: " + parts[1] +
			", uid: " + parts[2] + ", controller: true}]\n"
	}
	m += "spec:\n  nodeName: " + node + "\n  containers: [{name: app, image: nginx}]\n"
	if emptyDir {
		m += "  volumes: [{name: scratch, emptyDir: {}}]\n"
	}
	return m + "status:\n  phase: Running\n  conditions: [{type: Ready, status: \"True\"}]\n"
}

// drainWorkloads is a Deployment of 3 (maxUnavailable 25% of 3 rounds down to 0,
// so 1) and its ReplicaSet.
var drainWorkloads = []string{fixtureNode, strings.Replace(fixtureNode, "name: n1", "name: n2", 1), `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, uid: dep-uid}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
status: {replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3}
`, `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-rs
  uid: rs-uid
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: dep-uid, controller: true}]
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
`}

func TestDrainRefusesAndForces(t *testing.T) {
	pods := []string{
		drainPodManifest("agent-x", "n1", "DaemonSet/agent/ds-uid", false),
		drainPodManifest("bare", "n1", "", false),
		drainPodManifest("scratchy", "n1", "ReplicaSet/other-rs/other-uid", true),
		drainPodManifest("elsewhere", "n2", "", false),
	}
	t.Run("refused", func(t *testing.T) {
		lf := newLiveFake(t, append(append([]string{}, drainWorkloads...), pods...)...)
		r := runBerth(t, lf.fakeServer, "", "drain", "n1")
		wantErr := "error: unable to drain node \"n1\": " +
			"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent-x; " +
			"cannot delete Pods that declare no controller (use --force to override): default/bare; " +
			"cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratchy\n"
		if r.code != 1 || r.stdout != "node/n1 cordoned\n" || r.stderr != wantErr {
			t.Errorf("exit %d stdout %q stderr:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, wantErr)
		}
		for _, name := range []string{"agent-x", "bare", "scratchy", "elsewhere"} {
			if lf.object("pods", "default", name) == nil {
				t.Errorf("pod %s was deleted by a refused drain", name)
			}
		}
		if !lf.object("nodes", "", "n1").boolean("spec", "unschedulable") {
			t.Errorf("a refused drain still cordons the node, as kubectl's does")
		}
	})
	t.Run("forced", func(t *testing.T) {
		lf := newLiveFake(t, append(append([]string{}, drainWorkloads...), pods...)...)
		r := runBerth(t, lf.fakeServer, "", "drain", "n1", "--ignore-daemonsets", "--force",
			"--delete-emptydir-data", "--grace-period", "0", "--poll-interval", "10ms")
		wantOut := "node/n1 cordoned\n" +
			"evicting pod default/bare\n" +
			"evicting pod default/scratchy\n" +
			"pod/bare evicted\n" +
			"pod/scratchy evicted\n" +
			"node/n1 drained\n"
		wantErr := "Warning: ignoring DaemonSet-managed Pods: default/agent-x\n" +
			"Warning: deleting Pods that declare no controller: default/bare\n" +
			"Warning: deleting Pods with local storage: default/scratchy\n"
		if r.code != 0 || r.stdout != wantOut || r.stderr != wantErr {
			t.Errorf("exit %d stdout:\n%s\nstderr:\n%s\nwant:\n%s\n%s", r.code, r.stdout, r.stderr, wantOut, wantErr)
		}
		for name, want := range map[string]bool{"agent-x": true, "bare": false, "scratchy": false, "elsewhere": true} {
			if got := lf.object("pods", "default", name) != nil; got != want {
				t.Errorf("pod %s present = %v, want %v", name, got, want)
			}
		}
		lf.mu.Lock()
		bodies := strings.Join(lf.bodies, "\n")
		lf.mu.Unlock()
		if strings.Count(bodies, `"gracePeriodSeconds":0`) != 2 || !strings.Contains(bodies, `"preconditions":{"uid":`) {
			t.Errorf("DELETE bodies %q, want a zero grace period and a uid precondition on each", bodies)
		}
	})
}

func TestDrainPacesDeploymentPods(t *testing.T) {
	owner := "ReplicaSet/web-rs/rs-uid"
	lf := newLiveFake(t, append(append([]string{}, drainWorkloads...),
		drainPodManifest("web-a", "n1", owner, false),
		drainPodManifest("web-b", "n1", owner, false),
		drainPodManifest("web-c", "n2", owner, false))...)
	run := startBerth(t, lf.url, "drain", "n1", "--poll-interval", "10ms", "--timeout", "30s")
	waitFor(t, "drain to wait for web-a's replacement", func() bool {
		return strings.Contains(run.stdout.String(), "waiting for deployment default/web")
	})
	if lf.object("pods", "default", "web-a") != nil || lf.object("pods", "default", "web-b") == nil {
		t.Fatalf("with one web pod down, want web-a evicted and web-b kept; stdout:\n%s", run.stdout.String())
	}
	// The ReplicaSet controller's part: a replacement on n2 becomes Ready.
	replacement, err := api.DecodeManifests([]byte(drainPodManifest("web-d", "n2", owner, false)))
	if err != nil {
		t.Fatal(err)
	}
	replacement[0].GetObjectMeta().Namespace = "default"
	if _, err := lf.client(t).Create(context.Background(), replacement[0]); err != nil {
		t.Fatal(err)
	}
	r := run.wait(t)
	want := "node/n1 cordoned\n" +
		"evicting pod default/web-a\n" +
		"pod/web-a evicted\n" +
		"waiting for deployment default/web: 2 of 3 pods ready, 3 available, at most 1 may be unavailable\n" +
		"evicting pod default/web-b\n" +
		"pod/web-b evicted\n" +
		"node/n1 drained\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("exit %d stderr %q stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	if lf.object("pods", "default", "web-c") == nil || lf.object("pods", "default", "web-d") == nil {
		t.Errorf("drain of n1 deleted pods of n2")
	}
}

func TestDrainWaitsForAvailability(t *testing.T) {
	// The pods all look Ready but the Deployment says only 2 are available (say,
	// minReadySeconds not yet passed): one is already down, so none may go.
	owner := "ReplicaSet/web-rs/rs-uid"
	lf := newLiveFake(t, append(append([]string{}, drainWorkloads...),
		drainPodManifest("web-a", "n1", owner, false),
		drainPodManifest("web-b", "n2", owner, false),
		drainPodManifest("web-c", "n2", owner, false))...)
	lf.setDeploymentStatus(t, "web", api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 2})
	r := runBerth(t, lf.fakeServer, "", "drain", "n1", "--poll-interval", "10ms", "--timeout", "300ms")
	wantOut := "node/n1 cordoned\n" +
		"waiting for deployment default/web: 3 of 3 pods ready, 2 available, at most 1 may be unavailable\n"
	wantErr := "error: unable to drain node \"n1\": global timeout reached: 300ms (pods left: default/web-a)\n"
	if r.code != 1 || r.stdout != wantOut || r.stderr != wantErr {
		t.Errorf("exit %d stdout %q stderr %q\nwant %q %q", r.code, r.stdout, r.stderr, wantOut, wantErr)
	}
	if lf.object("pods", "default", "web-a") == nil {
		t.Errorf("web-a was evicted although its Deployment had no unavailability to spare")
	}
}

func TestDrainEmptyAndMissingNode(t *testing.T) {
	lf := newLiveFake(t, drainWorkloads...)
	if got := mustRun(t, lf.fakeServer, "drain", "n2"); got != "node/n2 cordoned\nnode/n2 drained\n" {
		t.Errorf("drain of an empty node printed %q", got)
	}
	r := runBerth(t, lf.fakeServer, "", "drain", "n9")
	if r.code != 1 || r.stderr != "Error from server (NotFound): nodes \"n9\" not found\n" {
		t.Errorf("drain of a missing node: exit %d stderr %q", r.code, r.stderr)
	}
}
