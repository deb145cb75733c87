package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		ch      byte
		payload []byte
	}{
		{"stdin", ChannelStdin, []byte("hello\n")},
		{"stdin EOF", ChannelStdin, nil},
		{"stdout", ChannelStdout, []byte("out")},
		{"stderr", ChannelStderr, []byte("err")},
		{"status", ChannelStatus, []byte(`{"exitCode":3}`)},
		{"resize", ChannelResize, []byte(`{"width":80,"height":24}`)},
		{"largest", ChannelStdout, bytes.Repeat([]byte{'x'}, MaxFramePayload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			sc := NewStreamConn(&buf)
			if err := sc.WriteFrame(tt.ch, tt.payload); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != 5+len(tt.payload) {
				t.Fatalf("frame is %d bytes, want %d", buf.Len(), 5+len(tt.payload))
			}
			ch, p, err := sc.ReadFrame()
			if err != nil || ch != tt.ch || !bytes.Equal(p, tt.payload) {
				t.Fatalf("ReadFrame = %d, %d bytes, %v", ch, len(p), err)
			}
			if _, _, err := sc.ReadFrame(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
		})
	}
}

func TestReadFrameErrors(t *testing.T) {
	tooLarge := make([]byte, 5)
	binary.BigEndian.PutUint32(tooLarge[1:], MaxFramePayload+1)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, io.EOF},
		{"short header", []byte{1, 0, 0}, io.ErrUnexpectedEOF},
		{"short payload", []byte{1, 0, 0, 0, 9, 'a'}, io.ErrUnexpectedEOF},
		{"too large", tooLarge, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := NewStreamConn(&rwPair{Reader: bytes.NewReader(tt.data), Writer: io.Discard})
			if _, _, err := sc.ReadFrame(); !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame: %v, want %v", err, tt.want)
			}
		})
	}
	if err := NewStreamConn(&bytes.Buffer{}).WriteFrame(1, make([]byte, MaxFramePayload+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("WriteFrame of too much: %v", err)
	}
}

type rwPair struct {
	io.Reader
	io.Writer
}

// slowWriter writes in tiny pieces, so frames written concurrently would interleave
// unless WriteFrame serializes whole frames.
type slowWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *slowWriter) Write(p []byte) (int, error) {
	for i := range p {
		w.mu.Lock()
		w.buf.WriteByte(p[i])
		w.mu.Unlock()
	}
	return len(p), nil
}

func TestWriteFrameConcurrent(t *testing.T) {
	w := &slowWriter{}
	sc := NewStreamConn(&rwPair{Reader: strings.NewReader(""), Writer: w})
	const writers, frames = 8, 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range frames {
				if err := sc.WriteFrame(byte(i%3), []byte(fmt.Sprintf("writer %d frame %d", i, j))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rd := NewStreamConn(&rwPair{Reader: &w.buf, Writer: io.Discard})
	next := make([]int, writers)
	for range writers * frames {
		ch, p, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		var i, j int
		if _, err := fmt.Sscanf(string(p), "writer %d frame %d", &i, &j); err != nil || byte(i%3) != ch || next[i] != j {
			t.Fatalf("frame %q on channel %d out of order or mangled", p, ch)
		}
		next[i]++
	}
}

func TestExitStatusJSON(t *testing.T) {
	tests := []struct {
		name string
		in   ExitStatus
		want string
	}{
		{"code", ExitStatus{ExitCode: 3}, `{"exitCode":3}`},
		{"zero", ExitStatus{}, `{"exitCode":0}`},
		{"error", ExitStatus{Error: &NewError(ReasonNotFound, "pods \"x\" not found").Status}, `"reason":"NotFound"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.in.MarshalJSON()
			if err != nil || !strings.Contains(string(b), tt.want) {
				t.Fatalf("marshal = %s, %v; want it to contain %s", b, err, tt.want)
			}
			var out ExitStatus
			if err := out.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			if out.ExitCode != tt.in.ExitCode || (out.Error == nil) != (tt.in.Error == nil) {
				t.Fatalf("round trip = %+v, want %+v", out, tt.in)
			}
		})
	}
	for _, bad := range []string{`{}`, `[]`, `nope`} {
		var out ExitStatus
		if err := out.UnmarshalJSON([]byte(bad)); !errors.Is(err, ErrStreamBadStatus) {
			t.Errorf("UnmarshalJSON(%s) = %v, want ErrStreamBadStatus", bad, err)
		}
	}
}

// echoHandler copies stdin to stdout, says something on stderr, reports the first
// resize and exits 3: every channel of the protocol in one session.
func echoHandler(stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) (int, error) {
	if _, err := io.Copy(stdout, stdin); err != nil {
		return -1, err
	}
	fmt.Fprint(stderr, "stdin closed")
	select {
	case sz := <-resize:
		fmt.Fprintf(stderr, " size %dx%d", sz.Width, sz.Height)
	case <-time.After(5 * time.Second):
	}
	return 3, nil
}

func TestRunServeExec(t *testing.T) {
	tests := []struct {
		name       string
		handler    ExecHandler
		stdin      io.Reader
		resize     bool
		wantCode   int
		wantOut    string
		wantErr    string
		wantReason StatusReason
	}{
		{name: "echo", handler: echoHandler, stdin: strings.NewReader(strings.Repeat("a", 100<<10)),
			resize: true, wantCode: 3, wantOut: strings.Repeat("a", 100<<10), wantErr: "stdin closed size 80x24"},
		{name: "no stdin", handler: func(stdin io.Reader, stdout, _ io.Writer, _ <-chan TerminalSize) (int, error) {
			b, err := io.ReadAll(stdin)
			fmt.Fprintf(stdout, "read %d", len(b))
			return 0, err
		}, wantOut: "read 0"},
		{name: "api error", handler: func(io.Reader, io.Writer, io.Writer, <-chan TerminalSize) (int, error) {
			return 0, NewError(ReasonNotFound, "pod gone")
		}, wantCode: -1, wantReason: ReasonNotFound},
		{name: "other error", handler: func(io.Reader, io.Writer, io.Writer, <-chan TerminalSize) (int, error) {
			return 0, errors.New("runtime broke")
		}, wantCode: -1, wantReason: ReasonInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, agent := net.Pipe()
			defer client.Close()
			served := make(chan error, 1)
			go func() {
				defer agent.Close()
				served <- ServeExec(agent, tt.handler)
			}()
			var resize chan TerminalSize
			if tt.resize {
				resize = make(chan TerminalSize, 1)
				resize <- TerminalSize{Width: 80, Height: 24}
			}
			var out, errb bytes.Buffer
			code, err := RunExec(client, tt.stdin, &out, &errb, resize)
			if tt.wantReason != "" {
				if ReasonOf(err) != tt.wantReason {
					t.Fatalf("RunExec error %v, want reason %s", err, tt.wantReason)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || out.String() != tt.wantOut || errb.String() != tt.wantErr {
				t.Fatalf("code %d stdout %.40q stderr %q; want %d %.40q %q", code, out.String(), errb.String(),
					tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if err := <-served; err != nil {
				t.Fatalf("ServeExec: %v", err)
			}
		})
	}
}

func TestRunExecNoStatus(t *testing.T) {
	client, agent := net.Pipe()
	go func() {
		sc := NewStreamConn(agent)
		_ = sc.WriteFrame(ChannelStdout, []byte("partial"))
		agent.Close()
	}()
	if _, err := RunExec(client, nil, io.Discard, io.Discard, nil); !errors.Is(err, ErrStreamNoStatus) {
		t.Fatalf("RunExec = %v, want ErrStreamNoStatus", err)
	}
}

// newExecServer serves exec at any path with echoHandler, and logs at /log.
func newExecServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/namespaces/{ns}/pods/{name}/exec", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") == "missing" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","status":"Failure","message":"pods \"missing\" not found","reason":"NotFound","code":404}`)
			return
		}
		if got := r.URL.Query()["command"]; strings.Join(got, " ") != "cat -" {
			t.Errorf("command = %q", got)
		}
		conn, err := AcceptExec(w, r)
		if err != nil {
			t.Errorf("AcceptExec: %v", err)
			return
		}
		defer conn.Close()
		_ = ServeExec(conn, echoHandler)
	})
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}/log", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "query %s\n", r.URL.RawQuery)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestClientExecAndLogs(t *testing.T) {
	srv := newExecServer(t)
	c, err := NewClient(srv.URL, WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resize := make(chan TerminalSize, 1)
	resize <- TerminalSize{Width: 100, Height: 40}
	var out, errb bytes.Buffer
	code, err := c.Exec(ctx, "default", "web", ExecOptions{
		Command: []string{"cat", "-"}, Stdin: strings.NewReader("ping\n"), Stdout: &out, Stderr: &errb, Resize: resize,
	})
	if err != nil || code != 3 || out.String() != "ping\n" || errb.String() != "stdin closed size 100x40" {
		t.Fatalf("Exec = %d, %v; stdout %q stderr %q", code, err, out.String(), errb.String())
	}
	_, err = c.Exec(ctx, "default", "missing", ExecOptions{Command: []string{"true"}})
	if ReasonOf(err) != ReasonNotFound || !strings.Contains(err.Error(), `"missing" not found`) {
		t.Fatalf("Exec of a missing pod = %v, want NotFound", err)
	}
	if _, err := c.Exec(ctx, "default", "web", ExecOptions{}); !errors.Is(err, ErrExecNoCommand) {
		t.Fatalf("Exec without a command = %v", err)
	}
	rc, err := c.Logs(ctx, "default", "web", LogOptions{Container: "app", Follow: true, TailLines: 5, Timestamps: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if got := string(b); got != "query container=app&follow=true&tailLines=5&timestamps=true\n" {
		t.Fatalf("Logs answered %q", got)
	}
}

func TestAcceptExecNeedsUpgrade(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/exec", nil)
	if _, err := AcceptExec(rec, req); ReasonOf(err) != ReasonBadRequest {
		t.Fatalf("AcceptExec without upgrade headers = %v, want BadRequest", err)
	}
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the status decoder:
// neither may panic, and every frame read must respect the size bound.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 2, 'h', 'i'})
	f.Add([]byte{3, 0, 0, 0, 14, '{', '"', 'e', 'x', 'i', 't', 'C', 'o', 'd', 'e', '"', ':', '3', '}'})
	f.Add([]byte{4, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := NewStreamConn(&rwPair{Reader: bytes.NewReader(data), Writer: io.Discard})
		for {
			ch, p, err := sc.ReadFrame()
			if err != nil {
				break
			}
			if len(p) > MaxFramePayload {
				t.Fatalf("frame of %d bytes", len(p))
			}
			if ch == ChannelStatus {
				var st ExitStatus
				_ = st.UnmarshalJSON(p)
			}
		}
		// The client loop must end with an error or a code, never panic or hang.
		_, _ = RunExec(&rwPair{Reader: bytes.NewReader(data), Writer: io.Discard}, nil, io.Discard, io.Discard, nil)
	})
}
