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
	"strings"
	"syscall"
	"time"
)

// Retry pacing for refused connections (a server restarting): quick at first, then
// once a second, so a CLI call made during a restart finishes soon after it is back.
const (
	firstBackoff = 50 * time.Millisecond
	maxBackoff   = time.Second
)

// do sends one request and returns its 2xx response, retrying within the retry window
// only what is certainly not applied: refused connections and 503 answers.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	target := u.String()
	seeker, _ := body.(io.Seeker)
	rewindable := body == nil || seeker != nil
	deadline := time.Now().Add(c.retryMax)
	backoff := firstBackoff
	for attempt := 0; ; attempt++ {
		if attempt > 0 && seeker != nil {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return nil, fmt.Errorf("api: rewind request body: %w", err)
			}
		}
		resp, err := c.send(ctx, method, target, body, contentType)
		var wait time.Duration
		switch {
		case err != nil:
			if !errors.Is(err, syscall.ECONNREFUSED) {
				return nil, fmt.Errorf("api: %w", err)
			}
			err = fmt.Errorf("api: %w", err)
			wait = backoff
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			c.warnings(resp.Header)
			return resp, nil
		default:
			c.warnings(resp.Header)
			apiErr := errorFromResponse(resp)
			if resp.StatusCode != http.StatusServiceUnavailable {
				return nil, apiErr
			}
			err = apiErr
			// Retry-After is a floor, and "0" must not turn into a tight loop
			// against a server that is still electing a leader.
			wait = max(retryAfter(resp.Header, backoff), firstBackoff)
		}
		backoff = min(2*backoff, maxBackoff)
		if !rewindable || !waitForRetry(ctx, wait, deadline) {
			return nil, err
		}
	}
}

func (c *Client) send(ctx context.Context, method, target string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// The body may be rewound and resent; keep net/http from closing the caller's
	// reader (an *os.File would be closed after the first attempt otherwise).
	if body != nil {
		req.Body = io.NopCloser(body)
	}
	return c.hc.Do(req)
}

// waitForRetry sleeps before the next attempt, cut short by the retry deadline, and
// says whether another attempt should be made.
func waitForRetry(ctx context.Context, wait time.Duration, deadline time.Time) bool {
	left := time.Until(deadline)
	if left <= 0 {
		return false
	}
	t := time.NewTimer(min(wait, left))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryAfter reads Retry-After (seconds or an HTTP date), falling back to def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return def
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if when, err := http.ParseTime(v); err == nil {
		return max(time.Until(when), 0)
	}
	return def
}

// errorFromResponse turns a non-2xx answer into an *Error and closes its body. A body
// that is not a Status (a proxy's HTML page, say) still yields the code and some text.
func errorFromResponse(resp *http.Response) *Error {
	defer drainClose(resp.Body)
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	code := resp.StatusCode
	var st Status
	if json.Unmarshal(data, &st) == nil && (st.Kind == "Status" || st.Message != "" || st.Reason != "") {
		if st.Code == 0 {
			st.Code = code
		}
		if st.Reason == "" {
			st.Reason = reasonForCode(st.Code)
		}
		if st.Message == "" {
			st.Message = fmt.Sprintf("the server answered %d %s", st.Code, http.StatusText(st.Code))
		}
		return &Error{Status: st}
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	msg := fmt.Sprintf("the server answered %d %s", code, http.StatusText(code))
	if text != "" {
		msg += ": " + text
	}
	return &Error{Status: Status{
		TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   "Failure",
		Message:  msg,
		Reason:   reasonForCode(code),
		Code:     code,
	}}
}

// reasonForCode guesses the reason of an answer that did not say; 409 is taken as a
// conflict since that is the more general of its two reasons.
func reasonForCode(code int) StatusReason {
	switch code {
	case 400:
		return ReasonBadRequest
	case 401:
		return ReasonUnauthorized
	case 403:
		return ReasonForbidden
	case 404:
		return ReasonNotFound
	case 405:
		return ReasonMethodNotAllowed
	case 409:
		return ReasonConflict
	case 410:
		return ReasonGone
	case 413:
		return ReasonRequestEntityTooBig
	case 415:
		return ReasonUnsupportedMedia
	case 422:
		return ReasonInvalid
	case 429:
		return ReasonTooManyRequests
	case 503:
		return ReasonServiceUnavailable
	case 504:
		return ReasonTimeout
	}
	return ReasonInternalError
}

// warnings hands each Warning header's text to the handler.
func (c *Client) warnings(h http.Header) {
	if c.warn == nil {
		return
	}
	for _, v := range h.Values("Warning") {
		for _, text := range parseWarnings(v) {
			c.warn(text)
		}
	}
}

// parseWarnings splits one Warning header value (`299 - "text"`, possibly several
// separated by commas) into texts. A value in another shape is passed on whole rather
// than dropped, since a warning nobody sees is worse than an oddly formatted one.
func parseWarnings(v string) []string {
	var out []string
	rest := strings.TrimSpace(v)
	for rest != "" {
		text, tail, ok := parseOneWarning(rest)
		if !ok {
			return append(out, strings.TrimSpace(rest))
		}
		out = append(out, text)
		rest = strings.TrimLeft(tail, " ,")
	}
	return out
}

// parseOneWarning reads `code agent "text" ["date"]` and returns the text and the rest.
func parseOneWarning(s string) (text, rest string, ok bool) {
	fields := strings.SplitN(s, " ", 3)
	if len(fields) != 3 || len(fields[0]) != 3 {
		return "", "", false
	}
	if _, err := strconv.Atoi(fields[0]); err != nil {
		return "", "", false
	}
	text, rest, ok = unquote(strings.TrimLeft(fields[2], " "))
	if !ok {
		return "", "", false
	}
	// An optional quoted date follows the text; skip it.
	if r := strings.TrimLeft(rest, " "); strings.HasPrefix(r, `"`) {
		if _, after, ok := unquote(r); ok {
			rest = after
		}
	}
	return text, rest, true
}

// unquote reads one HTTP quoted-string from the start of s.
func unquote(s string) (text, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}
