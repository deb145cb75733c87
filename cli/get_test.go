package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

func seededFake(t *testing.T) *fakeServer {
	t.Helper()
	f := newFakeServer(t)
	f.seed(fixtureConfigMap, fixtureSecret, fixturePod, fixtureDeployment, fixtureReplicaSet,
		fixtureService, fixtureEndpoints, fixtureNode, fixtureNamespace, fixtureEvent)
	f.seed(strings.Replace(fixtureConfigMap, "{name: app-config,", "{name: other, namespace: prod,", 1))
	return f
}

// table joins rows written with single spaces into what tabwriter prints.
func TestGetTables(t *testing.T) {
	f := seededFake(t)
	checkTables(t, f, []tableCase{
		{"configmaps", []string{"get", "cm"}, "" +
			"NAME         DATA   AGE\n" +
			"app-config   2      4h\n"},
		{"pods", []string{"get", "pods"}, "" +
			"NAME    READY   STATUS             RESTARTS   AGE\n" +
			"web-1   1/2     CrashLoopBackOff   4          4h\n"},
		{"pods wide", []string{"get", "po", "-o", "wide"}, "" +
			"NAME    READY   STATUS             RESTARTS   AGE   IP           NODE\n" +
			"web-1   1/2     CrashLoopBackOff   4          4h    10.244.1.5   n1\n"},
		{"deployments", []string{"get", "deploy"}, "" +
			"NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n" +
			"web    2/3     3            2           4h\n"},
		{"replicasets", []string{"get", "rs"}, "" +
			"NAME      DESIRED   CURRENT   READY   AGE\n" +
			"web-abc   3         3         2       4h\n"},
		{"services", []string{"get", "svc"}, "" +
			"NAME   TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)               AGE\n" +
			"web    NodePort   10.96.0.10   <none>        80:30080/TCP,53/UDP   4h\n"},
		{"endpoints", []string{"get", "endpoints"}, "" +
			"NAME   ENDPOINTS                         AGE\n" +
			"web    10.244.1.5:8080,10.244.2.7:8080   4h\n"},
		{"nodes wide", []string{"get", "nodes", "-o", "wide"}, "" +
			"NAME   STATUS   ROLES    AGE   VERSION   INTERNAL-IP\n" +
			"n1     Ready    worker   4h    v0.1.0    10.0.0.11\n"},
		{"namespaces", []string{"get", "ns"}, "" +
			"NAME   STATUS   AGE\n" +
			"prod   Active   4h\n"},
		{"secrets", []string{"get", "secret"}, "" +
			"NAME    TYPE     DATA   AGE\n" +
			"creds   Opaque   1      4h\n"},
		{"events", []string{"get", "events"}, "" +
			"LAST SEEN   TYPE      REASON    OBJECT      MESSAGE\n" +
			"4h          Warning   BackOff   pod/web-1   Back-off restarting failed container\n"},
		{"all namespaces", []string{"get", "configmaps", "-A"}, "" +
			"NAMESPACE   NAME         DATA   AGE\n" +
			"default     app-config   2      4h\n" +
			"prod        other        2      4h\n"},
		{"other namespace", []string{"get", "cm", "-n", "prod"}, "" +
			"NAME    DATA   AGE\n" +
			"other   2      4h\n"},
		{"by name", []string{"get", "cm", "app-config"}, "" +
			"NAME         DATA   AGE\n" +
			"app-config   2      4h\n"},
		{"two kinds", []string{"get", "cm,secrets"}, "" +
			"NAME                   DATA   AGE\n" +
			"configmap/app-config   2      4h\n" +
			"\n" +
			"NAME           TYPE     DATA   AGE\n" +
			"secret/creds   Opaque   1      4h\n"},
		{"kind/name form", []string{"get", "deployment.apps/web", "svc/web", "-o", "name"}, "" +
			"deployment.apps/web\n" +
			"service/web\n"},
		{"names", []string{"get", "cm", "-o", "name"}, "configmap/app-config\n"},
		{"label selector", []string{"get", "cm", "-A", "-l", "app=web", "--field-selector", "metadata.namespace=prod", "-o", "name"},
			"configmap/other\n"},
	})
}

func TestGetEmptyAndFailures(t *testing.T) {
	f := seededFake(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"empty list", []string{"get", "pods", "-n", "prod"}, 0, "No resources found in prod namespace.\n"},
		{"empty cluster-scoped", []string{"get", "nodes", "-l", "nope=1"}, 0, "No resources found\n"},
		{"not found", []string{"get", "cm", "nope"}, 1, "Error from server (NotFound): configmaps \"nope\" not found\n"},
		{"unknown kind", []string{"get", "widgets"}, 1, "error: the server doesn't have a resource type \"widgets\"\n"},
		{"bad output", []string{"get", "cm", "-o", "xml"}, 1,
			"error: unknown output format \"xml\" (allowed: table, wide, json, yaml, name)\n"},
		{"names with two kinds", []string{"get", "cm,secret", "x"}, 1,
			"error: bad usage: names need a single resource type (or KIND/NAME)\n"},
		{"no kind", []string{"get"}, 1, "error: requires at least 1 arg(s), only received 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBerth(t, f, "", tt.args...)
			if r.code != tt.wantCode || r.stderr != tt.wantStderr {
				t.Errorf("exit %d stderr %q, want %d %q", r.code, r.stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestGetReadsAreConsistentUnlessStale(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantQuery string
	}{
		{"list", []string{"get", "cm"}, "GET /api/v1/namespaces/default/configmaps?consistent=true"},
		{"get", []string{"get", "cm", "app-config"}, "GET /api/v1/namespaces/default/configmaps/app-config?consistent=true"},
		{"stale list", []string{"get", "cm", "--stale"}, "GET /api/v1/namespaces/default/configmaps?"},
		{"cluster-scoped", []string{"get", "node", "n1"}, "GET /api/v1/nodes/n1?consistent=true"},
		{"apps group", []string{"get", "deploy", "-A"}, "GET /apis/apps/v1/deployments?consistent=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seededFake(t)
			mustRun(t, f, tt.args...)
			log := f.requestLog()
			if len(log) != 1 || log[0] != tt.wantQuery {
				t.Errorf("requests = %q, want [%q]", log, tt.wantQuery)
			}
		})
	}
}

func TestGetStructuredRoundTrip(t *testing.T) {
	f := seededFake(t)
	tests := []struct {
		name      string
		args      []string
		wantKinds []string
	}{
		{"json single", []string{"get", "cm", "app-config", "-o", "json"}, []string{"ConfigMap"}},
		{"yaml single", []string{"get", "deploy", "web", "-o", "yaml"}, []string{"Deployment"}},
		{"json list", []string{"get", "cm,pods", "-o", "json"}, []string{"ConfigMap", "Pod"}},
		{"yaml list", []string{"get", "svc,endpoints,nodes", "-o", "yaml"}, []string{"Service", "Endpoints", "Node"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, f, tt.args...)
			objs, err := api.DecodeManifests([]byte(out))
			if err != nil {
				t.Fatalf("output does not decode: %v\n%s", err, out)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetTypeMeta().Kind)
				if o.GetObjectMeta().ResourceVersion == "" {
					t.Errorf("%s lost its resourceVersion", o.GetObjectMeta().Name)
				}
			}
			if strings.Join(kinds, ",") != strings.Join(tt.wantKinds, ",") {
				t.Errorf("kinds = %v, want %v", kinds, tt.wantKinds)
			}
		})
	}
	// A list is a kubectl-style List object.
	var l struct {
		APIVersion, Kind string
		Items            []json.RawMessage
	}
	if err := json.Unmarshal([]byte(mustRun(t, f, "get", "cm", "-o", "json")), &l); err != nil {
		t.Fatal(err)
	}
	if l.APIVersion != "v1" || l.Kind != "List" || len(l.Items) != 1 {
		t.Errorf("list = %s %s with %d items", l.APIVersion, l.Kind, len(l.Items))
	}
}

func TestGetWatch(t *testing.T) {
	f := seededFake(t)
	f.watch = []string{
		`{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"90"}}}`,
		`{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"new","namespace":"default","resourceVersion":"91"},"data":{"x":"y"}}}`,
		`{"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app-config","namespace":"default","resourceVersion":"92"}}}`,
	}
	out := mustRun(t, f, "get", "cm", "-w")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "app-config") ||
		!strings.HasPrefix(lines[2], "new") || !strings.HasPrefix(lines[3], "app-config") {
		t.Errorf("watch output:\n%s", out)
	}
	log := f.requestLog()
	want := "GET /api/v1/namespaces/default/configmaps?resourceVersion=11&watch=true"
	if len(log) != 2 || log[1] != want {
		t.Errorf("requests = %q, want the watch from the list's version: %q", log, want)
	}
	// One object: the watch filters to its name.
	mustRun(t, f, "get", "cm", "app-config", "-w", "-o", "name")
	log = f.requestLog()
	if last := log[len(log)-1]; !strings.Contains(last, "fieldSelector=metadata.name%3Dapp-config") {
		t.Errorf("watch of one object = %q", last)
	}
	f.watch = []string{`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}`}
	r := runBerth(t, f, "", "get", "cm", "-w")
	if r.code != 1 || r.stderr != "Error from server (Expired): too old resource version\n" {
		t.Errorf("watch error: exit %d stderr %q", r.code, r.stderr)
	}
}
