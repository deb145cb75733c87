package api

import "strings"

// AuthGroup is the API group of Berth's own authentication kinds.
const AuthGroup = "auth.berth.io"

// Token is a bearer token for the API (auth.berth.io/v1, cluster-scoped). The
// server makes the secret when the Token is created and answers it once, in
// status.token of the create's answer; the store keeps only its SHA-256
// (status.secretHash), so nothing read back from the cluster, a snapshot or the
// Raft log can be used to authenticate. Deleting the Token revokes it.
//
// The bearer string is "berth-<name>.<secret>": the name finds the Token, the secret
// is compared with the hash in constant time.
type Token struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       TokenSpec   `json:"spec"`
	Status     TokenStatus `json:"status,omitempty"`
}

// TokenSpec is who a token authenticates as.
type TokenSpec struct {
	// User is the user name requests with this token carry, as RBAC subjects name
	// it. "system:serviceaccount:NS:NAME" is the ServiceAccount NAME of namespace
	// NS (which must exist when the token is used).
	User string `json:"user"`
	// Groups are the groups the user is in, besides system:authenticated which every
	// authenticated request has ("system:masters" is the cluster administrators').
	Groups []string `json:"groups,omitempty"`
	// ExpirationTimestamp is when the token stops working; nil means never.
	ExpirationTimestamp *Time `json:"expirationTimestamp,omitempty"`
	// Description says what the token is for.
	Description string `json:"description,omitempty"`
	// Join, when set, makes this a join token for that role ("server" or "client"):
	// it gets a joiner its certificate (POST /v1/join) and is never a bearer token.
	// Its string is "BERTH-1-<sha256 of the CA certificate>-<name>.<secret>".
	Join string `json:"join,omitempty"`
}

// The roles a join token may be for.
const (
	JoinRoleServer = "server"
	JoinRoleClient = "client"
)

// TokenStatus is set by the server.
type TokenStatus struct {
	// Token is the bearer string, present only in the answer to the create that made
	// it: it is never stored, and there is no way to read it again.
	Token string `json:"token,omitempty"`
	// SecretHash is "sha256:" and the hex SHA-256 of the secret part of the token.
	SecretHash string `json:"secretHash,omitempty"`
}

// TokenPrefix starts every Berth bearer token.
const TokenPrefix = "berth-"

// ParseToken splits a bearer string "berth-<name>.<secret>" into the Token's name and
// the secret; ok is false for anything else.
func ParseToken(bearer string) (name, secret string, ok bool) {
	rest, found := strings.CutPrefix(bearer, TokenPrefix)
	if !found {
		return "", "", false
	}
	name, secret, found = strings.Cut(rest, ".")
	if !found || name == "" || secret == "" {
		return "", "", false
	}
	return name, secret, true
}

// The authorization.k8s.io/v1 group serves SelfSubjectAccessReview: "may I do this?"
// answered by the server's own authorizer, which is what `berth auth can-i` asks. It
// is not stored and not a Resource of the registry: POST is its only verb.
const AuthorizationGroup = "authorization.k8s.io"

// SelfSubjectAccessReviewPath is where a SelfSubjectAccessReview is POSTed.
const SelfSubjectAccessReviewPath = "/apis/" + AuthorizationGroup + "/v1/selfsubjectaccessreviews"

// SelfSubjectAccessReview asks whether the caller may do what its spec describes.
type SelfSubjectAccessReview struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       SelfSubjectAccessReviewSpec `json:"spec"`
	Status     SubjectAccessReviewStatus   `json:"status,omitempty"`
}

// SelfSubjectAccessReviewSpec holds exactly one of the two kinds of attributes.
type SelfSubjectAccessReviewSpec struct {
	ResourceAttributes    *ResourceAttributes    `json:"resourceAttributes,omitempty"`
	NonResourceAttributes *NonResourceAttributes `json:"nonResourceAttributes,omitempty"`
}

// ResourceAttributes describe a request on an object or a collection.
type ResourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

// NonResourceAttributes describe a request on a path outside the object API.
type NonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

// SubjectAccessReviewStatus is the authorizer's answer.
type SubjectAccessReviewStatus struct {
	Allowed bool `json:"allowed"`
	// Denied is true when a rule said no outright; RBAC never does, so Berth leaves
	// it false and a request that is not allowed is denied.
	Denied          bool   `json:"denied,omitempty"`
	Reason          string `json:"reason,omitempty"`
	EvaluationError string `json:"evaluationError,omitempty"`
}

func init() {
	register(&Resource{
		Kind: "Token", Plural: "tokens", Singular: "token",
		Group: AuthGroup, Version: "v1",
		New: func() Object { return &Token{TypeMeta: TypeMeta{APIVersion: AuthGroup + "/v1", Kind: "Token"}} },
	})
}
