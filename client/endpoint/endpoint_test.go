package endpoint

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// fakeBackend serves pod default/web with one container "app". Its log is lines,
// then (with follow) whatever arrives on more until ctx ends.
type fakeBackend struct {
	lines []string
	more  chan string
	opts  chan api.LogOptions // every LogOptions seen, when not nil
}

func (f *fakeBackend) find(ns, pod, container string) error {
	if ns != "default" || pod != "web" {
		return fmt.Errorf("%w: pod %s/%s", ErrPodNotFound, ns, pod)
	}
	if container != "" && container != "app" {
		return fmt.Errorf("%w: %q in pod %s", ErrContainerNotFound, container, pod)
	}
	return nil
}

func (f *fakeBackend) Logs(ctx context.Context, ns, pod, container string, opts api.LogOptions, w io.Writer) error {
	if err := f.find(ns, pod, container); err != nil {
		return err
	}
	if f.opts != nil {
		f.opts <- opts
	}
	for _, l := range f.lines {
		fmt.Fprintln(w, l)
	}
	if !opts.Follow {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-f.more:
			if _, err := fmt.Fprintln(w, l); err != nil {
				return err
			}
		}
	}
}

// Exec echoes stdin to stdout upper-cased, names the command on stderr, exits 3.
func (f *fakeBackend) Exec(ctx context.Context, ns, pod, container string, cmd []string, tty bool,
	stdin io.Reader, stdout, stderr io.Writer, _ <-chan api.TerminalSize) (int, error) {
	if err := f.find(ns, pod, container); err != nil {
		return -1, err
	}
	if stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return -1, err
		}
		stdout.Write(bytes.ToUpper(b))
	}
	fmt.Fprintf(stderr, "ran %s tty=%v", strings.Join(cmd, " "), tty)
	return 3, nil
}

func newEndpoint(t *testing.T, b Backend) string {
	t.Helper()
	srv := httptest.NewServer(New(b))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestLogs(t *testing.T) {
	opts := make(chan api.LogOptions, 10)
	base := newEndpoint(t, &fakeBackend{lines: []string{"one", "two"}, opts: opts})
	tests := []struct {
		name     string
		path     string
		code     int
		body     string
		wantOpts api.LogOptions
	}{
		{"all", "/v1/pods/default/web/log", 200, "one\ntwo\n", api.LogOptions{TailLines: -1}},
		{"options", "/v1/pods/default/web/log?container=app&tailLines=5&timestamps=true", 200, "one\ntwo\n",
			api.LogOptions{Container: "app", TailLines: 5, Timestamps: true}},
		{"unknown pod", "/v1/pods/default/nope/log", 404, `"message":"pod not found: pod default/nope"`, api.LogOptions{}},
		{"unknown container", "/v1/pods/default/web/log?container=db", 404, `"reason":"NotFound"`, api.LogOptions{}},
		{"bad tail", "/v1/pods/default/web/log?tailLines=x", 400, `tailLines must be`, api.LogOptions{}},
		{"bad follow", "/v1/pods/default/web/log?follow=maybe", 400, `follow must be`, api.LogOptions{}},
		{"healthz", "/healthz", 200, "ok", api.LogOptions{}},
		{"unknown path", "/v1/nodes", 404, `no endpoint GET /v1/nodes`, api.LogOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.body) {
				t.Fatalf("%s: %d %q; want %d containing %q", tt.path, resp.StatusCode, b, tt.code, tt.body)
			}
			if tt.code == 200 && tt.path != "/healthz" {
				if got := <-opts; got != tt.wantOpts {
					t.Fatalf("backend got %+v, want %+v", got, tt.wantOpts)
				}
			}
		})
	}
}

// A followed log reaches the client line by line, as the backend writes it.
func TestLogsFollow(t *testing.T) {
	more := make(chan string)
	base := newEndpoint(t, &fakeBackend{more: more})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/pods/default/web/log?follow=true", nil)
	// The header must come before any line: a quiet log is still a connected one.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		want := fmt.Sprintf("line %d", i)
		more <- want
		got, err := br.ReadString('\n')
		if err != nil || got != want+"\n" {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
}

func TestExec(t *testing.T) {
	base := newEndpoint(t, &fakeBackend{})
	tests := []struct {
		name       string
		path       string
		stdin      io.Reader
		wantCode   int
		wantOut    string
		wantErr    string
		wantReason api.StatusReason
	}{
		{name: "echo", path: "/v1/pods/default/web/exec?command=tr&command=a-z&command=A-Z&stdin=true&tty=true",
			stdin: strings.NewReader("hello"), wantCode: 3, wantOut: "HELLO", wantErr: "ran tr a-z A-Z tty=true"},
		{name: "no stdin", path: "/v1/pods/default/web/exec?command=ls&container=app",
			wantCode: 3, wantErr: "ran ls tty=false"},
		{name: "unknown pod", path: "/v1/pods/default/nope/exec?command=ls", wantReason: api.ReasonNotFound},
		{name: "unknown container", path: "/v1/pods/default/web/exec?command=ls&container=db", wantReason: api.ReasonNotFound},
		{name: "no command", path: "/v1/pods/default/web/exec", wantReason: api.ReasonBadRequest},
		{name: "bad tty", path: "/v1/pods/default/web/exec?command=ls&tty=yes", wantReason: api.ReasonBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := api.DialExec(ctx, nil, base+tt.path)
			if err != nil {
				if tt.wantReason == "" || api.ReasonOf(err) != tt.wantReason {
					t.Fatalf("DialExec: %v", err)
				}
				return
			}
			defer conn.Close()
			var out, errb bytes.Buffer
			code, err := api.RunExec(conn, tt.stdin, &out, &errb, nil)
			if tt.wantReason != "" {
				if api.ReasonOf(err) != tt.wantReason {
					t.Fatalf("RunExec: %v, want reason %s", err, tt.wantReason)
				}
				return
			}
			if err != nil || code != tt.wantCode || out.String() != tt.wantOut || errb.String() != tt.wantErr {
				t.Fatalf("RunExec = %d, %v; stdout %q stderr %q", code, err, out.String(), errb.String())
			}
		})
	}
}

func TestExecWithoutUpgrade(t *testing.T) {
	base := newEndpoint(t, &fakeBackend{})
	resp, err := http.Post(base+"/v1/pods/default/web/exec?command=ls", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st api.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 400 || st.Reason != api.ReasonBadRequest {
		t.Fatalf("answer %d %+v, %v; want 400 BadRequest", resp.StatusCode, st, err)
	}
}

// blockingBackend's Exec waits for its context: it ends only when the session does.
type blockingBackend struct {
	fakeBackend
	started, ended chan struct{}
}

func (b *blockingBackend) Exec(ctx context.Context, _, _, _ string, _ []string, _ bool,
	_ io.Reader, _, _ io.Writer, _ <-chan api.TerminalSize) (int, error) {
	close(b.started)
	<-ctx.Done()
	close(b.ended)
	return -1, ctx.Err()
}

// A client that hangs up cancels the backend, though a hijacked request's own
// context would not notice.
func TestExecClientGoneCancelsBackend(t *testing.T) {
	b := &blockingBackend{started: make(chan struct{}), ended: make(chan struct{})}
	base := newEndpoint(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := api.DialExec(ctx, nil, base+"/v1/pods/default/web/exec?command=sleep")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.started:
	case <-ctx.Done():
		t.Fatal("the backend never started")
	}
	conn.Close()
	select {
	case <-b.ended:
	case <-ctx.Done():
		t.Fatal("the backend still runs after the client hung up")
	}
}
