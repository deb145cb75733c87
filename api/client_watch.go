package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// The event types of a watch stream, with Kubernetes' values.
const (
	WatchAdded    = "ADDED"
	WatchModified = "MODIFIED"
	WatchDeleted  = "DELETED"
	// WatchBookmark carries only a resourceVersion: the stream has seen everything up
	// to it, so a watcher that resumes there misses nothing.
	WatchBookmark = "BOOKMARK"
	// WatchError carries a Status, 410 Expired when the resourceVersion is too old to
	// resume from (list again, then watch from the list's resourceVersion).
	WatchError = "ERROR"
)

// WatchOptions tune a watch.
type WatchOptions struct {
	// ResourceVersion is where to start: the events after it. Empty starts from now.
	ResourceVersion string
	LabelSelector   string
	FieldSelector   string
	// AllowBookmarks asks for BOOKMARK events while nothing else happens.
	AllowBookmarks bool
	// TimeoutSeconds makes the server end the stream after that long (0: never).
	TimeoutSeconds int
}

// WatchEvent is one change seen by a watch.
type WatchEvent struct {
	Type   string
	Object Object  // nil for ERROR
	Status *Status // set for ERROR only
}

// wireEvent is an event as it travels: the object stays raw until the type is known.
type wireEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// Watcher reads one watch stream. Next and Close may be called from different
// goroutines; Next itself is not for concurrent use.
type Watcher struct {
	res    *Resource
	body   io.ReadCloser
	dec    *json.Decoder
	cancel context.CancelFunc

	closeOnce sync.Once
	mu        sync.Mutex
	closed    bool
}

// Watch opens a stream of changes to a collection; ns "" watches all namespaces.
// The stream ends (Next returns io.EOF) when the server ends it, the context is
// cancelled or Close is called.
func (c *Client) Watch(ctx context.Context, res *Resource, ns string, opts WatchOptions) (*Watcher, error) {
	q := url.Values{}
	q.Set("watch", "true")
	setIf(q, "resourceVersion", opts.ResourceVersion)
	setIf(q, "labelSelector", opts.LabelSelector)
	setIf(q, "fieldSelector", opts.FieldSelector)
	if opts.AllowBookmarks {
		q.Set("allowWatchBookmarks", "true")
	}
	if opts.TimeoutSeconds > 0 {
		q.Set("timeoutSeconds", strconv.Itoa(opts.TimeoutSeconds))
	}
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.do(ctx, http.MethodGet, res.CollectionPath(ns), q, nil, "")
	if err != nil {
		cancel()
		return nil, err
	}
	return &Watcher{res: res, body: resp.Body, dec: json.NewDecoder(resp.Body), cancel: cancel}, nil
}

// Next blocks for the next event. An ERROR event is returned both as the event and as
// an *Error (so `if err != nil` handles 410 Expired); io.EOF means the stream ended.
func (w *Watcher) Next() (WatchEvent, error) {
	var we wireEvent
	if err := w.dec.Decode(&we); err != nil {
		if w.isClosed() || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
			return WatchEvent{}, io.EOF
		}
		return WatchEvent{}, fmt.Errorf("%w: watch stream: %w", ErrClientDecode, err)
	}
	switch we.Type {
	case WatchError:
		var st Status
		if err := json.Unmarshal(we.Object, &st); err != nil {
			return WatchEvent{}, fmt.Errorf("%w: watch error event: %w", ErrClientDecode, err)
		}
		if st.Reason == "" {
			st.Reason = reasonForCode(st.Code)
		}
		return WatchEvent{Type: we.Type, Status: &st}, &Error{Status: st}
	case WatchAdded, WatchModified, WatchDeleted, WatchBookmark:
		obj, err := decodeItem(w.res, we.Object)
		if err != nil {
			return WatchEvent{}, err
		}
		return WatchEvent{Type: we.Type, Object: obj}, nil
	}
	return WatchEvent{}, fmt.Errorf("%w: unknown watch event type %q", ErrClientDecode, we.Type)
}

// Close ends the stream; a blocked Next returns io.EOF. It is safe to call twice.
func (w *Watcher) Close() {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.cancel()
		_ = w.body.Close()
	})
}

func (w *Watcher) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}
