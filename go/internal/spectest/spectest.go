// Package spectest is what the fuzz tests of the spec readers share: a spec
// is untrusted bytes in a file, and a refused spec must name that file, so
// the user knows which of the action's inputs to look at.
package spectest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Read writes data to a file called name in a fresh directory (dir) and reads
// it back with read. When read refuses it, the error must name the file (the
// test fails otherwise) and ok is false.
func Read[S any](t *testing.T, name string, data []byte, read func(path string) (S, error)) (s S, dir string, ok bool) {
	t.Helper()
	dir = t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := read(p)
	if err != nil {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("spec refused without naming the file: %v", err)
		}
		return s, dir, false
	}
	return s, dir, true
}
