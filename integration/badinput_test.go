package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// badInputCase is one malformed or forbidden request, sent raw over HTTP and (when the
// CLI can express it) through `berth`.
type badInputCase struct {
	name   string
	method string
	path   string // relative to the server's address
	body   []byte

	code   int
	reason api.StatusReason
	msgHas []string // every one must appear in the Status message

	// cli are the arguments after --addr; "{file}" is replaced by a file holding
	// cliFile (or body when cliFile is nil). nil: the CLI cannot send this request.
	cli       []string
	cliFile   []byte
	cliPrefix string   // how stderr starts: "error: " or "Error from server (Reason): "
	cliHas    []string // every one must appear in stderr
}

const badCMPath = "/api/v1/namespaces/default/configmaps"

func badInputCases(staleRV string) []badInputCase {
	big := func(dataBytes, annotationBytes int) []byte {
		return badJSON(map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "big", "annotations": map[string]string{"note": strings.Repeat("y", annotationBytes)}},
			"data":     map[string]string{"k": strings.Repeat("x", dataBytes)},
		})
	}
	fromServer := func(r api.StatusReason) string { return "Error from server (" + string(r) + "): " }
	apply := []string{"apply", "-f", "{file}"}
	return []badInputCase{
		{
			name: "malformed YAML", method: "POST", path: badCMPath,
			body: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{"invalid YAML", "line 4"},
			cli: apply, cliPrefix: "error: ", cliHas: []string{"invalid YAML", "line 4"},
		},
		{
			name: "malformed JSON", method: "POST", path: badCMPath,
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap",`),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{"invalid JSON"},
			cli: apply, cliPrefix: "error: ", cliHas: []string{"invalid JSON"},
		},
		{
			name: "unknown field names its path", method: "POST", path: badCMPath,
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labelz":{"a":"b"}}}`),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{`unknown field "metadata.labelz"`},
			cli: apply, cliPrefix: "error: ", cliHas: []string{"metadata.labelz"},
		},
		{
			name: "unknown nested field names its path", method: "POST", path: "/api/v1/namespaces/default/pods",
			body: []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    imagee: busybox\n"),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{"spec.containers[0].imagee"},
			cli: apply, cliPrefix: "error: ", cliHas: []string{"spec.containers[0].imagee"},
		},
		{
			name: "invalid name", method: "POST", path: badCMPath,
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}`),
			code: 422, reason: api.ReasonInvalid, msgHas: []string{"metadata.name", `"Bad_Name"`},
			cli: apply, cliPrefix: fromServer(api.ReasonInvalid), cliHas: []string{"metadata.name"},
		},
		{
			// Each field is within its own limit; the object as a whole is not.
			name: "object over 1 MiB", method: "POST", path: badCMPath, body: big(1_000_000, 200_000),
			code: 413, reason: api.ReasonRequestEntityTooBig, msgHas: []string{`ConfigMap "big" is too large`, "1 MiB"},
			cli: apply, cliPrefix: fromServer(api.ReasonRequestEntityTooBig), cliHas: []string{"too large", "1 MiB"},
		},
		{
			name: "data alone over 1 MiB", method: "POST", path: badCMPath, body: big(2<<20, 0),
			code: 413, reason: api.ReasonRequestEntityTooBig, msgHas: []string{`ConfigMap "big" is too large`, "1 MiB"},
			cli: apply, cliPrefix: fromServer(api.ReasonRequestEntityTooBig), cliHas: []string{"too large"},
		},
		{
			name: "body over the request limit", method: "POST", path: badCMPath, body: big(4<<20, 0),
			code: 413, reason: api.ReasonRequestEntityTooBig, msgHas: []string{"request body is too large"},
		},
		{
			name: "stale resourceVersion", method: "PUT", path: badCMPath + "/existing",
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"existing","resourceVersion":"` +
				staleRV + `"},"data":{"v":"stale"}}`),
			code: 409, reason: api.ReasonConflict, msgHas: []string{`configmaps "existing"`, "has been modified"},
		},
		{
			name: "kind does not match the path", method: "POST", path: badCMPath,
			body: []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}`),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{`kind "Secret"`, "does not match", "configmaps"},
		},
		{
			name: "unknown kind", method: "POST", path: badCMPath,
			body: []byte("apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n"),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{`no kind "Widget" is registered`},
			cli: apply, cliPrefix: "error: ", cliHas: []string{`no kind "Widget" is registered`},
		},
		{
			name: "missing namespace", method: "POST", path: "/api/v1/namespaces/nope/configmaps",
			body: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"),
			code: 404, reason: api.ReasonNotFound, msgHas: []string{`namespaces "nope" not found`},
			cli: []string{"apply", "-n", "nope", "-f", "{file}"}, cliPrefix: fromServer(api.ReasonNotFound), cliHas: []string{`namespaces "nope" not found`},
		},
		{
			name: "wrong apiVersion for the kind", method: "POST", path: badCMPath,
			body: []byte("apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: x\n"),
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{`no kind "ConfigMap" is registered for version "apps/v1"`},
			cli: apply, cliPrefix: "error: ", cliHas: []string{`for version "apps/v1"`},
		},
		{
			name: "empty body", method: "POST", path: badCMPath,
			code: 400, reason: api.ReasonBadRequest, msgHas: []string{"body is empty"},
			cli: apply, cliFile: []byte{}, cliPrefix: "error: ", cliHas: []string{"no objects passed"},
		},
		{
			name: "POST to a collection without namespace", method: "POST", path: "/api/v1/configmaps",
			body: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default"}}`),
			code: 405, reason: api.ReasonMethodNotAllowed, msgHas: []string{"POST is not allowed on configmaps"},
		},
		{
			name: "delete the default namespace", method: "DELETE", path: "/api/v1/namespaces/default",
			code: 403, reason: api.ReasonForbidden, msgHas: []string{`namespaces "default"`, "may not be deleted"},
			cli: []string{"delete", "namespace", "default"}, cliPrefix: fromServer(api.ReasonForbidden), cliHas: []string{"may not be deleted"},
		},
	}
}

// TestBadInputIsRejectedCleanly: every kind of bad input gets its Kubernetes-style
// Status (code, reason, a message that says what is wrong) from the HTTP API and one
// line and exit code 1 from the CLI, and none of them changes anything.
func TestBadInputIsRejectedCleanly(t *testing.T) {
	c := newCluster(t, 1)
	n := c.nodes[0]
	cl := n.client(t)
	ctx := context.Background()
	waitFor(t, 15*time.Second, "the default namespace", func() error {
		_, err := cl.Get(ctx, mustResource("Namespace"), "", "default", api.GetOptions{Consistent: true})
		return err
	})
	first, err := cl.Create(ctx, configMap("default", "existing", map[string]string{"v": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	next := api.DeepCopy(first).(*api.ConfigMap)
	next.Data["v"] = "2"
	if _, err := cl.Update(ctx, next); err != nil {
		t.Fatal(err)
	}
	staleRV := first.GetObjectMeta().ResourceVersion

	before := badStoreState(t, cl)
	dir := t.TempDir()
	for _, tc := range badInputCases(staleRV) {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("http", func(t *testing.T) {
				checkRawRejection(t, n.addr(), tc)
				assertUnchanged(t, cl, before)
			})
			if tc.cli == nil {
				return
			}
			t.Run("cli", func(t *testing.T) {
				checkCLIRejection(t, n.addr(), dir, tc)
				assertUnchanged(t, cl, before)
			})
		})
	}
	resp, err := http.Get(n.addr() + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the server is not ready after the bad input: %v %v", resp, err)
	}
	resp.Body.Close()
}

func checkRawRejection(t *testing.T, addr string, tc badInputCase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, tc.method, addr+tc.path, bytes.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var st api.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("HTTP %d with a body that is not a Status: %q", resp.StatusCode, raw)
	}
	if resp.StatusCode != tc.code || st.Code != tc.code || st.Reason != tc.reason {
		t.Fatalf("HTTP %d, Status code %d reason %q; want %d %q (message %q)",
			resp.StatusCode, st.Code, st.Reason, tc.code, tc.reason, st.Message)
	}
	if st.Kind != "Status" || st.Status != "Failure" {
		t.Fatalf("not a Failure Status: %s", raw)
	}
	for _, want := range tc.msgHas {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q does not say %q", st.Message, want)
		}
	}
}

func checkCLIRejection(t *testing.T, addr, dir string, tc badInputCase) {
	t.Helper()
	content := tc.cliFile
	if content == nil {
		content = tc.body
	}
	file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--addr", addr}
	for _, a := range tc.cli {
		args = append(args, strings.ReplaceAll(a, "{file}", file))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("berth %v: %v, want exit code 1 (stderr %q)", tc.cli, err, stderr.String())
	}
	out := stderr.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("stderr is not exactly one line: %q", out)
	}
	if !strings.HasPrefix(out, tc.cliPrefix) {
		t.Errorf("stderr %q does not start with %q", out, tc.cliPrefix)
	}
	for _, want := range tc.cliHas {
		if !strings.Contains(out, want) {
			t.Errorf("stderr %q does not say %q", out, want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("a failed command printed %q", stdout.String())
	}
}

// badStoreState is every configmap, secret, pod and namespace with its
// resourceVersion, read through the leader.
func badStoreState(t *testing.T, cl *api.Client) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, kind := range []string{"ConfigMap", "Secret", "Pod", "Namespace"} {
		list, err := cl.List(context.Background(), mustResource(kind), "", api.ListOptions{Consistent: true})
		if err != nil {
			t.Fatalf("list %s: %v", kind, err)
		}
		for _, item := range list.Items {
			var o struct {
				Metadata struct{ Name, Namespace, ResourceVersion string } `json:"metadata"`
			}
			if err := json.Unmarshal(item, &o); err != nil {
				t.Fatal(err)
			}
			state[fmt.Sprintf("%s %s/%s", kind, o.Metadata.Namespace, o.Metadata.Name)] = o.Metadata.ResourceVersion
		}
	}
	return state
}

func assertUnchanged(t *testing.T, cl *api.Client, before map[string]string) {
	t.Helper()
	if after := badStoreState(t, cl); !maps.Equal(before, after) {
		t.Fatalf("the store changed:\nbefore %v\nafter  %v", before, after)
	}
}

func badJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
