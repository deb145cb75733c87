package api

import (
	"errors"
	"fmt"
)

// Status is the body of every API error, as in Kubernetes.
type Status struct {
	TypeMeta `json:",inline"`
	Status   string         `json:"status"` // "Failure" (or "Success" for a delete)
	Message  string         `json:"message,omitempty"`
	Reason   StatusReason   `json:"reason,omitempty"`
	Details  *StatusDetails `json:"details,omitempty"`
	Code     int            `json:"code"`
}

// StatusDetails names the object an error is about.
type StatusDetails struct {
	Name              string `json:"name,omitempty"`
	Kind              string `json:"kind,omitempty"`
	RetryAfterSeconds int    `json:"retryAfterSeconds,omitempty"`
}

// StatusReason is the machine-readable cause of an error, with Kubernetes' values.
type StatusReason string

// The reasons Berth answers with, each beside its HTTP code.
const (
	ReasonBadRequest          StatusReason = "BadRequest"            // 400
	ReasonUnauthorized        StatusReason = "Unauthorized"          // 401
	ReasonForbidden           StatusReason = "Forbidden"             // 403
	ReasonNotFound            StatusReason = "NotFound"              // 404
	ReasonMethodNotAllowed    StatusReason = "MethodNotAllowed"      // 405
	ReasonAlreadyExists       StatusReason = "AlreadyExists"         // 409
	ReasonConflict            StatusReason = "Conflict"              // 409
	ReasonGone                StatusReason = "Expired"               // 410
	ReasonRequestEntityTooBig StatusReason = "RequestEntityTooLarge" // 413
	ReasonUnsupportedMedia    StatusReason = "UnsupportedMediaType"  // 415
	ReasonInvalid             StatusReason = "Invalid"               // 422
	ReasonTooManyRequests     StatusReason = "TooManyRequests"       // 429
	ReasonInternalError       StatusReason = "InternalError"         // 500
	ReasonServiceUnavailable  StatusReason = "ServiceUnavailable"    // 503
	ReasonTimeout             StatusReason = "Timeout"               // 504
)

// codeOf maps each reason to its HTTP status code.
var codeOf = map[StatusReason]int{
	ReasonBadRequest: 400, ReasonUnauthorized: 401, ReasonForbidden: 403, ReasonNotFound: 404,
	ReasonMethodNotAllowed: 405, ReasonAlreadyExists: 409, ReasonConflict: 409, ReasonGone: 410,
	ReasonRequestEntityTooBig: 413, ReasonUnsupportedMedia: 415, ReasonInvalid: 422,
	ReasonTooManyRequests: 429, ReasonInternalError: 500, ReasonServiceUnavailable: 503,
	ReasonTimeout: 504,
}

// Error is an API error: a Status that satisfies the error interface. Both the server
// (to answer) and the Go client (what it returns for a non-2xx answer) use it.
type Error struct {
	Status Status
}

// Error returns the Status message, the one line a user sees.
func (e *Error) Error() string { return e.Status.Message }

// Code is the HTTP status code of the error.
func (e *Error) Code() int { return e.Status.Code }

// NewError builds an API error with the reason's HTTP code.
func NewError(reason StatusReason, format string, args ...any) *Error {
	code, ok := codeOf[reason]
	if !ok {
		code = 500
	}
	return &Error{Status: Status{
		TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   "Failure",
		Message:  fmt.Sprintf(format, args...),
		Reason:   reason,
		Code:     code,
	}}
}

// ReasonOf returns the reason of an API error, or "" for any other error.
func ReasonOf(err error) StatusReason {
	var e *Error
	if errors.As(err, &e) {
		return e.Status.Reason
	}
	return ""
}
