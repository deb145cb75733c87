package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// userAgent is sent unless the probe sets its own User-Agent header.
const userAgent = "berth-probe/1.0"

// maxBody bounds what a probe reads of a response: only the status matters,
// and a container must not make the agent buffer megabytes.
const maxBody = 10 << 10

// maxRedirects bounds same-host redirects, as net/http's default policy does.
const maxRedirects = 10

// httpClient is shared by every HTTP probe of the process. Keep-alives are off
// so that each probe opens a fresh connection (a probe checks that the
// container accepts connections, and idle pooled connections to thousands of
// pods would pile up); certificates are not verified, as the kubelet does,
// since pods serve self-signed ones. Per-probe timeouts come from contexts.
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:               nil, // probes go straight to the pod, never via a proxy
		DialContext:         (&net.Dialer{}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as the kubelet
		DisableKeepAlives:   true,
		DisableCompression:  true,
		MaxIdleConnsPerHost: -1,
	},
	CheckRedirect: checkRedirect,
}

// checkRedirect follows redirects to the same host only. A redirect elsewhere
// is not followed and its 3xx response counts as success, as the kubelet does:
// the container answered, and the probe must not wander off to other hosts.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse
	}
	return nil
}

// probeHTTP runs one HTTP GET probe.
func probeHTTP(ctx context.Context, g *api.HTTPGetAction, target Target, timeout time.Duration) (Result, string) {
	req, err := newHTTPRequest(ctx, g, target)
	if errors.Is(err, ErrNoHost) {
		return Unknown, err.Error()
	}
	if err != nil {
		return Failure, err.Error()
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := httpClient.Do(req.WithContext(tctx))
	if err != nil {
		if ctx.Err() != nil {
			// The caller stopped, not the container: the attempt says nothing.
			return Unknown, err.Error()
		}
		return Failure, err.Error()
	}
	// Drain a bounded prefix before closing; keep-alives are off, so Close
	// ends the connection either way.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
	_ = res.Body.Close()
	code := res.StatusCode
	switch {
	case code >= 300 && code < 400 && redirectsElsewhere(res):
		return Success, "HTTP probe redirected to another host, not followed: statuscode " + strconv.Itoa(code)
	case code >= 200 && code < 400:
		return Success, ""
	}
	return Failure, "HTTP probe failed with statuscode: " + strconv.Itoa(code)
}

// redirectsElsewhere reports a redirect to another host, which checkRedirect
// refused to follow.
func redirectsElsewhere(res *http.Response) bool {
	loc, err := res.Location()
	return err == nil && loc.Hostname() != res.Request.URL.Hostname()
}

// newHTTPRequest builds the probe's request: scheme, host (the probe's, else
// the pod IP), resolved port, path with its query, headers.
func newHTTPRequest(ctx context.Context, g *api.HTTPGetAction, target Target) (*http.Request, error) {
	host, err := hostOf(g.Host, target)
	if err != nil {
		return nil, err
	}
	port, err := resolvePort(g.Port, target.Ports)
	if err != nil {
		return nil, err
	}
	scheme := strings.ToLower(g.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("probe: unsupported scheme %q", g.Scheme)
	}
	path := g.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("probe: bad path %q: %w", g.Path, err)
	}
	u.Scheme, u.Host = scheme, net.JoinHostPort(host, strconv.Itoa(port))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	custom := map[string]bool{}
	for _, h := range g.HTTPHeaders {
		name := http.CanonicalHeaderKey(h.Name)
		if name == "Host" {
			req.Host = h.Value
			continue
		}
		// The probe's headers replace the defaults; repeated names add up.
		if !custom[name] {
			req.Header.Del(name)
			custom[name] = true
		}
		req.Header.Add(name, h.Value)
	}
	return req, nil
}
