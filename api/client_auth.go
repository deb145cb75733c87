package api

import (
	"context"
	"net/http"
)

// WithToken makes every request of the client, streams and exec included, carry
// "Authorization: Bearer token". An empty token sends none. It applies to whatever
// HTTP client WithHTTPClient gives, in either order.
func WithToken(token string) ClientOption {
	return func(c *Client) { c.token = token }
}

// bearerTransport adds the Authorization header to each request it sends.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (t *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context()) // a RoundTripper must not change the caller's request
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(r)
}

// withBearer returns a copy of hc whose transport adds the token; hc is not changed,
// since a caller may share it among clients with other tokens.
func withBearer(hc *http.Client, token string) *http.Client {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp := *hc
	cp.Transport = &bearerTransport{token: token, next: next}
	return &cp
}

// SelfSubjectAccessReview asks the server whether the caller may do what review's
// spec describes; the answer is in the returned review's status. It is how
// `berth auth can-i` agrees with the server: the server's own authorizer answers.
func (c *Client) SelfSubjectAccessReview(ctx context.Context, spec SelfSubjectAccessReviewSpec) (*SelfSubjectAccessReview, error) {
	in := &SelfSubjectAccessReview{
		TypeMeta: TypeMeta{APIVersion: AuthorizationGroup + "/v1", Kind: "SelfSubjectAccessReview"},
		Spec:     spec,
	}
	out := &SelfSubjectAccessReview{}
	if err := c.unary(ctx, http.MethodPost, SelfSubjectAccessReviewPath, nil, in, out); err != nil {
		return nil, err
	}
	return out, nil
}
