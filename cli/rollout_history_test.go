package cli

import (
	"strings"
	"testing"
	"time"
)

// historyFixtures is a deployment at revision 3 with its three ReplicaSets, plus a
// ReplicaSet of another owner and one without a revision, which history leaves out.
var historyFixtures = []string{`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, uid: dep-uid, annotations: {kubernetes.io/change-cause: "set image v3"}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:v3"}]}
`, historyRS("web-1", "dep-uid", "1", "v1", `kubernetes.io/change-cause: "create"`),
	historyRS("web-2", "dep-uid", "2", "v2", `kubernetes.io/change-cause: "set image v2"`),
	historyRS("web-3", "dep-uid", "3", "v3", ""),
	historyRS("web-old", "other-uid", "7", "v7", ""),
	historyRS("web-norev", "dep-uid", "", "v9", ""),
}

func historyRS(name, owner, rev, image, cause string) string {
	ann := ""
	if rev != "" {
		ann = `deployment.kubernetes.io/revision: "` + rev + `"`
	}
	if cause != "" {
		ann += ", " + cause
	}
	return `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ` + name + `
  annotations: {` + ann + `}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: ` + owner + `, controller: true}]
spec:
  replicas: 0
  selector: {matchLabels: {app: web, pod-template-hash: h` + image + `}}
  template:
    metadata: {labels: {app: web, pod-template-hash: h` + image + `}}
    spec: {containers: [{name: app, image: "nginx:` + image + `"}]}
`
}

func TestRolloutHistory(t *testing.T) {
	lonely := strings.Replace(historyFixtures[0], "name: web, uid: dep-uid", "name: lonely, uid: lonely-uid", 1)
	lf := newLiveFake(t, append(historyFixtures, lonely)...)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"list", []string{"deployment/web"}, 0, "" +
			"deployment.apps/web\n" +
			"REVISION  CHANGE-CAUSE\n" +
			"1         create\n" +
			"2         set image v2\n" +
			"3         <none>\n", ""},
		{"one revision", []string{"deploy", "web", "--revision", "2"}, 0, "" +
			"deployment.apps/web with revision #2\n" +
			"Pod Template:\n" +
			"  Labels:  app=web\n" +
			"           pod-template-hash=hv2\n" +
			"  Containers:\n" +
			"    app:\n" +
			"      Image:  nginx:v2\n" +
			"      Ports:  <none>\n", ""},
		{"missing revision", []string{"deployment/web", "--revision", "9"}, 1, "",
			"error: revision not found: unable to find the specified revision 9\n"},
		{"no history", []string{"deployment/lonely"}, 0, "No rollout history found.\n", ""},
		{"not a deployment", []string{"rs/web-1"}, 1, "",
			"error: bad usage: rollout history works on deployments, not replicasets\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBerth(t, lf.fakeServer, "", append([]string{"rollout", "history"}, tt.args...)...)
			if r.code != tt.wantCode || r.stdout != tt.wantOut || r.stderr != tt.wantErr {
				t.Errorf("exit %d stderr %q stdout:\n%s\nwant %d %q:\n%s", r.code, r.stderr, r.stdout,
					tt.wantCode, tt.wantErr, tt.wantOut)
			}
		})
	}
}

func TestRolloutUndo(t *testing.T) {
	paused := strings.Replace(historyFixtures[0], "replicas: 2", "replicas: 2\n  paused: true", 1)
	tests := []struct {
		name      string
		deploy    string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantImage string
		wantCause string
	}{
		{"previous", historyFixtures[0], nil, 0, "deployment.apps/web rolled back\n", "", "nginx:v2", "set image v2"},
		{"to revision", historyFixtures[0], []string{"--to-revision", "1"}, 0, "deployment.apps/web rolled back\n", "",
			"nginx:v1", "create"},
		{"current revision", historyFixtures[0], []string{"--to-revision=3"}, 0,
			"deployment.apps/web skipped rollback (current template already matches revision 3)\n", "", "nginx:v3",
			"set image v3"},
		{"unknown revision", historyFixtures[0], []string{"--to-revision", "7"}, 1, "",
			"error: unable to find specified revision 7 in history\n", "nginx:v3", "set image v3"},
		{"paused", paused, nil, 1, "", "error: you cannot rollback a paused deployment; resume it first with " +
			"'berth rollout resume deployment/web' and try again\n", "nginx:v3", "set image v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lf := newLiveFake(t, append([]string{tt.deploy}, historyFixtures[1:]...)...)
			r := runBerth(t, lf.fakeServer, "", append([]string{"rollout", "undo", "deployment/web"}, tt.args...)...)
			if r.code != tt.wantCode || r.stdout != tt.wantOut || r.stderr != tt.wantErr {
				t.Errorf("exit %d stdout %q stderr %q\nwant %d %q %q", r.code, r.stdout, r.stderr,
					tt.wantCode, tt.wantOut, tt.wantErr)
			}
			d := lf.object("deployments", "default", "web")
			containers := d.list("spec", "template", "spec", "containers")
			if len(containers) != 1 || containers[0].str("image") != tt.wantImage {
				t.Errorf("template containers %v, want image %s", containers, tt.wantImage)
			}
			if labels := d.strMap("spec", "template", "metadata", "labels"); len(labels) != 1 || labels["app"] != "web" {
				t.Errorf("template labels %v, want only app=web (no pod-template-hash)", labels)
			}
			if got := d.str("metadata", "annotations", changeCauseAnnotation); got != tt.wantCause {
				t.Errorf("change-cause %q, want %q", got, tt.wantCause)
			}
		})
	}
	t.Run("no history", func(t *testing.T) {
		lf := newLiveFake(t, historyFixtures[0], historyFixtures[3])
		r := runBerth(t, lf.fakeServer, "", "rollout", "undo", "deployment/web")
		if r.code != 1 || r.stderr != "error: no rollout history found for deployment \"web\"\n" {
			t.Errorf("exit %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestRolloutPauseResumeRestart(t *testing.T) {
	lf := newLiveFake(t, historyFixtures[0])
	paused := func() bool { return lf.object("deployments", "default", "web").boolean("spec", "paused") }
	steps := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantErr    string
		wantPaused bool
	}{
		{"pause", []string{"pause", "deployment/web"}, 0, "deployment.apps/web paused\n", "", true},
		{"pause again", []string{"pause", "deployment/web"}, 1, "", "error: deployments.apps \"web\" is already paused\n", true},
		{"restart paused", []string{"restart", "deployment/web"}, 1, "",
			"error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n", true},
		{"resume", []string{"resume", "deploy/web"}, 0, "deployment.apps/web resumed\n", "", false},
		{"resume again", []string{"resume", "deploy/web"}, 1, "", "error: deployments.apps \"web\" is not paused\n", false},
		{"pause a replicaset", []string{"pause", "rs/web"}, 1, "",
			"error: bad usage: rollout pause works on deployments, not replicasets\n", false},
		{"restart", []string{"restart", "deployment/web"}, 0, "deployment.apps/web restarted\n", "", false},
	}
	for _, s := range steps {
		r := runBerth(t, lf.fakeServer, "", append([]string{"rollout"}, s.args...)...)
		if r.code != s.wantCode || r.stdout != s.wantOut || r.stderr != s.wantErr {
			t.Errorf("%s: exit %d stdout %q stderr %q\nwant %d %q %q", s.name, r.code, r.stdout, r.stderr,
				s.wantCode, s.wantOut, s.wantErr)
		}
		if paused() != s.wantPaused {
			t.Errorf("%s: spec.paused = %v, want %v", s.name, paused(), s.wantPaused)
		}
	}
	d := lf.object("deployments", "default", "web")
	at, err := time.Parse(time.RFC3339, d.str("spec", "template", "metadata", "annotations", restartedAtAnnotation))
	if err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
		t.Errorf("restartedAt = %v (%v), want about now", at, err)
	}
	if d.has("spec", "paused") {
		t.Errorf("resume left spec.paused in place: %v", d.get("spec", "paused"))
	}
}
