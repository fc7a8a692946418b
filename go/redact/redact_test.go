package redact_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/redact"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"grpc://user:secret@127.0.0.1:9092":        "grpc://REDACTED@127.0.0.1:9092",
		"http://user:secret@cache.internal/prefix": "http://REDACTED@cache.internal/prefix",
		"https://token@cache.internal":             "https://REDACTED@cache.internal",
		"grpcs://cache.internal:443":               "grpcs://cache.internal:443",
		"http://u:p%2Fw@h:1/x":                     "http://REDACTED@h:1/x",
		"grpc://user:sec ret@host:bad-port":        "grpc://REDACTED@host:bad-port", // url.Parse fails: still redacted
		"http://user:p@ss/with/slash@host:1/path":  "http://REDACTED@host:1/path",
		"": "",
		"127.0.0.1:5000/org/app@sha256:0123456789abc": "127.0.0.1:5000/org/app@sha256:0123456789abc",
	} {
		if got := redact.URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestString(t *testing.T) {
	in := `blob sha256:ab: remote cache grpc://ci:secret@127.0.0.1:1234: Get "http://ci:secret@127.0.0.1:80/cas/ab": refused; pushed 127.0.0.1:5000/a/b@sha256:cd`
	got := redact.String(in)
	if strings.Contains(got, "secret") {
		t.Fatalf("String left the secret in: %q", got)
	}
	for _, keep := range []string{"127.0.0.1:1234", "/cas/ab", "127.0.0.1:5000/a/b@sha256:cd"} {
		if !strings.Contains(got, keep) {
			t.Errorf("String removed %q, which is no secret: %q", keep, got)
		}
	}
	if err := redact.Error(errors.New(in)); strings.Contains(err.Error(), "secret") {
		t.Fatalf("Error left the secret in: %v", err)
	}
	if redact.Error(nil) != nil {
		t.Fatal("Error(nil) is not nil")
	}
}

// TestWriter: a URL split over two writes (as a child process's output may
// be) is still redacted, and nothing is held back once the line ends.
func TestWriter(t *testing.T) {
	var out bytes.Buffer
	w := redact.NewWriter(&out)
	w.Write([]byte("ERROR: --remote_cache=grpc://ci:sec"))
	w.Write([]byte("ret@127.0.0.1:1/ failed\nnext "))
	if got := out.String(); got != "ERROR: --remote_cache=grpc://REDACTED@127.0.0.1:1/ failed\n" {
		t.Fatalf("after the first line: %q", got)
	}
	w.Write([]byte("line\r"))
	w.Flush()
	w.Write([]byte("tail without newline"))
	w.Flush()
	if got := out.String(); !strings.HasSuffix(got, "next line\rtail without newline") || strings.Contains(got, "secret") {
		t.Fatalf("output: %q", got)
	}
}
