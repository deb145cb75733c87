package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// LogOptions select what Logs streams.
type LogOptions struct {
	// Container names the container; empty is allowed when the pod has only one.
	Container string
	// Follow keeps the stream open and sends new output as it is written.
	Follow bool
	// TailLines is how many lines from the end to start with; negative means all.
	// Zero sends none (useful only with Follow).
	TailLines int
	// Timestamps prefixes each line with its RFC 3339 time.
	Timestamps bool
}

// Query is the URL query of these options, as the server and the agent read it.
func (o LogOptions) Query() url.Values {
	q := url.Values{}
	setIf(q, "container", o.Container)
	if o.Follow {
		q.Set("follow", "true")
	}
	if o.TailLines >= 0 {
		q.Set("tailLines", strconv.Itoa(o.TailLines))
	}
	if o.Timestamps {
		q.Set("timestamps", "true")
	}
	return q
}

// ExecOptions wire an exec session.
type ExecOptions struct {
	// Container names the container; empty is allowed when the pod has only one.
	Container string
	// Command is the command and its arguments; required.
	Command []string
	// Stdin, when not nil, is sent to the command (the caller's reader is never closed).
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; nil discards.
	Stdout, Stderr io.Writer
	// TTY gives the command a terminal: then stdout carries both streams.
	TTY bool
	// Resize carries the local terminal's sizes (TTY only); nil sends none.
	Resize <-chan TerminalSize
}

// Query is the URL query of these options (the streams stay local).
func (o ExecOptions) Query() url.Values {
	q := url.Values{}
	setIf(q, "container", o.Container)
	for _, arg := range o.Command {
		q.Add("command", arg)
	}
	if o.Stdin != nil {
		q.Set("stdin", "true")
	}
	if o.TTY {
		q.Set("tty", "true")
	}
	return q
}

// Logs streams a container's output; the caller reads and closes it. Only ctx bounds
// the stream, since a followed log may rightly run for hours.
func (c *Client) Logs(ctx context.Context, namespace, pod string, opts LogOptions) (io.ReadCloser, error) {
	if pod == "" {
		return nil, ErrClientNoName
	}
	path := podsResource().ObjectPath(namespace, pod) + "/log"
	resp, err := c.do(ctx, http.MethodGet, path, opts.Query(), nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Exec runs a command in a pod's container and returns its exit code once it ends.
// Cancelling ctx closes the session.
func (c *Client) Exec(ctx context.Context, namespace, pod string, opts ExecOptions) (int, error) {
	if pod == "" {
		return -1, ErrClientNoName
	}
	if len(opts.Command) == 0 {
		return -1, ErrExecNoCommand
	}
	u := *c.base
	u.Path = c.base.Path + podsResource().ObjectPath(namespace, pod) + "/exec"
	u.RawQuery = opts.Query().Encode()
	conn, err := DialExec(ctx, c.hc, u.String())
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	code, err := RunExec(conn, opts.Stdin, opts.Stdout, opts.Stderr, opts.Resize)
	if err != nil && ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return code, err
}

// podsResource is the Pod resource; it is registered at init, so it is always there.
func podsResource() *Resource {
	res, _ := ResourceForKind("Pod")
	return res
}

// DialExec sends an upgrade request for the framed exec protocol to target (a full
// URL with its query) and returns the upgraded connection. An answer other than 101
// becomes *Error, read from its Status body. A nil hc uses http.DefaultClient. The
// connection is not tied to ctx after the upgrade: the caller closes it.
func DialExec(ctx context.Context, hc *http.Client, target string) (io.ReadWriteCloser, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return nil, fmt.Errorf("api: exec request: %w", err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", StreamProtocol)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, errorFromResponse(resp)
	}
	// Since Go 1.12 the transport hands a 101 answer's connection over as the body.
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !strings.EqualFold(resp.Header.Get("Upgrade"), StreamProtocol) {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: the server switched to %q", ErrNotUpgrade, resp.Header.Get("Upgrade"))
	}
	return conn, nil
}

// IsExecUpgrade says whether r asks for the framed exec protocol.
func IsExecUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") &&
		strings.EqualFold(strings.TrimSpace(r.Header.Get("Upgrade")), StreamProtocol)
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// AcceptExec answers an exec upgrade request with 101 and takes over its connection.
// A request without the upgrade headers gets a 400 *Error and nothing is written. The
// returned conn first yields any bytes the HTTP server had already buffered, so
// frames the client sent right behind its request are not lost.
func AcceptExec(w http.ResponseWriter, r *http.Request) (net.Conn, error) {
	if !IsExecUpgrade(r) {
		return nil, NewError(ReasonBadRequest, "%s", ErrNotUpgrade.Error())
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("api: exec upgrade: %w", err)
	}
	_, err = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " +
		StreamProtocol + "\r\n\r\n")
	if err == nil {
		err = brw.Flush()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("api: exec upgrade: %w", err)
	}
	return &bufferedConn{Conn: conn, r: brw.Reader}, nil
}

// bufferedConn reads through the hijacked bufio.Reader, which may already hold bytes.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
