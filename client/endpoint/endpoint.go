package endpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// Errors a Backend returns to make the endpoint answer 404; wrap them with %w and a
// message naming the pod or container, which the user sees.
var (
	// ErrPodNotFound means no pod of that namespace and name runs on this node.
	ErrPodNotFound = errors.New("endpoint: pod not found")
	// ErrContainerNotFound means the pod has no such container, or it has none
	// running or created yet.
	ErrContainerNotFound = errors.New("endpoint: container not found")
)

// Backend does the work behind the endpoint; the agent implements it over its
// runtime. Calls come concurrently, one goroutine per request. container may be empty
// when the caller left the choice to the pod (allowed only with one container).
type Backend interface {
	// Logs writes the container's output (stdout and stderr together) to w until it
	// is all written or, with opts.Follow, until ctx ends. Returning before any write
	// lets the endpoint answer the error with its code.
	Logs(ctx context.Context, namespace, pod, container string, opts api.LogOptions, w io.Writer) error
	// Exec runs cmd in the container and returns its exit code. stdin is nil unless
	// the client asked for it; resize carries terminal sizes (tty only) and is
	// closed when the session ends.
	Exec(ctx context.Context, namespace, pod, container string, cmd []string, tty bool,
		stdin io.Reader, stdout, stderr io.Writer, resize <-chan api.TerminalSize) (int, error)
}

// headerDelay is how long a log answer waits for the backend's first byte or error
// before it commits to 200: long enough that a missing pod still gets its 404, short
// enough that a quiet followed log shows up as connected at once.
const headerDelay = 200 * time.Millisecond

// New returns the endpoint's handler.
func New(backend Backend) http.Handler {
	h := &handler{b: backend}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /v1/pods/{namespace}/{name}/log", h.logs)
	mux.HandleFunc("/v1/pods/{namespace}/{name}/exec", h.exec)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, api.NewError(api.ReasonNotFound, "no endpoint %s %s on this node agent", r.Method, r.URL.Path))
	})
	return mux
}

type handler struct {
	b Backend
}

func (h *handler) logs(w http.ResponseWriter, r *http.Request) {
	opts, err := parseLogOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	lw := &lazyWriter{w: w, rc: http.NewResponseController(w)}
	commit := time.AfterFunc(headerDelay, func() { lw.commit(true) })
	err = h.b.Logs(r.Context(), r.PathValue("namespace"), r.PathValue("name"), opts.Container, opts, lw)
	commit.Stop()
	lw.finish(err)
}

// parseLogOptions reads the query of a log request; tailLines absent means all.
func parseLogOptions(r *http.Request) (api.LogOptions, error) {
	q := r.URL.Query()
	opts := api.LogOptions{Container: q.Get("container"), TailLines: -1}
	var err error
	if opts.Follow, err = boolParam(q.Get("follow"), "follow"); err != nil {
		return opts, err
	}
	if opts.Timestamps, err = boolParam(q.Get("timestamps"), "timestamps"); err != nil {
		return opts, err
	}
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return opts, api.NewError(api.ReasonBadRequest, "tailLines must be a non-negative number, not %q", v)
		}
		opts.TailLines = n
	}
	return opts, nil
}

func boolParam(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, api.NewError(api.ReasonBadRequest, "%s must be true or false, not %q", name, v)
	}
	return b, nil
}

// lazyWriter holds back the 200 until the backend writes or headerDelay passes, so an
// error found first can still be answered with its own code. Every write is flushed:
// a followed log must reach the user line by line.
type lazyWriter struct {
	mu        sync.Mutex
	w         http.ResponseWriter
	rc        *http.ResponseController
	committed bool
	done      bool // the handler returned: the ResponseWriter is off limits
}

// commit sends the 200 header if nothing was sent yet.
func (lw *lazyWriter) commit(flush bool) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.committed || lw.done {
		return
	}
	lw.commitLocked()
	if flush {
		_ = lw.rc.Flush()
	}
}

func (lw *lazyWriter) commitLocked() {
	lw.committed = true
	lw.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	lw.w.Header().Set("X-Content-Type-Options", "nosniff")
	lw.w.WriteHeader(http.StatusOK)
}

func (lw *lazyWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.done {
		return 0, io.ErrClosedPipe
	}
	if !lw.committed {
		lw.commitLocked()
	}
	n, err := lw.w.Write(p)
	if err == nil {
		err = lw.rc.Flush()
	}
	return n, err
}

// finish answers err if nothing was sent yet; after the 200 an error can only end
// the stream early.
func (lw *lazyWriter) finish(err error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.done = true
	if lw.committed {
		return
	}
	if err != nil {
		writeError(lw.w, err)
		return
	}
	lw.commitLocked()
}

func (h *handler) exec(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		writeError(w, api.NewError(api.ReasonMethodNotAllowed, "exec takes POST or GET, not %s", r.Method))
		return
	}
	q := r.URL.Query()
	cmd := q["command"]
	if len(cmd) == 0 {
		writeError(w, api.NewError(api.ReasonBadRequest, "exec needs a command: add command=... to the query"))
		return
	}
	tty, err := boolParam(q.Get("tty"), "tty")
	if err == nil {
		_, err = boolParam(q.Get("stdin"), "stdin")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	wantStdin := q.Get("stdin") == "true" || q.Get("stdin") == "1"
	conn, err := api.AcceptExec(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	defer conn.Close()
	ns, pod, container := r.PathValue("namespace"), r.PathValue("name"), q.Get("container")
	// A hijacked request's context no longer ends when the client leaves; the frame
	// reader closing resize does, so that is what cancels the backend.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	_ = api.ServeExec(conn, func(stdin io.Reader, stdout, stderr io.Writer, resize <-chan api.TerminalSize) (int, error) {
		if !wantStdin {
			stdin = nil
		}
		sizes := make(chan api.TerminalSize, 4)
		go forwardSizes(resize, sizes, cancel)
		code, err := h.b.Exec(ctx, ns, pod, container, cmd, tty, stdin, stdout, stderr, sizes)
		if err != nil {
			return code, toAPIError(err)
		}
		return code, nil
	})
}

// forwardSizes passes sizes on until the connection ends, then cancels the session.
func forwardSizes(in <-chan api.TerminalSize, out chan<- api.TerminalSize, cancel context.CancelFunc) {
	defer close(out)
	defer cancel()
	for sz := range in {
		select {
		case out <- sz:
		default: // the backend is not reading sizes: drop this one, each size is complete
		}
	}
}

// toAPIError maps the backend's errors to API errors at the boundary.
func toAPIError(err error) *api.Error {
	var e *api.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, ErrPodNotFound), errors.Is(err, ErrContainerNotFound):
		return api.NewError(api.ReasonNotFound, "%s", strings.TrimPrefix(err.Error(), "endpoint: "))
	case errors.Is(err, context.Canceled):
		return api.NewError(api.ReasonTimeout, "%v", err)
	default:
		return api.NewError(api.ReasonInternalError, "%v", err)
	}
}

func writeError(w http.ResponseWriter, err error) {
	e := toAPIError(err)
	b, jerr := json.Marshal(e.Status)
	if jerr != nil {
		b = []byte(fmt.Sprintf(`{"kind":"Status","status":"Failure","code":%d}`, e.Status.Code))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status.Code)
	w.Write(b)
}
