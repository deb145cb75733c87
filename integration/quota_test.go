package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestQuotaRefusesThePodPastIt: on a three-server cluster (no agents: the pods
// stay Pending), a namespace with a quota of two pods takes two pods created with
// the CLI through a follower; the third fails with the quota's name and leaves
// nothing behind; the quota's status reports 2/2.
func TestQuotaRefusesThePodPastIt(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	via := c.followers(leader)[0]
	ns := testNamespace(t, c)
	applyYAML(t, via, ns, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: pod-quota}\nspec: {hard: {pods: '2'}}\n")

	create := func(name string) (string, string, int) {
		f := filepath.Join(t.TempDir(), name+".yaml")
		pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: [{name: app, image: busybox}]}\n", name)
		if err := os.WriteFile(f, []byte(pod), 0o600); err != nil {
			t.Fatal(err)
		}
		return cli(t, via, "create", "-n", ns, "-f", f)
	}
	for _, name := range []string{"one", "two"} {
		if _, errOut, code := create(name); code != 0 {
			t.Fatalf("create %s: exit %d: %s", name, code, errOut)
		}
	}
	_, errOut, code := create("three")
	want := `Error from server (Forbidden): pods "three" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=2, limited: pods=2`
	if code == 0 || strings.TrimSpace(errOut) != want {
		t.Fatalf("third create: exit %d, stderr %q; want a failure:\n%s", code, errOut, want)
	}

	if got := mustCLI(t, via, "get", "pods", "-n", ns, "-o", "name"); got != "pod/one\npod/two\n" {
		t.Errorf("pods after the refused create:\n%s", got)
	}
	if _, errOut, code := cli(t, via, "get", "pod", "three", "-n", ns); code == 0 || !strings.Contains(errOut, "NotFound") {
		t.Errorf("get pod three: exit %d, stderr %q; want NotFound", code, errOut)
	}
	used := regexp.MustCompile(`(?m)^pods\s+2\s+2$`)
	waitFor(t, 15*time.Second, "the quota's status to show 2/2", func() error {
		out, errOut, code := cli(t, via, "describe", "quota", "pod-quota", "-n", ns)
		if code != 0 || !used.MatchString(out) {
			return fmt.Errorf("exit %d: %s%s", code, out, errOut)
		}
		return nil
	})
}
