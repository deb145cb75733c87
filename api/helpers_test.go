package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validateCase is one manifest and what Validate must say of it.
type validateCase struct {
	name string
	doc  string
	want []string // substrings of the message; empty means valid
}

// checkValidate runs each case as a subtest: the decoded object is validated as
// decoded and again after Default, and both times must match want (see wantInvalid).
func checkValidate(t *testing.T, tests []validateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := mustDecode(t, tt.doc)
			for _, defaulted := range []bool{false, true} {
				if defaulted {
					Default(obj)
				}
				t.Run(fmt.Sprintf("defaulted=%v", defaulted), func(t *testing.T) {
					wantInvalid(t, Validate(obj), tt.want)
				})
			}
		})
	}
}

// updateCase is an update of the object old returns, made by mutate, and what
// ValidateUpdate must say of it.
type updateCase struct {
	name   string
	old    func() Object
	mutate func(Object)
	want   []string // substrings of the message; empty means allowed
}

// checkValidateUpdate runs each case as a subtest: old is defaulted, a deep copy is
// mutated, and ValidateUpdate(old, copy) must match want (see wantInvalid).
func checkValidateUpdate(t *testing.T, tests []updateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := tt.old()
			Default(old)
			cur := DeepCopy(old)
			tt.mutate(cur)
			wantInvalid(t, ValidateUpdate(old, cur), tt.want)
		})
	}
}

// wantInvalid fails the test unless err fits want: nil when want is empty, else an
// Invalid error with code 422 whose message contains every string of want.
func wantInvalid(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Status.Reason != ReasonInvalid || e.Code() != 422 {
		t.Errorf("err = %v (reason %q), want Invalid/422", err, ReasonOf(err))
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n  %s\ndoes not contain\n  %s", err, w)
		}
	}
}

// mustDecodeValid decodes doc strictly and checks that the object validates before
// and after Default and has no warnings. It returns the defaulted object and its
// encoding before Default.
func mustDecodeValid(t *testing.T, doc string) (obj Object, before []byte) {
	t.Helper()
	obj = mustDecode(t, doc)
	if err := Validate(obj); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	before, err := Encode(obj)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	Default(obj)
	if err := Validate(obj); err != nil {
		t.Fatalf("Validate after Default: %v", err)
	}
	if w := Warnings(obj); len(w) != 0 {
		t.Errorf("warnings = %q", w)
	}
	return obj, before
}
