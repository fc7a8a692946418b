package jsonspec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/jsonspec"
)

type spec struct {
	Target string `json:"target"`
	N      int64  `json:"n"`
	Files  []struct{ A, B string }
	Modes  map[string]string `json:"modes"`
	Flag   *bool             `json:"flag"`
}

// FuzzRead: any bytes either decode into the spec or give an error naming
// the file; unknown fields, trailing values and empty files are refused.
func FuzzRead(f *testing.F) {
	for _, s := range []string{`{"target":"//a:b","n":1,"Files":[{"A":"x","B":"y"}],"modes":{"/x":"0755"},"flag":true}`,
		`{"target":"//a:b","unknown":1}`, `{"n":1}{"n":2}`, ``, `{"target":`, `{"n":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "spec.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var s spec
		if err := jsonspec.Read(p, "test spec", &s); err != nil && !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ data, want string }{
		"empty":    {"", "empty or cut short"},
		"cut":      {`{"target":`, "empty or cut short"},
		"unknown":  {`{"nope":1}`, `unknown field "nope"`},
		"trailing": {`{"n":1}{"n":2}`, "more than one JSON value"},
	} {
		p := filepath.Join(dir, name+".json")
		os.WriteFile(p, []byte(c.data), 0o644)
		var s spec
		err := jsonspec.Read(p, "test spec", &s)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}
