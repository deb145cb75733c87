package api

import (
	"bytes"
	"testing"
)

func TestDefaultIdempotent(t *testing.T) {
	objs, err := DecodeManifests(mustReadFile(t, "testdata/app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs,
		mustDecode(t, podHead+"  volumes: [{name: v}]\n  containers: [{name: c, image: nginx, livenessProbe: {httpGet: {port: 80}}}]\n"),
		mustDecode(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {a: b}\n"),
		mustDecode(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n"),
		mustDecode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {type: NodePort, sessionAffinity: ClientIP, ports: [{port: 80}]}\n"),
		mustDecode(t, "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r, namespace: default}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n"),
		mustDecode(t, "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: default}\nsubsets: [{ports: [{port: 80}]}]\n"),
	)
	for _, obj := range objs {
		t.Run(obj.GetTypeMeta().Kind+"/"+obj.GetObjectMeta().Name, func(t *testing.T) {
			Default(obj)
			once, _ := Encode(obj)
			Default(obj)
			twice, _ := Encode(obj)
			if !bytes.Equal(once, twice) {
				t.Errorf("Default is not idempotent:\n%s\n%s", once, twice)
			}
			if err := Validate(obj); err != nil {
				t.Errorf("defaulted object is invalid: %v", err)
			}
		})
	}
}

func TestDefaultPod(t *testing.T) {
	pod := mustDecode(t, podHead+"  volumes: [{name: v}]\n  containers:\n"+
		"  - {name: a, image: nginx, ports: [{containerPort: 80}], livenessProbe: {httpGet: {port: 80}}, resources: {limits: {cpu: 500m}}}\n"+
		"  - {name: b, image: \"nginx:latest\"}\n  - {name: c, image: \"nginx:1.25\"}\n  - {name: d, image: \"localhost:5000/app\"}\n"+
		"  - {name: e, image: \"app@sha256:abc\"}\n").(*Pod)
	Default(pod)
	s := pod.Spec
	if s.RestartPolicy != "Always" || *s.TerminationGracePeriodSeconds != 30 || s.DNSPolicy != "ClusterFirst" || s.SchedulerName != "default-scheduler" {
		t.Errorf("pod spec defaults: %+v", s)
	}
	if s.Volumes[0].EmptyDir == nil {
		t.Error("a volume without a source did not become an emptyDir")
	}
	wantPull := []string{"Always", "Always", "IfNotPresent", "Always", "IfNotPresent"}
	for i, c := range s.Containers {
		if c.ImagePullPolicy != wantPull[i] {
			t.Errorf("%s: imagePullPolicy %q, want %q", c.Image, c.ImagePullPolicy, wantPull[i])
		}
		if c.TerminationMessagePath != "/dev/termination-log" || c.TerminationMessagePolicy != "File" {
			t.Errorf("%s: termination message defaults missing", c.Name)
		}
	}
	a := s.Containers[0]
	if a.Ports[0].Protocol != "TCP" {
		t.Error("port protocol not TCP")
	}
	p := a.LivenessProbe
	if p.PeriodSeconds != 10 || p.TimeoutSeconds != 1 || p.SuccessThreshold != 1 || p.FailureThreshold != 3 || p.HTTPGet.Path != "/" || p.HTTPGet.Scheme != "HTTP" {
		t.Errorf("probe defaults: %+v", p)
	}
	if a.Resources.Requests.Cpu().MilliValue() != 500 {
		t.Error("limits were not copied into missing requests")
	}
}

func TestDefaultOtherKinds(t *testing.T) {
	d := mustDecode(t, deployHead+"  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n").(*Deployment)
	Default(d)
	ru := d.Spec.Strategy.RollingUpdate
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != "RollingUpdate" || ru.MaxSurge.String() != "25%" || ru.MaxUnavailable.String() != "25%" ||
		*d.Spec.RevisionHistoryLimit != 10 || *d.Spec.ProgressDeadlineSeconds != 600 || d.Spec.Template.Spec.RestartPolicy != "Always" {
		t.Errorf("deployment defaults: %+v", d.Spec)
	}
	r := mustDecode(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec: {strategy: {type: Recreate}}\n").(*Deployment)
	Default(r)
	if r.Spec.Strategy.RollingUpdate != nil {
		t.Error("Recreate got rollingUpdate defaults")
	}
	svc := mustDecode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\nspec: {ports: [{port: 80}, {port: 443, targetPort: https, name: b}]}\n").(*Service)
	Default(svc)
	if svc.Spec.Type != "ClusterIP" || svc.Spec.SessionAffinity != "None" || svc.Spec.Ports[0].Protocol != "TCP" ||
		svc.Spec.Ports[0].TargetPort != FromInt(80) || svc.Spec.Ports[1].TargetPort != FromString("https") {
		t.Errorf("service defaults: %+v", svc.Spec)
	}
	sec := mustDecode(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\ndata: {a: eA==}\nstringData: {b: why, a: override}\n").(*Secret)
	Default(sec)
	if sec.Type != "Opaque" || string(sec.Data["a"]) != "override" || string(sec.Data["b"]) != "why" || sec.StringData != nil {
		t.Errorf("secret defaults: %+v", sec)
	}
	ns := mustDecode(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n").(*Namespace)
	Default(ns)
	if ns.Status.Phase != "Active" {
		t.Errorf("namespace phase %q", ns.Status.Phase)
	}
}
