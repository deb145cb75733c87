package netpol

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/iptables/iptablestest"
	"github.com/berth-dev/berth/server/servertest"
)

// runningPod creates a pod bound to node and reports it Running at ip.
func runningPod(t *testing.T, c *api.Client, name, node, ip string, labels map[string]string) *api.Pod {
	t.Helper()
	p := &api.Pod{}
	p.APIVersion, p.Kind, p.Namespace, p.Name, p.Labels = "v1", "Pod", "default", name, labels
	p.Spec.NodeName = node
	p.Spec.Containers = []api.Container{{Name: "app", Image: "berth/demo:dev"}}
	obj, err := c.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	p = obj.(*api.Pod)
	p.Status.Phase, p.Status.PodIP = api.PodRunning, ip
	obj, err = c.UpdateStatus(context.Background(), p)
	if err != nil {
		t.Fatalf("pod %s status: %v", name, err)
	}
	return obj.(*api.Pod)
}

func createPolicy(t *testing.T, c *api.Client, np *api.NetworkPolicy) {
	t.Helper()
	np.APIVersion, np.Kind = "networking.k8s.io/v1", "NetworkPolicy"
	if _, err := c.Create(context.Background(), np); err != nil {
		t.Fatalf("create policy %s: %v", np.Name, err)
	}
}

// TestEnforcerFollowsTheCluster runs an Enforcer against a real server with a
// recording executor: the node's empty entry chain appears once everything
// is listed; a default deny, an allowed peer, a peer's label change and the
// policies' deletion each reach the rules well within a second.
func TestEnforcerFollowsTheCluster(t *testing.T) {
	ts := servertest.Start(t, nil)
	rec := &iptablestest.Recorder{SaveChains: true}
	cfg := DefaultConfig()
	cfg.API, cfg.Executor, cfg.ClusterCIDR, cfg.Node = ts.Client, rec, testCIDR, testNode
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	n := newNames("", testCIDR, testNode)
	dbChain := n.ingress("default/db")
	rec.WaitPayload(t, 5*time.Second, "the entry chain", func(s string) bool {
		return strings.Contains(s, ":"+n.entry()+" ") && strings.Contains(s, "-I DOCKER-USER 1 ")
	})

	runningPod(t, ts.Client, "db", testNode, "10.244.1.2", map[string]string{"app": "db"})
	api1 := runningPod(t, ts.Client, "api", "n2", "10.244.2.3", map[string]string{"app": "api"})
	runningPod(t, ts.Client, "elsewhere", "n2", "10.244.2.4", map[string]string{"app": "db"})

	// within measures one change: applied by the enforcer within a second.
	within := func(what string, change func(), ok func(string) bool) {
		t.Helper()
		start := time.Now()
		change()
		if d := rec.WaitPayload(t, 5*time.Second, what, ok).Sub(start); d > time.Second {
			t.Errorf("%s applied after %v, want within 1s", what, d)
		}
	}
	deny := &api.NetworkPolicy{}
	deny.Namespace, deny.Name = "default", "deny"
	deny.Spec.PodSelector.MatchLabels = map[string]string{"app": "db"}
	within("the default deny", func() { createPolicy(t, ts.Client, deny) }, func(s string) bool {
		return strings.Contains(s, "-d 10.244.1.2/32") && strings.Contains(s, "-A "+dbChain+` -m comment --comment "default/db ingress isolated by policy" -j DROP`) &&
			!strings.Contains(s, "10.244.2.4")
	})

	allow := &api.NetworkPolicy{}
	allow.Namespace, allow.Name = "default", "allow-api"
	allow.Spec.PodSelector.MatchLabels = map[string]string{"app": "db"}
	allow.Spec.Ingress = []api.NetworkPolicyIngressRule{{From: []api.NetworkPolicyPeer{
		{PodSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}}}
	within("the allowed peer", func() { createPolicy(t, ts.Client, allow) }, func(s string) bool {
		return strings.Contains(s, "-A "+dbChain+" -s 10.244.2.3/32 ")
	})

	api1.Labels = map[string]string{"app": "web"}
	within("the peer's new labels", func() {
		if _, err := ts.Client.Update(context.Background(), api1); err != nil {
			t.Fatal(err)
		}
	}, func(s string) bool {
		return strings.Contains(s, dbChain) && !strings.Contains(s, "10.244.2.3")
	})

	npRes, _ := api.ResourceForKind("NetworkPolicy")
	within("the policies' deletion", func() {
		for _, name := range []string{"deny", "allow-api"} {
			if _, err := ts.Client.Delete(context.Background(), npRes, "default", name, api.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}, func(s string) bool {
		return strings.Contains(s, "-X "+dbChain) && !strings.Contains(s, "-d 10.244.1.2/32")
	})
	if e.Syncs() < 5 {
		t.Errorf("%d syncs, want one per change", e.Syncs())
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Prefix, cfg.MinSyncInterval = "berth", 0
	err := cfg.Validate()
	for _, want := range []string{"API is required", "Node is required", `chain prefix "berth"`, "MinSyncInterval must be positive"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
}
