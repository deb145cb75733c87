package api

import (
	"testing"
	"time"
)

func TestValidateUpdate(t *testing.T) {
	basePod := func() *Pod {
		p := mustDecodePod()
		p.UID, p.CreationTimestamp = "u1", NewTime(time.Unix(1700000000, 0))
		return p
	}
	boolTrue := true
	checkValidateUpdate(t, []updateCase{
		{"image change is allowed", func() Object { return basePod() }, func(o Object) {
			o.(*Pod).Spec.Containers[0].Image = "nginx:1.26"
		}, nil},
		{"binding an unbound pod is allowed", func() Object { return basePod() }, func(o Object) {
			o.(*Pod).Spec.NodeName = "node1"
		}, nil},
		{"toleration additions are allowed", func() Object { return basePod() }, func(o Object) {
			p := o.(*Pod)
			p.Spec.Tolerations = append(p.Spec.Tolerations, Toleration{Key: "k", Operator: "Exists"})
		}, nil},
		{"lowering activeDeadlineSeconds is allowed", func() Object {
			p := basePod()
			p.Spec.ActiveDeadlineSeconds = int64Ptr(100)
			return p
		}, func(o Object) { o.(*Pod).Spec.ActiveDeadlineSeconds = int64Ptr(50) }, nil},
		{"raising activeDeadlineSeconds is not", func() Object {
			p := basePod()
			p.Spec.ActiveDeadlineSeconds = int64Ptr(100)
			return p
		}, func(o Object) { o.(*Pod).Spec.ActiveDeadlineSeconds = int64Ptr(200) },
			[]string{"spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"}},
		{"other pod spec fields are immutable", func() Object { return basePod() }, func(o Object) {
			o.(*Pod).Spec.Containers[0].Args = []string{"x"}
		}, []string{"spec: Forbidden: pod updates may not change fields other than"}},
		{"removing a toleration is not allowed", func() Object {
			p := basePod()
			p.Spec.Tolerations = []Toleration{{Key: "k", Operator: "Exists"}}
			return p
		}, func(o Object) { o.(*Pod).Spec.Tolerations = nil }, []string{"spec.tolerations[0]: Forbidden"}},
		{"nodeName cannot change once set", func() Object {
			p := basePod()
			p.Spec.NodeName = "node1"
			return p
		}, func(o Object) { o.(*Pod).Spec.NodeName = "node2" }, []string{`spec.nodeName: Invalid value: "node2": field is immutable once set`}},
		{"status changes are fine", func() Object { return basePod() }, func(o Object) {
			o.(*Pod).Status.Phase = PodRunning
		}, nil},
		{"uid and creationTimestamp", func() Object { return basePod() }, func(o Object) {
			o.GetObjectMeta().UID = "u2"
			o.GetObjectMeta().CreationTimestamp = NewTime(time.Unix(1800000000, 0))
		}, []string{`metadata.uid: Invalid value: "u2": field is immutable`, "metadata.creationTimestamp: Invalid value"}},
		{"name is immutable", func() Object { return basePod() }, func(o Object) { o.GetObjectMeta().Name = "q" },
			[]string{`metadata.name: Invalid value: "q": field is immutable`}},
		{"immutable configmap", func() Object {
			return &ConfigMap{TypeMeta: TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: ObjectMeta{Name: "c", Namespace: "d"},
				Immutable: &boolTrue, Data: map[string]string{"a": "1"}}
		}, func(o Object) {
			c := o.(*ConfigMap)
			c.Data = map[string]string{"a": "2"}
			c.Immutable = nil
		}, []string{"data: Forbidden: field is immutable when `immutable` is set", "immutable: Forbidden"}},
		{"mutable configmap", func() Object {
			return &ConfigMap{ObjectMeta: ObjectMeta{Name: "c", Namespace: "d"}, Data: map[string]string{"a": "1"}}
		}, func(o Object) { o.(*ConfigMap).Data["a"] = "2" }, nil},
		{"immutable secret", func() Object {
			return &Secret{ObjectMeta: ObjectMeta{Name: "s", Namespace: "d"}, Immutable: &boolTrue, Data: map[string][]byte{"a": []byte("1")}, Type: "Opaque"}
		}, func(o Object) {
			s := o.(*Secret)
			s.Data["a"] = []byte("2")
			s.Type = "x/y"
		}, []string{"data: Forbidden", `type: Invalid value: "x/y": field is immutable`}},
		{"deployment selector", func() Object {
			return mustDecode(t, deployHead+"  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a, v: \"1\"}}, spec: {containers: [{name: c, image: i}]}}\n")
		}, func(o Object) {
			o.(*Deployment).Spec.Selector.MatchLabels["v"] = "1"
		}, []string{`spec.selector: Invalid value: "app=a,v=1": field is immutable`}},
		{"replicaset replicas may change", func() Object {
			return mustDecode(t, "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r, namespace: d}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n")
		}, func(o Object) { o.(*ReplicaSet).Spec.Replicas = int32Ptr(5) }, nil},
		{"service clusterIP", func() Object {
			return mustDecode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 53}]}\n")
		}, func(o Object) { o.(*Service).Spec.ClusterIP = "10.96.0.11" }, []string{`spec.clusterIP: Invalid value: "10.96.0.11": field is immutable`}},
		{"node podCIDR", func() Object {
			return &Node{ObjectMeta: ObjectMeta{Name: "node1"}, Spec: NodeSpec{PodCIDR: "10.244.1.0/24"}}
		}, func(o Object) { o.(*Node).Spec.PodCIDR = "10.244.2.0/24" }, []string{"spec.podCIDR: Forbidden"}},
	})
}

func TestValidateUpdateKindMismatch(t *testing.T) {
	err := ValidateUpdate(&Pod{ObjectMeta: ObjectMeta{Name: "x"}}, &ConfigMap{ObjectMeta: ObjectMeta{Name: "x"}})
	if ReasonOf(err) != ReasonBadRequest {
		t.Errorf("err = %v", err)
	}
}

func mustDecodePod() *Pod {
	obj, _, err := DecodeObject([]byte(podHead + "  containers: [{name: c, image: \"nginx:1.25\", args: [a]}]\n"))
	if err != nil {
		panic(err) // a constant manifest; a failure here is a bug in the test
	}
	return obj.(*Pod)
}
