package client

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

func TestGracefulDeleteRemovesContainersThenPod(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	pod := newPod("gone", "n1", "a", "b")
	pod.Spec.Volumes = []api.Volume{{Name: "scratch", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "scratch", MountPath: "/scratch"}}
	created := mustCreate(t, c, pod).(*api.Pod)
	waitPod(t, c, "gone", "running", phaseIs(api.PodRunning))
	if _, err := c.Delete(context.Background(), podRes, "default", "gone", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the pod object to go", func() error {
		_, err := getPod(c, "gone")
		if api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
	assertNoTrace(t, ta.a, created.UID)
}

// assertNoTrace checks that nothing of pod uid is left in the runtime or IPAM.
func assertNoTrace(t *testing.T, a *Agent, uid string) {
	t.Helper()
	waitFor(t, 10*time.Second, "the pod's runtime objects to go", func() error {
		all, err := a.rt.ListContainers(context.Background())
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.PodUID == uid {
				return fmt.Errorf("container %s (sandbox %v) left", c.ContainerName, c.Sandbox)
			}
		}
		vols, err := a.rt.ListVolumes(context.Background())
		if err != nil {
			return err
		}
		for _, v := range vols {
			if v.PodUID == uid {
				return fmt.Errorf("volume %s left", v.Name)
			}
		}
		if _, ok := a.ipam.lookup(uid); ok {
			return fmt.Errorf("IP still allocated")
		}
		return nil
	})
}

func TestAgentRestartAdoptsAndCleansUp(t *testing.T) {
	base, c := mustStartServer(t)
	rt := fake.New(fake.Config{Hostname: "n1"})
	dir := t.TempDir()
	first := startAgent(t, base, "n1", rt, dir)
	keep := mustCreate(t, c, newPod("keep", "n1", "main")).(*api.Pod)
	crash := mustCreate(t, c, newPod("crash", "n1", "main")).(*api.Pod)
	orphan := mustCreate(t, c, newPod("orphan", "n1", "main")).(*api.Pod)
	for _, name := range []string{"keep", "crash", "orphan"} {
		waitPod(t, c, name, "running", phaseIs(api.PodRunning))
	}
	keepID := runningID(t, rt, keep.UID, "main")
	keepIP := mustGetPod(t, c, "keep").Status.PodIP
	crashID := runningID(t, rt, crash.UID, "main")
	first.stop()

	// While the agent is down: a container dies, a pod is force-deleted.
	if err := rt.Exit(crashID, 1); err != nil {
		t.Fatal(err)
	}
	forceDelete(t, c, "orphan")

	second := startAgent(t, base, "n1", rt, dir)
	assertNoTrace(t, second.a, orphan.UID)
	waitPod(t, c, "crash", "restarted", func(p *api.Pod) error {
		if cs := statusOf(p, "main"); cs.RestartCount != 1 || cs.State.Running == nil {
			return fmt.Errorf("status %+v", cs)
		}
		return nil
	})
	p := mustGetPod(t, c, "keep")
	if cs := statusOf(p, "main"); cs.RestartCount != 0 || cs.ContainerID != "docker://"+keepID || cs.State.Running == nil {
		t.Errorf("adopted container restarted or lost: %+v", cs)
	}
	if p.Status.PodIP != keepIP {
		t.Errorf("pod IP changed across the restart: %s → %s", keepIP, p.Status.PodIP)
	}
	if ids := containersOf(t, rt, keep.UID); len(ids) != 1 || ids[0].ID != keepID {
		t.Errorf("containers of the adopted pod: %+v", ids)
	}
	// A new pod never gets a live pod's address.
	mustCreate(t, c, newPod("fresh", "n1", "main"))
	fresh := waitPod(t, c, "fresh", "running", phaseIs(api.PodRunning))
	if slices.Contains([]string{keepIP, mustGetPod(t, c, "crash").Status.PodIP}, fresh.Status.PodIP) {
		t.Errorf("fresh pod reuses a live IP %s", fresh.Status.PodIP)
	}
}

func forceDelete(t *testing.T, c *api.Client, name string) {
	t.Helper()
	resp, err := c.Raw(context.Background(), "DELETE", podRes.ObjectPath("default", name),
		strings.NewReader(`{"gracePeriodSeconds":0}`))
	if err != nil {
		t.Fatalf("force delete %s: %v", name, err)
	}
	resp.Body.Close()
}

func TestImagePullFailure(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	ta.rt.FailImagePull("nowhere/missing:1", "manifest unknown")
	bad := newPod("bad", "n1", "main")
	bad.Spec.Containers[0].Image = "nowhere/missing:1"
	mustCreate(t, c, bad)
	mustCreate(t, c, newPod("good", "n1", "main"))
	seen := map[string]bool{}
	waitPod(t, c, "bad", "ErrImagePull then ImagePullBackOff", func(p *api.Pod) error {
		if w := statusOf(p, "main").State.Waiting; w != nil {
			seen[w.Reason] = true
			if w.Reason == "ErrImagePull" && !strings.Contains(w.Message, "manifest unknown") {
				return fmt.Errorf("message %q lacks the engine's reason", w.Message)
			}
		}
		if !seen["ErrImagePull"] || !seen["ImagePullBackOff"] {
			return fmt.Errorf("seen %v", seen)
		}
		return phaseIs(api.PodPending)(p)
	})
	waitPod(t, c, "good", "running", phaseIs(api.PodRunning))
	// Once the image can be pulled, the pod starts.
	ta.rt.AddImage("nowhere/missing:1", 1)
	waitPod(t, c, "bad", "running after the image appeared", phaseIs(api.PodRunning))
}

func TestEnvFromSecretAndConfigMap(t *testing.T) {
	base, c := mustStartServer(t)
	mustCreate(t, c, &api.Secret{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: api.ObjectMeta{Name: "creds", Namespace: "default"},
		Data:       map[string][]byte{"password": []byte("s3cret")},
	})
	mustCreate(t, c, &api.ConfigMap{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Name: "settings", Namespace: "default"},
		Data:       map[string]string{"mode": "fast", "level": "3"},
	})
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Servers, cfg.ClientPort, cfg.Logger = "n1", t.TempDir(), []string{base}, 0, discardLogger()
	a, err := NewWithRuntime(cfg, fake.New(fake.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background(), false) })
	yes := true
	pod := newPod("env", "n1", "main")
	pod.UID = "uid-1"
	pod.Spec.Containers[0].EnvFrom = []api.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &api.ConfigMapEnvSource{LocalObjectReference: api.LocalObjectReference{Name: "settings"}}}}
	pod.Spec.Containers[0].Env = []api.EnvVar{
		{Name: "PASSWORD", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "creds"}, Key: "password"}}},
		{Name: "MODE", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "settings"}, Key: "mode"}}},
		{Name: "OPTIONAL", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "absent"}, Key: "k", Optional: &yes}}},
		{Name: "POD", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "IP", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "GREETING", Value: "mode=$(MODE)"},
	}
	env, err := a.resolveEnv(context.Background(), pod, &pod.Spec.Containers[0], "10.244.0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CM_level=3", "CM_mode=fast", "PASSWORD=s3cret", "MODE=fast", "POD=env", "IP=10.244.0.5", "GREETING=mode=fast"}
	if !slices.Equal(env, want) {
		t.Errorf("env\n got %q\nwant %q", env, want)
	}

	tests := []struct {
		name string
		env  api.EnvVar
	}{
		{"missing-secret", api.EnvVar{Name: "X", ValueFrom: &api.EnvVarSource{SecretKeyRef: &api.SecretKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "absent"}, Key: "k"}}}},
		{"missing-key", api.EnvVar{Name: "X", ValueFrom: &api.EnvVarSource{ConfigMapKeyRef: &api.ConfigMapKeySelector{LocalObjectReference: api.LocalObjectReference{Name: "settings"}, Key: "nope"}}}},
		{"bad-field", api.EnvVar{Name: "X", ValueFrom: &api.EnvVarSource{FieldRef: &api.ObjectFieldSelector{FieldPath: "spec.nope"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctr := api.Container{Name: "x", Env: []api.EnvVar{tt.env}}
			if _, err := a.resolveEnv(context.Background(), pod, &ctr, ""); err == nil {
				t.Errorf("resolved an unresolvable variable")
			}
		})
	}
}

func TestSecretVolumeFiles(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	mustCreate(t, c, &api.Secret{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: api.ObjectMeta{Name: "tls", Namespace: "default"},
		Data:       map[string][]byte{"tls.key": []byte("KEY"), "tls.crt": []byte("CRT")},
	})
	pod := newPod("vol", "n1", "main")
	mode := int32(0o400)
	pod.Spec.Volumes = []api.Volume{{Name: "certs", VolumeSource: api.VolumeSource{Secret: &api.SecretVolumeSource{
		SecretName: "tls", DefaultMode: &mode, Items: []api.KeyToPath{{Key: "tls.key", Path: "private/key.pem"}},
	}}}}
	pod.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "certs", MountPath: "/certs"}}
	created := mustCreate(t, c, pod).(*api.Pod)
	waitPod(t, c, "vol", "running", phaseIs(api.PodRunning))
	file := ta.a.podDir(created.UID) + "/volumes/certs/private/key.pem"
	b, err := readFileMode(file, 0o400)
	if err != nil || string(b) != "KEY" {
		t.Errorf("secret file: %q, %v", b, err)
	}
}

// readFileMode reads a file and checks its permission bits.
func readFileMode(file string, mode os.FileMode) ([]byte, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm() != mode {
		return nil, fmt.Errorf("mode %v, want %v", fi.Mode().Perm(), mode)
	}
	return os.ReadFile(file)
}
