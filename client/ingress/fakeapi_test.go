package ingress

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"sync"
	"testing"

	"github.com/berth-dev/berth/api"
)

// fakeAPI serves list and watch of every collection the way a Berth server does:
// a list carries the current resourceVersion, a watch replays the changes after the
// one it is given and then follows, and refuse makes the next watches of a kind
// answer 410 Gone.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	rv      int
	objs    map[string]map[string]api.Object // by plural, then namespace/name
	log     []fakeEvent
	changed chan struct{} // closed and replaced at every change
	refuse  map[string]int
	lists   map[string]int
	kick    map[string]chan struct{} // closed to end the open watches of a kind
}

type fakeEvent struct {
	rv     int
	plural string
	typ    string
	obj    api.Object
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, objs: map[string]map[string]api.Object{}, changed: make(chan struct{}),
		refuse: map[string]int{}, lists: map[string]int{}, kick: map[string]chan struct{}{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) client(t *testing.T) *api.Client {
	c, err := api.NewClient(f.srv.URL, api.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// set creates or replaces objects, each a change of its own.
func (f *fakeAPI) set(objs ...api.Object) {
	for _, o := range objs {
		f.change(api.WatchModified, o)
	}
}

// remove deletes an object.
func (f *fakeAPI) remove(o api.Object) { f.change(api.WatchDeleted, o) }

func (f *fakeAPI) change(typ string, o api.Object) {
	res, ok := api.ResourceForObject(o)
	if !ok {
		f.t.Fatalf("fakeAPI: %T is not a kind", o)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rv++
	o.GetObjectMeta().ResourceVersion = strconv.Itoa(f.rv)
	m := f.objs[res.Plural]
	if m == nil {
		m = map[string]api.Object{}
		f.objs[res.Plural] = m
	}
	key := objKey(o)
	if typ == api.WatchDeleted {
		delete(m, key)
	} else {
		if _, exists := m[key]; !exists {
			typ = api.WatchAdded
		}
		m[key] = o
	}
	f.log = append(f.log, fakeEvent{rv: f.rv, plural: res.Plural, typ: typ, obj: o})
	close(f.changed)
	f.changed = make(chan struct{})
}

// refuseWatches ends the open watches of plural and makes the next n answer 410
// Gone.
func (f *fakeAPI) refuseWatches(plural string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse[plural] = n
	if k := f.kick[plural]; k != nil {
		close(k)
	}
	f.kick[plural] = make(chan struct{})
}

func (f *fakeAPI) listCount(plural string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists[plural]
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	plural := path.Base(r.URL.Path)
	res, ok := api.ResourceForPath(pathGroup(r.URL.Path), plural)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("watch") == "true" {
		f.watch(w, r, res)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[plural]++
	items := []api.Object{}
	for _, o := range f.objs[plural] {
		items = append(items, o)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": res.APIVersion(), "kind": res.Kind + "List",
		"metadata": map[string]string{"resourceVersion": strconv.Itoa(f.rv)}, "items": items,
	})
}

// pathGroup is the API group of a collection path ("" for /api/v1/...).
func pathGroup(p string) string {
	if dir := path.Dir(p); path.Dir(path.Dir(dir)) == "/apis" {
		return path.Base(path.Dir(dir))
	}
	return ""
}

func (f *fakeAPI) watch(w http.ResponseWriter, r *http.Request, res *api.Resource) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	fl, _ := w.(http.Flusher)
	f.mu.Lock()
	if f.refuse[res.Plural] > 0 {
		f.refuse[res.Plural]--
		f.mu.Unlock()
		_ = enc.Encode(map[string]any{"type": api.WatchError, "object": api.Status{
			Status: "Failure", Code: http.StatusGone, Reason: api.ReasonGone, Message: "too old resource version"}})
		return
	}
	if f.kick[res.Plural] == nil {
		f.kick[res.Plural] = make(chan struct{})
	}
	kick := f.kick[res.Plural]
	f.mu.Unlock()
	cursor, _ := strconv.Atoi(r.URL.Query().Get("resourceVersion"))
	fl.Flush()
	for {
		// Encoded under the lock: a test may stamp an object again in set.
		f.mu.Lock()
		for _, ev := range f.log {
			if ev.rv > cursor && ev.plural == res.Plural {
				_ = enc.Encode(map[string]any{"type": ev.typ, "object": ev.obj})
			}
		}
		cursor = f.rv
		changed := f.changed
		f.mu.Unlock()
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-kick:
			return
		case <-changed:
		}
	}
}
