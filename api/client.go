package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Errors of the Go client. API errors (any non-2xx answer) are *Error, not these.
var (
	// ErrClientBaseURL means NewClient got an address it cannot use.
	ErrClientBaseURL = errors.New("api: bad server address")
	// ErrClientUnknownKind means an object's kind is empty or not one Berth serves.
	ErrClientUnknownKind = errors.New("api: unknown kind")
	// ErrClientNoName means an object without a name was given to a call that needs one.
	ErrClientNoName = errors.New("api: object has no name")
	// ErrClientDecode means the server answered 2xx with a body the client cannot read.
	ErrClientDecode = errors.New("api: cannot decode server answer")
)

// Client speaks Berth's HTTP API. It is safe for concurrent use by many goroutines.
type Client struct {
	base     *url.URL
	hc       *http.Client
	retryMax time.Duration // 0: one attempt only
	timeout  time.Duration // 0: only the caller's context bounds a unary call
	warn     func(string)  // nil: warnings are dropped
	token    string        // "": no Authorization header (WithToken)
}

// ClientOption changes how NewClient builds a Client.
type ClientOption func(*Client)

// DefaultRetry is how long a call keeps retrying answers that are safe to retry.
// Ten seconds covers a leader election with default Raft timeouts plus slack.
const DefaultRetry = 10 * time.Second

// WithHTTPClient makes the client send through hc (for TLS or a test transport).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTLSConfig makes the client speak TLS with cfg (the cluster CA to trust and,
// for agents, a client certificate); the base URL should be https://. Nil changes
// nothing.
func WithTLSConfig(cfg *tls.Config) ClientOption {
	return func(c *Client) {
		if cfg == nil {
			return
		}
		t := newTransport()
		t.TLSClientConfig = cfg
		c.hc = &http.Client{Transport: t}
	}
}

// BaseURL is the server address the client was made for.
func (c *Client) BaseURL() string { return c.base.String() }

// WithRetry sets how long a call retries "503 no leader" answers (honoring Retry-After)
// and refused connections, both of which guarantee the request was not applied. Zero
// disables retries. A 504 (outcome unknown) or any other error is never retried.
func WithRetry(max time.Duration) ClientOption {
	return func(c *Client) {
		if max < 0 {
			max = 0
		}
		c.retryMax = max
	}
}

// WithTimeout bounds every unary call (retries included). Streams — watches, snapshots
// and Raw — are bounded only by the caller's context, since they may rightly run long.
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) { c.timeout = d }
}

// WithWarningHandler receives the text of each `Warning` header the server answers
// with (fields Berth keeps but does not act on). It may be called concurrently when
// the client is shared.
func WithWarningHandler(fn func(string)) ClientOption {
	return func(c *Client) { c.warn = fn }
}

// NewClient returns a client for the server at baseURL (http://127.0.0.1:6440).
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrClientBaseURL, baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q: want http(s)://host:port", ErrClientBaseURL, baseURL)
	}
	c := &Client{
		base:     u,
		hc:       &http.Client{Transport: newTransport()},
		retryMax: DefaultRetry,
	}
	for _, o := range opts {
		o(c)
	}
	if c.token != "" {
		c.hc = withBearer(c.hc, c.token)
	}
	return c, nil
}

// newTransport keeps many idle connections to the one host it talks to, because
// controllers, agents and benchmarks share a client across hundreds of goroutines and
// the default (2 per host) would redial for nearly every call.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// GetOptions tune a single-object read.
type GetOptions struct {
	// Consistent reads through the leader, so the answer reflects every write
	// acknowledged before the call. False reads the answering server's local copy.
	Consistent bool
}

// ListOptions tune a list.
type ListOptions struct {
	LabelSelector string
	FieldSelector string
	Consistent    bool
}

// List is a collection as the server sends it. Items stay raw until Objects is called,
// so a caller that only needs the resourceVersion pays nothing for decoding.
type List struct {
	TypeMeta
	ListMeta `json:"metadata"`
	Items    []json.RawMessage `json:"items"`

	res *Resource // the listed resource, to decode items that omit their kind
}

// Objects decodes the items.
func (l *List) Objects() ([]Object, error) {
	out := make([]Object, 0, len(l.Items))
	for i, raw := range l.Items {
		obj, err := decodeItem(l.res, raw)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, obj)
	}
	return out, nil
}

// DeletionPropagation says what happens to the dependents of a deleted object.
type DeletionPropagation string

// The propagation policies, with Kubernetes' values.
const (
	DeleteOrphan     DeletionPropagation = "Orphan"
	DeleteBackground DeletionPropagation = "Background"
	DeleteForeground DeletionPropagation = "Foreground"
)

// Preconditions make a delete fail with a conflict unless the object still matches.
type Preconditions struct {
	UID             string `json:"uid,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// DeleteOptions is the optional body of a DELETE.
type DeleteOptions struct {
	TypeMeta          `json:",inline"`
	Preconditions     *Preconditions      `json:"preconditions,omitempty"`
	PropagationPolicy DeletionPropagation `json:"propagationPolicy,omitempty"`
	// GracePeriodSeconds overrides a pod's terminationGracePeriodSeconds (0: at once);
	// nil keeps the pod's own.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
}

// Create stores a new object in its metadata's namespace and returns it as stored.
func (c *Client) Create(ctx context.Context, obj Object) (Object, error) {
	res, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	ns := obj.GetObjectMeta().Namespace
	return c.objectCall(ctx, res, http.MethodPost, res.CollectionPath(ns), nil, obj)
}

// Get reads one object; ns is ignored for cluster-scoped kinds.
func (c *Client) Get(ctx context.Context, res *Resource, ns, name string, opts GetOptions) (Object, error) {
	if name == "" {
		return nil, ErrClientNoName
	}
	return c.objectCall(ctx, res, http.MethodGet, res.ObjectPath(ns, name), consistentQuery(opts.Consistent), nil)
}

// List reads a collection; ns "" lists across all namespaces.
func (c *Client) List(ctx context.Context, res *Resource, ns string, opts ListOptions) (*List, error) {
	q := consistentQuery(opts.Consistent)
	setIf(q, "labelSelector", opts.LabelSelector)
	setIf(q, "fieldSelector", opts.FieldSelector)
	var l List
	if err := c.unary(ctx, http.MethodGet, res.CollectionPath(ns), q, nil, &l); err != nil {
		return nil, err
	}
	l.res = res
	return &l, nil
}

// Update replaces an object. A set resourceVersion is a precondition (409 if stale);
// an empty one overwrites whatever is current.
func (c *Client) Update(ctx context.Context, obj Object) (Object, error) {
	return c.put(ctx, obj, "")
}

// UpdateStatus replaces only the status of an object (kinds with HasStatus).
func (c *Client) UpdateStatus(ctx context.Context, obj Object) (Object, error) {
	return c.put(ctx, obj, "/status")
}

func (c *Client) put(ctx context.Context, obj Object, sub string) (Object, error) {
	res, err := resourceOf(obj)
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if m.Name == "" {
		return nil, ErrClientNoName
	}
	return c.objectCall(ctx, res, http.MethodPut, res.ObjectPath(m.Namespace, m.Name)+sub, nil, obj)
}

// Delete removes an object and returns it as it was deleted.
func (c *Client) Delete(ctx context.Context, res *Resource, ns, name string, opts DeleteOptions) (Object, error) {
	if name == "" {
		return nil, ErrClientNoName
	}
	var body any
	if opts.Preconditions != nil || opts.PropagationPolicy != "" || opts.GracePeriodSeconds != nil {
		opts.TypeMeta = TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}
		body = opts
	}
	return c.objectCall(ctx, res, http.MethodDelete, res.ObjectPath(ns, name), nil, body)
}

// objectCall sends body (if any) as JSON and decodes the answer as an object of res.
func (c *Client) objectCall(ctx context.Context, res *Resource, method, path string, q url.Values, body any) (Object, error) {
	var raw json.RawMessage
	if err := c.unary(ctx, method, path, q, body, &raw); err != nil {
		return nil, err
	}
	return decodeItem(res, raw)
}

// unary runs one bounded request and decodes a 2xx JSON answer into out.
func (c *Client) unary(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("api: encode request: %w", err)
		}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, err := c.do(ctx, method, path, q, replayable(payload), jsonType(payload))
	if err != nil {
		return err
	}
	defer drainClose(resp.Body)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrClientDecode, method, path, err)
	}
	return nil
}

// Raw sends any request (for the non-object endpoints) and returns a 2xx answer for
// the caller to read and close; anything else comes back as *Error. A body is retried
// only if it is nil or an io.Seeker, since a half-read stream cannot be sent again.
func (c *Client) Raw(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	return c.do(ctx, method, path, nil, body, "")
}

// resourceOf finds the resource of an object from its kind.
func resourceOf(obj Object) (*Resource, error) {
	if obj == nil {
		return nil, fmt.Errorf("%w: nil object", ErrClientUnknownKind)
	}
	kind := obj.GetTypeMeta().Kind
	if kind == "" {
		// A typed object made with a literal may leave TypeMeta empty; its Go type says.
		if res, ok := ResourceForObject(obj); ok {
			return res, nil
		}
	}
	res, ok := ResourceForKind(kind)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrClientUnknownKind, kind)
	}
	return res, nil
}

// decodeItem decodes an object the server sent. It is lenient about unknown fields,
// unlike manifest decoding: a newer server may send fields this client does not know.
func decodeItem(res *Resource, raw []byte) (Object, error) {
	if res == nil {
		obj, _, err := DecodeObject(raw)
		return obj, err
	}
	obj := res.New()
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrClientDecode, res.Kind, err)
	}
	if tm := obj.GetTypeMeta(); tm.Kind == "" {
		tm.Kind, tm.APIVersion = res.Kind, res.APIVersion()
	}
	return obj, nil
}

func consistentQuery(consistent bool) url.Values {
	q := url.Values{}
	if consistent {
		q.Set("consistent", "true")
	}
	return q
}

func setIf(q url.Values, key, val string) {
	if val != "" {
		q.Set(key, val)
	}
}

// replayable returns a body that do may rewind for a retry (nil for no body).
func replayable(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// jsonType is the Content-Type of a JSON payload, none without one.
func jsonType(payload []byte) string {
	if payload == nil {
		return ""
	}
	return "application/json"
}

// drainClose reads what is left so the connection can be reused, then closes it.
func drainClose(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	_ = rc.Close()
}
