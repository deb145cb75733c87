package informer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/api"
)

// Source lists and watches whole collections, as *api.Client does.
type Source interface {
	List(ctx context.Context, res *api.Resource, ns string, opts api.ListOptions) (*api.List, error)
	Watch(ctx context.Context, res *api.Resource, ns string, opts api.WatchOptions) (*api.Watcher, error)
}

var _ Source = (*api.Client)(nil)

// Backoff is how long an Informer pauses before trying again.
type Backoff struct {
	// List is the pause after a failed list; Watch after a broken watch.
	List, Watch time.Duration
	// Max, when positive, doubles the pauses of failures in a row up to Max;
	// a watch that brought something new starts over. Zero: pauses stay fixed.
	Max time.Duration
	// Idle also pauses (List) after a stream that ended with nothing new, so
	// a server that ends streams at once is not spun on.
	Idle bool
}

// Informer follows one kind in every namespace. Replace and Event are called
// from Run's goroutine only, one at a time.
type Informer struct {
	// Source is where lists and watches go. Required.
	Source Source
	// Resource is the kind followed. Required.
	Resource *api.Resource
	// FieldSelector narrows the list and the watch alike; empty selects all.
	FieldSelector string
	// Replace receives each list (the first, and after every 410 Gone) whole.
	// Required.
	Replace func(objs []api.Object)
	// Event receives the type (api.WatchAdded, WatchModified or WatchDeleted)
	// and object of each watch event. Required.
	Event func(typ string, obj api.Object)
	// Log receives ListFailed and WatchBroke (with "err") while Run's context
	// lives; nil means slog.Default().
	Log *slog.Logger
	// ListFailed and WatchBroke are the warnings logged; empty means
	// "list failed; retrying" and "watch broke; resuming".
	ListFailed, WatchBroke string
	// Backoff is the pauses; zero values mean no pause.
	Backoff Backoff
}

// Run follows the kind until ctx ends: a list, then a watch from its
// resourceVersion, resumed from the last resourceVersion seen when the stream
// ends or breaks, and a new list after 410 Gone. A non-empty rv starts with
// the watch (the caller has listed already).
func (in *Informer) Run(ctx context.Context, rv string) {
	var b backoff
	b.Backoff = in.Backoff
	for ctx.Err() == nil {
		if rv == "" {
			next, err := in.list(ctx)
			if err != nil {
				if ctx.Err() == nil {
					in.log().Warn(or(in.ListFailed, "list failed; retrying"), "err", err)
				}
				sleep(ctx, b.next(b.List))
				continue
			}
			rv = next
		}
		next, err := in.watch(ctx, rv)
		switch {
		case ctx.Err() != nil:
			return
		case api.ReasonOf(err) == api.ReasonGone:
			rv = "" // too old: list again
		case err != nil:
			in.log().Warn(or(in.WatchBroke, "watch broke; resuming"), "err", err)
			rv = next
			sleep(ctx, b.next(b.Watch))
		case b.Idle && next == rv:
			b.reset()
			sleep(ctx, b.next(b.List))
		default:
			rv = next
			b.reset()
		}
	}
}

// list hands a fresh list to Replace and returns its resourceVersion.
func (in *Informer) list(ctx context.Context) (string, error) {
	l, err := in.Source.List(ctx, in.Resource, "", api.ListOptions{FieldSelector: in.FieldSelector})
	if err != nil {
		return "", err
	}
	objs, err := l.Objects()
	if err != nil {
		return "", err
	}
	in.Replace(objs)
	if l.ResourceVersion == "" {
		return "", fmt.Errorf("informer: list of %s without a resourceVersion", in.Resource.Kind)
	}
	return l.ResourceVersion, nil
}

// watch follows one stream from rv and returns the last resourceVersion it
// saw; a stream that ends cleanly returns no error.
func (in *Informer) watch(ctx context.Context, rv string) (string, error) {
	w, err := in.Source.Watch(ctx, in.Resource, "", api.WatchOptions{
		ResourceVersion: rv, FieldSelector: in.FieldSelector, AllowBookmarks: true,
	})
	if err != nil {
		return rv, err
	}
	defer w.Close()
	for {
		ev, err := w.Next()
		if errors.Is(err, io.EOF) {
			return rv, nil
		}
		if err != nil {
			return rv, err
		}
		if ev.Object == nil {
			continue
		}
		if v := ev.Object.GetObjectMeta().ResourceVersion; v != "" {
			rv = v
		}
		if ev.Type != api.WatchBookmark {
			in.Event(ev.Type, ev.Object)
		}
	}
}

func (in *Informer) log() *slog.Logger {
	if in.Log != nil {
		return in.Log
	}
	return slog.Default()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// backoff tracks the pauses of failures in a row.
type backoff struct {
	Backoff
	cur time.Duration // the next pause while doubling; zero before the first
}

// next is the pause of one more failure whose first pause is first.
func (b *backoff) next(first time.Duration) time.Duration {
	if b.Max <= 0 {
		return first
	}
	d := b.cur
	if d == 0 {
		d = first
	}
	b.cur = min(2*d, b.Max)
	return d
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
