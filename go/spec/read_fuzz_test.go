package spec_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/spec"
)

// FuzzRead: any bytes either decode into a file of the contract or give an
// error naming the file; unknown fields, other versions, trailing values,
// missing required fields and empty files are refused.
func FuzzRead(f *testing.F) {
	for _, k := range kinds {
		f.Add([]byte(`{"v":1,` + k.valid + `}`))
		f.Add([]byte(`{"v":1,` + k.lacks + `}`))
	}
	for _, s := range []string{`{"v":1,"target":"//a:b","unknown":1}`, `{"n":1}{"n":2}`, ``, `{"target":`, `{"v":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join("dir", "spec.json")
		for _, w := range []spec.Wire{&spec.Descriptor{}, &spec.Layer{}, &spec.Image{}, &spec.ImageFiles{}, &spec.Push{}, &spec.IndexPush{}, &spec.SBOM{}, &spec.ImageTest{}, &spec.Pulled{}} {
			if err := spec.Decode(data, p, "test file", w); err != nil && !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
	})
}
