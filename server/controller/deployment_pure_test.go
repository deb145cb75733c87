package controller

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func TestTemplateHash(t *testing.T) {
	base := func() *api.PodTemplateSpec {
		return &api.PodTemplateSpec{
			ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "nginx:1.25"}}},
		}
	}
	one := int32(1)
	// Pinned: a different hash for the same template would roll every Deployment
	// out again after an upgrade.
	if got := templateHash(base(), nil); got != "5885798bf" {
		t.Fatalf("hash = %q, want the pinned 5885798bf", got)
	}
	if got := templateHash(base(), &one); got != "db967cffb" {
		t.Fatalf("hash with collisionCount 1 = %q, want the pinned db967cffb", got)
	}
	tests := []struct {
		name   string
		change func(*api.PodTemplateSpec)
		same   bool
	}{
		{name: "same template", change: func(*api.PodTemplateSpec) {}, same: true},
		{name: "labels", change: func(p *api.PodTemplateSpec) {
			p.Labels = map[string]string{"tier": "fe", "app": "web"}
		}},
		{name: "image", change: func(p *api.PodTemplateSpec) { p.Spec.Containers[0].Image = "nginx:1.26" }},
		{name: "restartedAt annotation", change: func(p *api.PodTemplateSpec) {
			p.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.change(p)
			h := templateHash(p, nil)
			if strings.Trim(h, hashAlphabet) != "" {
				t.Fatalf("hash %q has characters outside the safe alphabet", h)
			}
			if (h == templateHash(base(), nil)) != tt.same {
				t.Fatalf("hash %q vs base %q: same = %v, want %v", h, templateHash(base(), nil), !tt.same, tt.same)
			}
		})
	}
	// Maps encode in key order: the order labels were written in does not matter.
	a, b := base(), base()
	a.Labels = map[string]string{"app": "web", "tier": "fe"}
	b.Labels = map[string]string{"tier": "fe", "app": "web"}
	if templateHash(a, nil) != templateHash(b, nil) {
		t.Fatal("map order changed the hash")
	}
}

func TestEqualIgnoreHash(t *testing.T) {
	a := &api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}}}
	b := &api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web", podTemplateHashLabel: "abc"}}}
	if !equalIgnoreHash(a, b) {
		t.Fatal("templates differing only in pod-template-hash should be equal")
	}
	if _, ok := a.Labels[podTemplateHashLabel]; ok || len(b.Labels) != 2 {
		t.Fatal("equalIgnoreHash changed its arguments")
	}
	c := &api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "db"}}}
	if equalIgnoreHash(a, c) {
		t.Fatal("different labels compare equal")
	}
}

func intStr(s string) *api.IntOrString {
	if n, err := strconv.Atoi(s); err == nil {
		v := api.FromInt(n)
		return &v
	}
	v := api.FromString(s)
	return &v
}

func TestResolveFenceposts(t *testing.T) {
	tests := []struct {
		name                  string
		surge, unavailable    string
		desired               int32
		wantSurge, wantUnavai int32
	}{
		{name: "defaults of 10", surge: "25%", unavailable: "25%", desired: 10, wantSurge: 3, wantUnavai: 2},
		{name: "defaults of 1: unavailable rounds down to 0", surge: "25%", unavailable: "25%", desired: 1, wantSurge: 1, wantUnavai: 0},
		{name: "counts", surge: "2", unavailable: "0", desired: 5, wantSurge: 2, wantUnavai: 0},
		{name: "both resolve to 0: unavailable becomes 1", surge: "0", unavailable: "10%", desired: 3, wantSurge: 0, wantUnavai: 1},
		{name: "100% unavailable", surge: "0", unavailable: "100%", desired: 4, wantSurge: 0, wantUnavai: 4},
		{name: "zero replicas", surge: "25%", unavailable: "25%", desired: 0, wantSurge: 0, wantUnavai: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u := resolveFenceposts(intStr(tt.surge), intStr(tt.unavailable), tt.desired)
			if s != tt.wantSurge || u != tt.wantUnavai {
				t.Fatalf("fenceposts = %d, %d; want %d, %d", s, u, tt.wantSurge, tt.wantUnavai)
			}
		})
	}
	// maxUnavailable never exceeds replicas, and is 0 for Recreate.
	d := pureDeployment(2, "0", "5")
	if got := maxUnavailable(d); got != 2 {
		t.Fatalf("maxUnavailable = %d, want it capped at replicas (2)", got)
	}
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	if maxUnavailable(d) != 0 || maxSurge(d) != 0 {
		t.Fatal("Recreate has no surge or unavailability budget")
	}
}

func pureDeployment(replicas int32, surge, unavailable string) *api.Deployment {
	d := &api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web"}}
	d.Spec.Replicas = &replicas
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &api.RollingUpdateDeployment{MaxSurge: intStr(surge), MaxUnavailable: intStr(unavailable)}}
	return d
}

// pureRS is a ReplicaSet of size n with avail available pods, created ageMin
// minutes ago, last sized for desired/max.
func pureRS(name string, n, avail int32, ageMin int, desired, maxReplicas int32) *api.ReplicaSet {
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name,
		CreationTimestamp: api.NewTime(time.Now().Add(-time.Duration(ageMin) * time.Minute))}}
	rs.Spec.Replicas = &n
	rs.Status.Replicas, rs.Status.AvailableReplicas = n, avail
	if desired > 0 {
		setReplicasAnnotations(rs, desired, maxReplicas)
	}
	return rs
}

func TestNewRSNewReplicas(t *testing.T) {
	tests := []struct {
		name       string
		d          *api.Deployment
		old, cur   int32
		oldPods    int32 // old set's status.replicas when it differs from its spec
		want       int32
		isRecreate bool
	}{
		{name: "old set still runs its surplus", d: pureDeployment(3, "1", "0"), old: 2, oldPods: 3, cur: 1, want: 1},
		{name: "surge room: grow by surge", d: pureDeployment(10, "3", "2"), old: 10, cur: 0, want: 3},
		{name: "no room", d: pureDeployment(10, "3", "2"), old: 10, cur: 3, want: 3},
		{name: "room after old shrank", d: pureDeployment(10, "3", "2"), old: 8, cur: 3, want: 5},
		{name: "never above replicas", d: pureDeployment(3, "5", "0"), old: 0, cur: 1, want: 3},
		{name: "maxSurge 0 waits for old to shrink", d: pureDeployment(3, "0", "1"), old: 3, cur: 0, want: 0},
		{name: "recreate: all at once", d: pureDeployment(4, "1", "1"), old: 0, cur: 0, want: 4, isRecreate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.isRecreate {
				tt.d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
			}
			old, cur := pureRS("old", tt.old, tt.old, 10, 0, 0), pureRS("new", tt.cur, 0, 1, 0, 0)
			if tt.oldPods > 0 {
				old.Status.Replicas = tt.oldPods
			}
			if got := newRSNewReplicas(tt.d, []*api.ReplicaSet{old, cur}, cur); got != tt.want {
				t.Fatalf("newRSNewReplicas = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestProportionalSizes(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		rss  []*api.ReplicaSet
		want map[string]int32
	}{
		{
			// Kubernetes' documented example: 10 -> 15 mid-rollout, maxSurge 3.
			name: "scale up 10 to 15",
			d:    pureDeployment(15, "3", "2"),
			rss:  []*api.ReplicaSet{pureRS("old", 8, 8, 10, 10, 13), pureRS("new", 5, 0, 1, 10, 13)},
			want: map[string]int32{"old": 11, "new": 7},
		},
		{
			name: "scale down 10 to 5",
			d:    pureDeployment(5, "3", "2"),
			rss:  []*api.ReplicaSet{pureRS("old", 8, 8, 10, 10, 13), pureRS("new", 5, 0, 1, 10, 13)},
			// allowed 5+3 = 8, so 13 -> 8: old 8*8/13 = 4.9 -> 5, new 5*8/13 = 3.1 -> 3.
			want: map[string]int32{"old": 5, "new": 3},
		},
		{
			name: "scale to zero",
			d:    pureDeployment(0, "3", "2"),
			rss:  []*api.ReplicaSet{pureRS("old", 8, 8, 10, 10, 13), pureRS("new", 5, 0, 1, 10, 13)},
			want: map[string]int32{"old": 0, "new": 0},
		},
		{
			name: "equal sizes: newer first when scaling up",
			d:    pureDeployment(4, "1", "0"),
			rss:  []*api.ReplicaSet{pureRS("a", 2, 2, 10, 3, 4), pureRS("b", 2, 0, 1, 3, 4)},
			// allowed 5, total 4, add 1; equal sizes scaling up: the newer (b) first
			// takes round(2*5/4) - 2 = 1, leaving a nothing.
			want: map[string]int32{"a": 2, "b": 3},
		},
		{
			name: "rounding leftover goes to the first",
			d:    pureDeployment(4, "0", "1"),
			rss: []*api.ReplicaSet{pureRS("a", 1, 1, 30, 3, 3), pureRS("b", 1, 1, 20, 3, 3),
				pureRS("c", 1, 0, 10, 3, 3)},
			// Each share rounds to 0 (1*4/3 = 1.3 -> 1); the newest takes the one left.
			want: map[string]int32{"a": 1, "b": 1, "c": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]int32{}
			var total int32
			for _, s := range proportionalSizes(tt.d, tt.rss) {
				got[s.rs.Name] = s.size
				total += s.size
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Fatalf("sizes = %v, want %v", got, tt.want)
				}
			}
			if want := replicasOf(tt.d.Spec.Replicas); want > 0 && total != want+maxSurge(tt.d) {
				t.Fatalf("total %d, want replicas+maxSurge %d", total, want+maxSurge(tt.d))
			}
		})
	}
}

func TestSetNewReplicaSetAnnotations(t *testing.T) {
	d := pureDeployment(4, "1", "1")
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "image b", revisionAnnotation: "7",
		"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	rs := pureRS("web-abc", 0, 0, 1, 0, 0)
	if !setNewReplicaSetAnnotations(d, rs, 3, false) {
		t.Fatal("no change reported for a fresh ReplicaSet")
	}
	a := rs.Annotations
	if a[revisionAnnotation] != "3" || a["kubernetes.io/change-cause"] != "image b" ||
		a[desiredReplicasAnnotation] != "4" || a[maxReplicasAnnotation] != "5" {
		t.Fatalf("annotations = %v", a)
	}
	if _, ok := a["kubectl.kubernetes.io/last-applied-configuration"]; ok {
		t.Fatal("last-applied-configuration was copied")
	}
	if setNewReplicaSetAnnotations(d, rs, 3, true) {
		t.Fatal("a second call reported a change")
	}
	// A rollback reuses the set: it moves up to the new revision and remembers the old.
	if !setNewReplicaSetAnnotations(d, rs, 5, true) || a[revisionAnnotation] != "5" || a[revisionHistoryAnnotation] != "3" {
		t.Fatalf("after rollback: %v", a)
	}
	// A lower revision never moves it down.
	if setNewReplicaSetAnnotations(d, rs, 4, true) || a[revisionAnnotation] != "5" {
		t.Fatalf("revision moved down: %v", a)
	}
}

func TestDeploymentConditions(t *testing.T) {
	c := &DeploymentController{now: time.Now}
	var st api.DeploymentStatus
	setDeploymentCondition(&st, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonNewRSCreated, "a"))
	first := *deploymentCondition(st, api.DeploymentProgressing)
	c.now = func() time.Time { return time.Now().Add(time.Hour) }
	setDeploymentCondition(&st, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonNewRSCreated, "b"))
	if got := deploymentCondition(st, api.DeploymentProgressing); got.Message != "a" {
		t.Fatal("same status and reason replaced the condition")
	}
	setDeploymentCondition(&st, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonRSUpdated, "c"))
	got := deploymentCondition(st, api.DeploymentProgressing)
	if got.Reason != reasonRSUpdated || !got.LastTransitionTime.Equal(first.LastTransitionTime.Time) || got.LastUpdateTime.Equal(first.LastUpdateTime.Time) {
		t.Fatalf("reason change: %+v; want the new reason, the old transition time and a new update time", got)
	}
	removeDeploymentCondition(&st, api.DeploymentProgressing)
	if st.Conditions != nil {
		t.Fatalf("conditions = %+v after remove", st.Conditions)
	}
}
