package api

import "errors"

// Errors of parsing outside an API request. Functions that answer an API request
// (DecodeObject, Validate, ValidateFieldSelector, ...) return *Error instead, whose
// reason and code the server sends as they are.
var (
	// ErrInvalidQuantity means a string is not a Kubernetes quantity ("100m", "1Gi").
	ErrInvalidQuantity = errors.New("api: invalid quantity")
	// ErrInvalidIntOrString means an int-or-string holds neither an int32 nor a string,
	// or a percentage was expected and something else was found.
	ErrInvalidIntOrString = errors.New("api: invalid int or string")
	// ErrInvalidSelector means a label or field selector does not parse.
	ErrInvalidSelector = errors.New("api: invalid selector")
)
