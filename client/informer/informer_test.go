package informer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

func TestBackoffNext(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name  string
		b     Backoff
		first time.Duration
		reset int // reset before this call (-1: never)
		want  []time.Duration
	}{
		{name: "fixed", b: Backoff{List: 500 * ms}, first: 500 * ms, reset: -1,
			want: []time.Duration{500 * ms, 500 * ms, 500 * ms}},
		{name: "doubling to max", b: Backoff{Max: 1000 * ms}, first: 250 * ms, reset: -1,
			want: []time.Duration{250 * ms, 500 * ms, 1000 * ms, 1000 * ms}},
		{name: "reset starts over", b: Backoff{Max: 5 * time.Second}, first: 250 * ms, reset: 2,
			want: []time.Duration{250 * ms, 500 * ms, 250 * ms, 500 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backoff{Backoff: tt.b}
			for i, want := range tt.want {
				if i == tt.reset {
					b.reset()
				}
				if got := b.next(tt.first); got != want {
					t.Fatalf("pause %d = %v, want %v", i, got, want)
				}
			}
		})
	}
}

// goneSource answers every list with resourceVersion 5 and the first watch
// with 410 Gone; later watches wait for the end of the context.
type goneSource struct {
	mu      sync.Mutex
	lists   int
	watches []string // the resourceVersions asked for
}

func (s *goneSource) List(context.Context, *api.Resource, string, api.ListOptions) (*api.List, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	return &api.List{ListMeta: api.ListMeta{ResourceVersion: "5"}}, nil
}

func (s *goneSource) Watch(ctx context.Context, _ *api.Resource, _ string, opts api.WatchOptions) (*api.Watcher, error) {
	s.mu.Lock()
	s.watches = append(s.watches, opts.ResourceVersion)
	n := len(s.watches)
	s.mu.Unlock()
	if n == 1 {
		return nil, api.NewError(api.ReasonGone, "too old resource version")
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *goneSource) counts() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists, append([]string(nil), s.watches...)
}

// TestRunRelistsAfterGone: a 410 on the watch lists again, and Replace gets
// each list; a start resourceVersion watches before any list.
func TestRunRelistsAfterGone(t *testing.T) {
	tests := []struct {
		name        string
		start       string
		wantLists   int
		wantWatches []string
	}{
		{name: "from a list", start: "", wantLists: 2, wantWatches: []string{"5", "5"}},
		{name: "from a resourceVersion", start: "3", wantLists: 1, wantWatches: []string{"3", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &goneSource{}
			var mu sync.Mutex
			replaced := 0
			in := &Informer{
				Source: src, Resource: &api.Resource{Kind: "ConfigMap"},
				Replace: func([]api.Object) { mu.Lock(); replaced++; mu.Unlock() },
				Event:   func(string, api.Object) { t.Error("unexpected event") },
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { in.Run(ctx, tt.start); close(done) }()
			deadline := time.Now().Add(5 * time.Second)
			for {
				if _, w := src.counts(); len(w) == len(tt.wantWatches) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no second watch within 5s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done
			lists, watches := src.counts()
			mu.Lock()
			defer mu.Unlock()
			if lists != tt.wantLists || replaced != tt.wantLists {
				t.Errorf("lists = %d, replaced = %d; want %d", lists, replaced, tt.wantLists)
			}
			if len(watches) != len(tt.wantWatches) || watches[0] != tt.wantWatches[0] || watches[1] != tt.wantWatches[1] {
				t.Errorf("watches from %v, want %v", watches, tt.wantWatches)
			}
		})
	}
}

// TestRunFollowsServer runs an Informer against a real server: the list
// brings what exists, then each change arrives as one event.
func TestRunFollowsServer(t *testing.T) {
	ts := servertest.Start(t, nil)
	res, _ := api.ResourceForKind("ConfigMap")
	ctx := context.Background()
	cm := func(name string) *api.ConfigMap {
		c := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
		c.APIVersion, c.Kind = "v1", "ConfigMap"
		return c
	}
	if _, err := ts.Client.Create(ctx, cm("before")); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 16)
	in := &Informer{
		Source: ts.Client, Resource: res,
		Replace: func(objs []api.Object) {
			for _, o := range objs {
				got <- "LIST " + o.GetObjectMeta().Name
			}
		},
		Event: func(typ string, o api.Object) { got <- typ + " " + o.GetObjectMeta().Name },
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { in.Run(runCtx, ""); close(done) }()
	defer func() { cancel(); <-done }()

	next := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("got %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q within 5s", want)
		}
	}
	next("LIST before")
	if _, err := ts.Client.Create(ctx, cm("after")); err != nil {
		t.Fatal(err)
	}
	next(api.WatchAdded + " after")
	if _, err := ts.Client.Delete(ctx, res, "default", "after", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	next(api.WatchDeleted + " after")
}
