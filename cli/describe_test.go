package cli

import (
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	f := seededFake(t)
	checkDescribes(t, f, []describeCase{
		{"pod with events", []string{"describe", "pod", "web-1"}, []string{
			"Name:", "web-1", "Namespace:", "default", "Labels:", "app=web", "Node:", "n1/10.0.0.11",
			"Status:", "CrashLoopBackOff", "IP:", "10.244.1.5", "Containers:", "app:", "Image:", "nginx",
			"Ports:", "80/TCP", "Restart Count:", "3", "side:", "Waiting (CrashLoopBackOff)",
			"Events:", "Type", "Reason", "Warning", "BackOff", "berth-client", "Back-off restarting failed container",
		}, nil},
		{"secret shows sizes only", []string{"describe", "secret", "creds"}, []string{
			"Type:", "Opaque", "Data", "password:", "12 bytes", "Events:", "<none>",
		}, []string{"c2VjcmV0LXZhbHVl", "secret-value"}},
		{"configmap shows data", []string{"describe", "cm/app-config"}, []string{"Data", "a:", "----", "1", "b:", "2"}, nil},
		{"deployment", []string{"describe", "deploy", "web"}, []string{
			"Selector:", "app=web", "Replicas:", "3 desired | 3 updated | 3 total | 2 available | 0 unavailable",
			"StrategyType:", "RollingUpdate", "Pod Template:", "nginx",
		}, nil},
		{"service with its endpoints", []string{"describe", "svc", "web"}, []string{
			"Type:", "NodePort", "IP:", "10.96.0.10", "Port:", "80/TCP", "NodePort:", "30080/TCP",
			"Endpoints:", "10.244.1.5:8080,10.244.2.7:8080",
		}, nil},
		{"node", []string{"describe", "node", "n1"}, []string{
			"Roles:", "worker", "Conditions:", "Ready", "True", "InternalIP:", "10.0.0.11", "kubeletVersion:", "v0.1.0",
		}, []string{"Namespace:"}},
	})
	r := runBerth(t, f, "", "describe", "pod", "nope")
	if r.code != 1 || r.stderr != "Error from server (NotFound): pods \"nope\" not found\n" {
		t.Errorf("describe missing: exit %d stderr %q", r.code, r.stderr)
	}
	var eventQuery string
	for _, q := range f.requestLog() {
		if strings.Contains(q, "/events?") {
			eventQuery = q
		}
	}
	if !strings.Contains(eventQuery, "fieldSelector=involvedObject.kind%3DNode%2CinvolvedObject.name%3Dn1") {
		t.Errorf("events of a node asked with %q", eventQuery)
	}
}
