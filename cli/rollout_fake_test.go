package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// liveFake wraps fakeServer with what the workload commands need beyond it: the
// status subresource, watches that stream changes as they happen, and a log of every
// change, so a watch that starts at a resourceVersion misses nothing. Tests drive it
// through the API client (UpdateStatus, Create), as a controller would.
type liveFake struct {
	*fakeServer

	mu        sync.Mutex // serializes writes with the change log; taken before f.mu
	events    []fakeEvent
	seen      map[string]fakeEvent // key -> its last logged event
	changed   chan struct{}        // closed and replaced on every logged change
	watches   int                  // watch requests started so far
	conflicts map[string]int       // "PUT path" -> how many 409s to answer first
	done      chan struct{}        // closed at cleanup, ending open watches
}

type fakeEvent struct {
	typ    string
	plural string
	ns     string
	rv     int64
	raw    []byte
}

// newLiveFake starts a live fake seeded with manifests.
func newLiveFake(t *testing.T, manifests ...string) *liveFake {
	t.Helper()
	lf := &liveFake{fakeServer: newFakeServer(t), seen: map[string]fakeEvent{},
		changed: make(chan struct{}), conflicts: map[string]int{}, done: make(chan struct{})}
	lf.seed(manifests...)
	lf.mu.Lock()
	lf.logChanges()
	lf.mu.Unlock()
	srv := httptest.NewServer(http.HandlerFunc(lf.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(lf.done) }) // runs first: watches end before Close waits
	lf.url = srv.URL
	return lf
}

func (lf *liveFake) serve(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r.URL.Path)
	switch {
	case ok && r.Method == http.MethodGet && rt.collection && r.URL.Query().Get("watch") == "true":
		lf.watch(w, r, rt)
	case r.Method == http.MethodGet:
		lf.fakeServer.serve(w, r)
	default:
		lf.mu.Lock()
		defer lf.mu.Unlock()
		key := r.Method + " " + r.URL.Path
		if lf.conflicts[key] > 0 {
			lf.conflicts[key]--
			_, _ = io.Copy(io.Discard, r.Body)
			writeError(w, api.NewError(api.ReasonConflict, "the object has been modified"))
			return
		}
		if ok && r.Method == http.MethodPut && rt.sub == "status" {
			lf.updateStatus(w, r, rt)
		} else {
			lf.fakeServer.serve(w, r)
		}
		lf.logChanges()
	}
}

// updateStatus replaces only the status, as the server's /status subresource does.
func (lf *liveFake) updateStatus(w http.ResponseWriter, r *http.Request, rt route) {
	body, _ := io.ReadAll(r.Body)
	f := lf.fakeServer
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	cur, u, ok := f.replacing(w, rt, body)
	if !ok {
		return
	}
	next := map[string]any{}
	for k, v := range cur {
		next[k] = v
	}
	next["metadata"] = cloneMap(metaOf(cur))
	next["status"] = u["status"]
	f.store(rt.res, next)
	writeJSON(w, 200, next)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// logChanges appends an event for every object whose resourceVersion moved since the
// last call, and for every object gone. The caller holds lf.mu.
func (lf *liveFake) logChanges() {
	f := lf.fakeServer
	f.mu.Lock()
	defer f.mu.Unlock()
	var fresh []fakeEvent
	for key, u := range f.objects {
		rv, _ := strconv.ParseInt(metaOf(u)["resourceVersion"].(string), 10, 64)
		prev, known := lf.seen[key]
		if known && prev.rv == rv {
			continue
		}
		raw, _ := json.Marshal(u)
		ev := fakeEvent{typ: api.WatchModified, rv: rv, raw: raw}
		if !known {
			ev.typ = api.WatchAdded
		}
		ev.plural, ev.ns, _ = strings.Cut(key, "/")
		ev.ns, _, _ = strings.Cut(ev.ns, "/")
		lf.seen[key] = ev
		fresh = append(fresh, ev)
	}
	for key, prev := range lf.seen {
		if _, ok := f.objects[key]; !ok {
			f.rv++
			prev.typ, prev.rv = api.WatchDeleted, f.rv
			delete(lf.seen, key)
			fresh = append(fresh, prev)
		}
	}
	if len(fresh) == 0 {
		return
	}
	// One request changes one object, so order within fresh does not matter.
	lf.events = append(lf.events, fresh...)
	close(lf.changed)
	lf.changed = make(chan struct{})
}

// watch streams the logged events after the asked resourceVersion (or, without one,
// the current objects as ADDED and then what follows), filtered like a list.
func (lf *liveFake) watch(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	labels, err1 := api.ParseSelector(q.Get("labelSelector"))
	fieldSel, err2 := api.ParseFieldSelector(q.Get("fieldSelector"))
	from, err3 := strconv.ParseInt(q.Get("resourceVersion"), 10, 64)
	if err1 != nil || err2 != nil || (err3 != nil && q.Get("resourceVersion") != "") {
		writeError(w, api.NewError(api.ReasonBadRequest, "bad watch query %q", r.URL.RawQuery))
		return
	}
	lf.mu.Lock()
	lf.watches++
	next := 0
	var initial []fakeEvent
	if q.Get("resourceVersion") == "" {
		for _, ev := range lf.seen {
			ev.typ = api.WatchAdded
			initial = append(initial, ev)
		}
		next = len(lf.events)
	}
	lf.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	flusher.Flush()
	send := func(ev fakeEvent) {
		if ev.plural != rt.res.Plural || (rt.ns != "" && ev.ns != rt.ns) || (from > 0 && ev.rv <= from) {
			return
		}
		obj := rt.res.New()
		_ = json.Unmarshal(ev.raw, obj)
		if !labels.Matches(obj.GetObjectMeta().Labels) || !fieldSel.Matches(obj) {
			return
		}
		line, _ := json.Marshal(map[string]any{"type": ev.typ, "object": json.RawMessage(ev.raw)})
		_, _ = w.Write(append(line, '\n'))
	}
	for _, ev := range initial {
		send(ev)
	}
	flusher.Flush()
	for {
		lf.mu.Lock()
		evs, ch := lf.events[next:], lf.changed
		next = len(lf.events)
		lf.mu.Unlock()
		for _, ev := range evs {
			send(ev)
		}
		flusher.Flush()
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		case <-lf.done:
			return
		}
	}
}

// watching is how many watches were started.
func (lf *liveFake) watching() int {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.watches
}

// object returns a stored object's wire form, nil when absent.
func (lf *liveFake) object(plural, ns, name string) fields {
	lf.fakeServer.mu.Lock()
	defer lf.fakeServer.mu.Unlock()
	u, ok := lf.objects[plural+"/"+ns+"/"+name]
	if !ok {
		return nil
	}
	data, _ := json.Marshal(u)
	var out fields
	_ = json.Unmarshal(data, &out)
	return out
}

// client is an API client for the fake, for a test playing a controller.
func (lf *liveFake) client(t *testing.T) *api.Client {
	t.Helper()
	c, err := api.NewClient(lf.url, api.WithRetry(0), api.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setDeploymentStatus replaces a deployment's status through /status.
func (lf *liveFake) setDeploymentStatus(t *testing.T, name string, st api.DeploymentStatus) {
	t.Helper()
	c := lf.client(t)
	res, _ := api.ResourceForKind("Deployment")
	obj, err := c.Get(context.Background(), res, "default", name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := obj.(*api.Deployment)
	d.Status = st
	if _, err := c.UpdateStatus(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// setStatus replaces the status of any kind through /status, given as JSON.
func (lf *liveFake) setStatus(t *testing.T, kind, name, status string) {
	t.Helper()
	c := lf.client(t)
	res, ok := api.ResourceForKind(kind)
	if !ok {
		t.Fatalf("unknown kind %s", kind)
	}
	obj, err := c.Get(context.Background(), res, "default", name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := newItem(res, obj)
	if err != nil {
		t.Fatal(err)
	}
	var st any
	if err := json.Unmarshal([]byte(status), &st); err != nil {
		t.Fatal(err)
	}
	it.u["status"] = st
	next, err := objectFromFields(res, it.u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateStatus(context.Background(), next); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer is a bytes.Buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// background is a berth invocation running while the test changes the cluster.
type background struct {
	stdout, stderr *lockedBuffer
	done           chan int
}

// startBerth runs the CLI against addr in a goroutine; wait collects its result.
func startBerth(t *testing.T, addr string, args ...string) *background {
	t.Helper()
	b := &background{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan int, 1)}
	root := NewRoot()
	root.SetOut(b.stdout)
	root.SetErr(b.stderr)
	root.SetIn(strings.NewReader(""))
	go func() {
		b.done <- Run(root, append([]string{"--addr", addr, "--retry-timeout", "0"}, args...))
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		case <-time.After(20 * time.Second):
			t.Errorf("berth %v still running at the end of the test", args)
		}
	})
	return b
}

// wait returns the command's result, failing the test if it runs past the deadline.
func (b *background) wait(t *testing.T) result {
	t.Helper()
	select {
	case code := <-b.done:
		b.done <- code // for the cleanup
		return result{stdout: b.stdout.String(), stderr: b.stderr.String(), code: code}
	case <-time.After(15 * time.Second):
		t.Fatalf("command did not finish; stdout %q stderr %q", b.stdout.String(), b.stderr.String())
	}
	return result{}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
