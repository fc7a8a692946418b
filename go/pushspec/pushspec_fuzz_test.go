package pushspec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/pushspec"
)

// FuzzPushSpec reads untrusted push spec bytes (the manifest and config
// inside come from builds and pulled bases) and assembles the image from
// them: no panic, and a refused spec names its file.
func FuzzPushSpec(f *testing.F) {
	f.Add([]byte(`{"digest":"sha256:` + strings.Repeat("a", 64) + `","manifest":"e30=","config":"e30=","layers":[]}`))
	f.Add([]byte(`{"manifest":"","config":"","layers":[{"descriptor":{"mediaType":"x","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1,"diffID":"sha256:` + strings.Repeat("c", 64) + `"},"blob":"","target":"//a:l"}]}`))
	f.Add([]byte(`{"manifest":"eyJzY2hlbWFWZXJzaW9uIjoyLCJsYXllcnMiOlt7ImRpZ2VzdCI6InNoYTI1Njp4In1dfQ==","layers":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "push.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := pushspec.Read(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("spec refused without naming the file: %v", err)
			}
			return
		}
		s.Image(func(b string) string { return b })
		s.Targets()
	})
}
