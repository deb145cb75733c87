package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// TestClaimVolumeOutlivesPod: a persistentVolumeClaim volume is an engine volume
// named after the claim, kept when the pod goes and found again by the next pod
// of the same claim (a StatefulSet ordinal's replacement).
func TestClaimVolumeOutlivesPod(t *testing.T) {
	base, c := mustStartServer(t)
	rt := fake.New(fake.Config{Hostname: "n1"})
	ta := startAgent(t, base, "n1", rt, t.TempDir())
	want := claimVolumeName("default", "data-db-0")
	claimPod := func(name string) *api.Pod {
		p := newPod(name, "n1", "main")
		p.Spec.Volumes = []api.Volume{{Name: "data", VolumeSource: api.VolumeSource{
			PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: "data-db-0"},
		}}}
		p.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "data", MountPath: "/data"}}
		return p
	}
	hasVolume := func() error {
		vols, err := ta.a.rt.ListVolumes(context.Background())
		if err != nil {
			return err
		}
		for _, v := range vols {
			if v.Name == want {
				if v.PodUID != "" || v.Labels[LabelClaimName] != "data-db-0" {
					return fmt.Errorf("volume %s labels %v", v.Name, v.Labels)
				}
				return nil
			}
		}
		return fmt.Errorf("no volume %s in %+v", want, vols)
	}

	first := mustCreate(t, c, claimPod("db-0")).(*api.Pod)
	waitPod(t, c, "db-0", "running", phaseIs(api.PodRunning))
	if err := hasVolume(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(context.Background(), podRes, "default", "db-0", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	assertNoTrace(t, ta.a, first.UID)
	if err := hasVolume(); err != nil {
		t.Fatalf("after the pod went: %v", err)
	}
	waitFor(t, 10*time.Second, "db-0 gone from the API", func() error {
		_, err := c.Get(context.Background(), podRes, "default", "db-0", api.GetOptions{})
		if api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
	mustCreate(t, c, claimPod("db-0"))
	waitPod(t, c, "db-0", "running again", phaseIs(api.PodRunning))
	waitFor(t, 5*time.Second, "the same volume", hasVolume)
}
