// Package usererr is the error type strata shows to people: it names the
// Bazel target, the offending path and the fix, so a failed action reads like
// advice instead of a Go stack trace.
package usererr

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a problem with the user's input (BUILD attributes or files), as
// opposed to a bug or an I/O failure of the machine.
type Error struct {
	Target  string // Bazel label of the rule whose input is wrong, e.g. //app:layer.
	Path    string // The path inside the image or the source file involved, if any.
	Problem string // What is wrong, in one sentence.
	Fix     string // What the user should change.
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Target != "" {
		b.WriteString(e.Target)
		b.WriteString(": ")
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "%q: ", e.Path)
	}
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("\n  fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// New returns an *Error for target.
func New(target, path, problem, fix string) *Error {
	return &Error{Target: target, Path: path, Problem: problem, Fix: fix}
}

// As reports whether err (or an error it wraps) is an *Error.
func As(err error) (*Error, bool) {
	var ue *Error
	ok := errors.As(err, &ue)
	return ue, ok
}
