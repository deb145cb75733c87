package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// fakeServer is an in-memory stand-in for a Berth server that keeps the HTTP contract
// the CLI relies on: paths, consistent reads, writes that answer the stored object,
// an identical update that keeps its resourceVersion, Status errors and watches.
type fakeServer struct {
	t   *testing.T
	url string

	mu        sync.Mutex
	rv        int64
	objects   map[string]map[string]any // "plural/ns/name" -> object in wire form
	fail      map[string]*api.Error     // "METHOD path" -> answer this error, every time
	warnings  []string                  // sent with every write
	watch     []string                  // lines a watch streams before it ends
	requests  []string                  // "METHOD path?query"
	bodies    []string                  // the bodies of DELETE requests
	snapshot  []byte
	removed   []string
	members   []api.Member
	raftPeers []api.RaftPeer
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, objects: map[string]map[string]any{}, fail: map[string]*api.Error{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// seed stores objects given as JSON or YAML manifests, created 4 hours ago.
func (f *fakeServer) seed(manifests ...string) {
	f.t.Helper()
	for _, m := range manifests {
		objs, err := api.DecodeManifests([]byte(m))
		if err != nil {
			f.t.Fatalf("seed: %v", err)
		}
		for _, o := range objs {
			res, _ := api.ResourceForKind(o.GetTypeMeta().Kind)
			meta := o.GetObjectMeta()
			if res.Namespaced && meta.Namespace == "" {
				meta.Namespace = "default"
			}
			meta.CreationTimestamp = api.NewTime(time.Now().Add(-4 * time.Hour))
			u := toMap(f.t, o)
			f.mu.Lock()
			f.store(res, u)
			f.mu.Unlock()
		}
	}
}

func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fakeServer) failWith(method, path string, err *api.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method+" "+path] = err
}

func (f *fakeServer) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func objKey(res *api.Resource, ns, name string) string { return res.Plural + "/" + ns + "/" + name }

func metaOf(u map[string]any) map[string]any {
	m, _ := u["metadata"].(map[string]any)
	if m == nil {
		m = map[string]any{}
		u["metadata"] = m
	}
	return m
}

// store saves u with a new resourceVersion; the caller holds f.mu.
func (f *fakeServer) store(res *api.Resource, u map[string]any) {
	f.rv++
	m := metaOf(u)
	m["resourceVersion"] = strconv.FormatInt(f.rv, 10)
	if m["uid"] == nil {
		m["uid"] = fmt.Sprintf("uid-%d", f.rv)
	}
	if m["creationTimestamp"] == nil {
		m["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
	}
	u["kind"], u["apiVersion"] = res.Kind, res.APIVersion()
	ns, _ := m["namespace"].(string)
	name, _ := m["name"].(string)
	f.objects[objKey(res, ns, name)] = u
}

// route is a parsed object path.
type route struct {
	res           *api.Resource
	ns, name, sub string
	collection    bool
}

func parseRoute(path string) (route, bool) {
	var group, rest string
	switch {
	case strings.HasPrefix(path, "/api/v1/"):
		rest = strings.TrimPrefix(path, "/api/v1/")
	case strings.HasPrefix(path, "/apis/"):
		parts := strings.SplitN(strings.TrimPrefix(path, "/apis/"), "/", 3)
		if len(parts) < 3 {
			return route{}, false
		}
		group, rest = parts[0], parts[2]
	default:
		return route{}, false
	}
	segs := strings.Split(rest, "/")
	var r route
	if segs[0] == "namespaces" && len(segs) >= 3 {
		r.ns, segs = segs[1], segs[2:]
	}
	res, ok := api.ResourceForPath(group, segs[0])
	if !ok {
		return route{}, false
	}
	r.res = res
	r.collection = len(segs) == 1
	if len(segs) > 1 {
		r.name = segs[1]
	}
	if len(segs) > 2 {
		r.sub = segs[2]
	}
	return r, true
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	if e, ok := f.fail[r.Method+" "+r.URL.Path]; ok {
		if e.Code() == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, e)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		f.serveOperator(w, r, body)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		writeError(w, api.NewError(api.ReasonNotFound, "the server could not find the requested resource"))
		return
	}
	if r.Method != http.MethodGet {
		for _, text := range f.warnings {
			w.Header().Add("Warning", `299 - "`+text+`"`)
		}
	}
	switch {
	case r.Method == http.MethodGet && rt.collection && r.URL.Query().Get("watch") == "true":
		for _, line := range f.watch {
			_, _ = io.WriteString(w, line+"\n")
		}
	case r.Method == http.MethodGet && rt.collection:
		f.list(w, r, rt)
	case r.Method == http.MethodPost && rt.collection:
		f.create(w, rt, body)
	case r.Method == http.MethodGet:
		f.get(w, rt)
	case r.Method == http.MethodPut:
		f.update(w, rt, body)
	case r.Method == http.MethodDelete:
		f.bodies = append(f.bodies, string(body))
		f.remove(w, rt)
	default:
		writeError(w, api.NewError(api.ReasonMethodNotAllowed, "method not allowed"))
	}
}

func writeError(w http.ResponseWriter, e *api.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code())
	_ = json.NewEncoder(w).Encode(e.Status)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(rt route) *api.Error {
	return api.NewError(api.ReasonNotFound, "%s %q not found", rt.res.Plural, rt.name)
}

func (f *fakeServer) list(w http.ResponseWriter, r *http.Request, rt route) {
	labels, err := api.ParseSelector(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "%v", err))
		return
	}
	fields, err := api.ParseFieldSelector(r.URL.Query().Get("fieldSelector"))
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "%v", err))
		return
	}
	keys := make([]string, 0, len(f.objects))
	for k := range f.objects {
		if strings.HasPrefix(k, rt.res.Plural+"/") && (rt.ns == "" || strings.HasPrefix(k, rt.res.Plural+"/"+rt.ns+"/")) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	items := []any{}
	for _, k := range keys {
		u := f.objects[k]
		obj := rt.res.New()
		data, _ := json.Marshal(u)
		_ = json.Unmarshal(data, obj)
		if labels.Matches(obj.GetObjectMeta().Labels) && fields.Matches(obj) {
			items = append(items, u)
		}
	}
	writeJSON(w, 200, map[string]any{"apiVersion": rt.res.APIVersion(), "kind": rt.res.Kind + "List",
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(f.rv, 10)}, "items": items})
}

func (f *fakeServer) create(w http.ResponseWriter, rt route, body []byte) {
	var u map[string]any
	if err := json.Unmarshal(body, &u); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "%v", err))
		return
	}
	m := metaOf(u)
	name, _ := m["name"].(string)
	if _, ok := f.objects[objKey(rt.res, rt.ns, name)]; ok {
		writeError(w, api.NewError(api.ReasonAlreadyExists, "%s %q already exists", rt.res.Plural, name))
		return
	}
	delete(m, "resourceVersion")
	delete(m, "uid")
	delete(m, "creationTimestamp")
	if rt.ns != "" {
		m["namespace"] = rt.ns
	}
	f.store(rt.res, u)
	writeJSON(w, 201, u)
}

func (f *fakeServer) get(w http.ResponseWriter, rt route) {
	u, ok := f.objects[objKey(rt.res, rt.ns, rt.name)]
	if !ok {
		writeError(w, notFound(rt))
		return
	}
	writeJSON(w, 200, u)
}

// serverSet are the metadata fields the server decides; an update that differs only
// in them changes nothing.
var serverSet = []string{"resourceVersion", "uid", "creationTimestamp", "generation"}

func withoutServerFields(u map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range u {
		out[k] = v
	}
	m := map[string]any{}
	for k, v := range metaOf(u) {
		m[k] = v
	}
	for _, k := range serverSet {
		delete(m, k)
	}
	out["metadata"] = m
	delete(out, "status")
	return out
}

// replacing decodes the body of a PUT to rt and returns it with the stored object it
// replaces. It writes the error and returns ok false when the object is missing, the
// body does not decode, or the body's resourceVersion is set and stale. The caller
// holds f.mu.
func (f *fakeServer) replacing(w http.ResponseWriter, rt route, body []byte) (cur, u map[string]any, ok bool) {
	cur, ok = f.objects[objKey(rt.res, rt.ns, rt.name)]
	if !ok {
		writeError(w, notFound(rt))
		return nil, nil, false
	}
	if err := json.Unmarshal(body, &u); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "%v", err))
		return nil, nil, false
	}
	if rv, _ := metaOf(u)["resourceVersion"].(string); rv != "" && rv != metaOf(cur)["resourceVersion"] {
		writeError(w, api.NewError(api.ReasonConflict, "the object has been modified"))
		return nil, nil, false
	}
	return cur, u, true
}

func (f *fakeServer) update(w http.ResponseWriter, rt route, body []byte) {
	cur, u, ok := f.replacing(w, rt, body)
	if !ok {
		return
	}
	u["kind"], u["apiVersion"] = rt.res.Kind, rt.res.APIVersion()
	if reflect.DeepEqual(withoutServerFields(u), withoutServerFields(cur)) {
		writeJSON(w, 200, cur)
		return
	}
	for _, k := range []string{"uid", "creationTimestamp"} {
		metaOf(u)[k] = metaOf(cur)[k]
	}
	if st, ok := cur["status"]; ok {
		u["status"] = st
	}
	f.store(rt.res, u)
	writeJSON(w, 200, u)
}

func (f *fakeServer) remove(w http.ResponseWriter, rt route) {
	key := objKey(rt.res, rt.ns, rt.name)
	u, ok := f.objects[key]
	if !ok {
		writeError(w, notFound(rt))
		return
	}
	delete(f.objects, key)
	writeJSON(w, 200, u)
}

func (f *fakeServer) serveOperator(w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/members":
		writeJSON(w, 200, f.members)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/operator/raft/peers":
		writeJSON(w, 200, f.raftPeers)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/operator/raft/peers/"):
		f.removed = append(f.removed, strings.TrimPrefix(r.URL.Path, "/v1/operator/raft/peers/"))
		w.WriteHeader(200)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/snapshot":
		_, _ = w.Write(f.snapshot)
	case r.Method == http.MethodPut && r.URL.Path == "/v1/snapshot":
		f.snapshot = body
		w.WriteHeader(200)
	default:
		writeError(w, api.NewError(api.ReasonNotFound, "no such endpoint"))
	}
}
