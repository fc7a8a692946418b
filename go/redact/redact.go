// Package redact removes credentials from URLs before anything is printed,
// logged or wrapped into an error. A Bazel remote cache address such as
// grpc://user:password@cache:9092 (Bazel accepts credentials in the URL) is
// the case in point: it reaches push through STRATA_REMOTE_CACHE or
// --remote-cache and appears in cache-miss and rebuild messages.
//
// Everything that names a URL goes through here; the rule is simple enough to
// apply to free text: whatever sits between "scheme://" and the last "@" of
// the same word is user information, and is replaced by REDACTED. That
// over-redacts a URL with "@" in its path (rare for caches and registries)
// rather than leak part of a password that itself holds "@" or "/".
package redact

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces user information.
const Mask = "REDACTED"

var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^\s"'<>]*@`)

// URL returns one URL with any user information (user, password, token)
// replaced by Mask. It works on strings url.Parse rejects, too (a password
// with a space or an unescaped "/").
func URL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return String(raw)
	}
	at := strings.LastIndex(raw[i+3:], "@")
	if at < 0 {
		return raw
	}
	return raw[:i+3] + Mask + raw[i+3+at:]
}

// String redacts every URL in free text, e.g. an error message.
func String(s string) string { return userinfo.ReplaceAllString(s, "${1}"+Mask+"@") }

// Error returns err with its message redacted (nil for nil). The result
// keeps err's chain for errors.Is/As, so callers still recognise it.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// Writer redacts what passes through it, line by line (a line ends at "\n"
// or "\r"), so a URL split across two writes of a child process's output is
// still caught. Flush writes out a partial last line.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexAny(w.buf, "\r\n"); i >= 0 {
		line := w.buf[:i+1]
		if _, err := io.WriteString(w.w, String(string(line))); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, String(string(w.buf)))
	w.buf = w.buf[:0]
	return err
}
