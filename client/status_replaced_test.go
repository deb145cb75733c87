package client

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/api"
)

// A client that comes back after its node was lost must not write its old pod's
// status over the pod that replaced it under the same name (a StatefulSet's).
func TestPutStatusSkipsReplacedPod(t *testing.T) {
	_, c := mustStartServer(t)
	ctx := context.Background()
	old := mustCreate(t, c, newPod("web-0", "lost-node", "app")).(*api.Pod)
	zero := int64(0)
	if _, err := c.Delete(ctx, podRes, "default", "web-0", api.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, newPod("web-0", "other-node", "app"))

	st := api.PodStatus{Phase: api.PodRunning, Message: "from the lost node"}
	err := (&podWorker{}).putStatus(ctx, c, old, st)
	if api.ReasonOf(err) != api.ReasonNotFound {
		t.Fatalf("putStatus of the replaced pod: %v, want NotFound", err)
	}
	cur, err := getPod(c, "web-0")
	if err != nil {
		t.Fatal(err)
	}
	if cur.UID == old.UID || cur.Status.Message == st.Message {
		t.Errorf("the new pod got the old one's status: %+v", cur.Status)
	}
}
