package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestWatchEvents(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, _ *http.Request) {
		for _, line := range []string{
			`{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"5"}}}`,
			`{"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"6"},"data":{"k":"v"}}}`,
			`{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}`,
			`{"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"10"}}}`,
			`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Expired","code":410}}`,
		} {
			_, _ = io.WriteString(w, line+"\n")
		}
	})
	c := mustClient(t, url)
	wt, err := c.Watch(context.Background(), mustResource(t, "ConfigMap"), "ns", WatchOptions{
		ResourceVersion: "4", LabelSelector: "app=x", AllowBookmarks: true, TimeoutSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	if got := rec.last(t); got.Path != "/api/v1/namespaces/ns/configmaps" ||
		got.Query != "allowWatchBookmarks=true&labelSelector=app%3Dx&resourceVersion=4&timeoutSeconds=30&watch=true" {
		t.Errorf("request = %s?%s", got.Path, got.Query)
	}
	tests := []struct {
		name     string
		wantType string
		wantRV   string
	}{
		{"added", WatchAdded, "5"},
		{"modified without kind", WatchModified, "6"},
		{"bookmark", WatchBookmark, "9"},
		{"deleted", WatchDeleted, "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := wt.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != tt.wantType || ev.Object.GetObjectMeta().ResourceVersion != tt.wantRV {
				t.Errorf("event = %s rv %s, want %s rv %s", ev.Type, ev.Object.GetObjectMeta().ResourceVersion,
					tt.wantType, tt.wantRV)
			}
			if ev.Object.GetTypeMeta().Kind != "ConfigMap" {
				t.Errorf("kind = %q", ev.Object.GetTypeMeta().Kind)
			}
		})
	}
	ev, err := wt.Next()
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Code() != 410 || ev.Type != WatchError || ev.Status == nil {
		t.Errorf("error event = %+v, %v; want a 410 *Error", ev, err)
	}
	if _, err := wt.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the stream ends err = %v, want io.EOF", err)
	}
}

func TestWatchCloseUnblocksNext(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := mustClient(t, url)
	wt, err := c.Watch(context.Background(), mustResource(t, "ConfigMap"), "", WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := wt.Next()
		done <- err
	}()
	wt.Close()
	wt.Close() // twice is fine
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Next after Close = %v, want io.EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked 5s after Close")
	}
}

func TestWatchRejectsGarbage(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"not json", "hello\n"},
		{"unknown type", `{"type":"SIDEWAYS","object":{}}` + "\n"},
		{"bad object", `{"type":"ADDED","object":{"metadata":7}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			url := mustServe(t, rec, func(_ int, w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, tt.body)
			})
			wt, err := mustClient(t, url).Watch(context.Background(), mustResource(t, "ConfigMap"), "", WatchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer wt.Close()
			if _, err := wt.Next(); !errors.Is(err, ErrClientDecode) {
				t.Errorf("err = %v, want ErrClientDecode", err)
			}
		})
	}
}

func TestWatchOpenError(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, 410, ReasonGone, "too old resource version")
	})
	_, err := mustClient(t, url).Watch(context.Background(), mustResource(t, "ConfigMap"), "", WatchOptions{ResourceVersion: "1"})
	if ReasonOf(err) != ReasonGone {
		t.Errorf("err = %v, want Expired", err)
	}
}
