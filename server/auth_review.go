package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/api"
)

// handleSelfSubjectAccessReview answers "may I?" with the same authorizer and the
// same attribute rules that judge real requests, so `berth auth can-i` agrees with
// the server. Every authenticated user may ask (ClusterRole system:basic-user).
func (s *Server) handleSelfSubjectAccessReview(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var review api.SelfSubjectAccessReview
	if err := api.DecodeInto(body, &review); err != nil {
		writeError(w, err)
		return
	}
	tm := &review.TypeMeta
	if (tm.Kind != "" && tm.Kind != "SelfSubjectAccessReview") || (tm.APIVersion != "" && tm.APIVersion != api.AuthorizationGroup+"/v1") {
		writeError(w, api.NewError(api.ReasonBadRequest, "expected a SelfSubjectAccessReview of %s/v1, got kind %q of %q",
			api.AuthorizationGroup, tm.Kind, tm.APIVersion))
		return
	}
	attrs, err := reviewAttributes(userFrom(r.Context()), review.Spec)
	if err != nil {
		writeError(w, err)
		return
	}
	d := decision{allowed: true, reason: "authentication and authorization are off (--auth)"}
	if s.cfg.Auth {
		d = authorize(storeRBAC{s.fsm}, attrs)
	}
	if !d.allowed {
		// A real request this follower would refuse goes to the leader (withAuth):
		// so does the question, or can-i could say no where the request succeeds.
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		if s.passDenied(w, r) {
			return
		}
	}
	tm.Kind, tm.APIVersion = "SelfSubjectAccessReview", api.AuthorizationGroup+"/v1"
	review.Status = api.SubjectAccessReviewStatus{Allowed: d.allowed, Reason: d.reason}
	writeJSON(w, http.StatusCreated, &review)
}

// reviewAttributes turns a review's spec into the attributes a real request would
// have, scope normalized the same way.
func reviewAttributes(u *userInfo, spec api.SelfSubjectAccessReviewSpec) (attributes, error) {
	ra, na := spec.ResourceAttributes, spec.NonResourceAttributes
	switch {
	case (ra == nil) == (na == nil):
		return attributes{}, api.NewError(api.ReasonInvalid,
			"SelfSubjectAccessReview is invalid: spec: exactly one of resourceAttributes or nonResourceAttributes must be set")
	case na != nil:
		if na.Verb == "" || na.Path == "" {
			return attributes{}, api.NewError(api.ReasonInvalid,
				"SelfSubjectAccessReview is invalid: spec.nonResourceAttributes: verb and path are required")
		}
		return attributes{user: u, verb: strings.ToLower(na.Verb), path: na.Path}, nil
	}
	if ra.Verb == "" || ra.Resource == "" {
		return attributes{}, api.NewError(api.ReasonInvalid,
			"SelfSubjectAccessReview is invalid: spec.resourceAttributes: verb and resource are required")
	}
	return resourceAttributes(u, ra.Verb, ra.Group, ra.Resource, ra.Subresource, ra.Namespace, ra.Name), nil
}
