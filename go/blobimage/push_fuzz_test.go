package blobimage_test

import (
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/internal/spectest"
	"github.com/strata-build/rules_strata/go/spec"
)

// FuzzPushSpec reads untrusted push spec bytes (the manifest and config
// inside come from builds and pulled bases) and assembles the image from
// them: no panic, and a refused spec names its file.
func FuzzPushSpec(f *testing.F) {
	f.Add([]byte(`{"v":1,"digest":"sha256:` + strings.Repeat("a", 64) + `","manifest":"e30=","config":"e30=","layers":[]}`))
	f.Add([]byte(`{"v":1,"digest":"x","manifest":"e30=","config":"e30=","layers":[{"descriptor":{"v":1,"mediaType":"x","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1,"diffID":"sha256:` + strings.Repeat("c", 64) + `","label":"//a:l"},"blob":""}]}`))
	f.Add([]byte(`{"v":1,"digest":"x","manifest":"eyJzY2hlbWFWZXJzaW9uIjoyLCJsYXllcnMiOlt7ImRpZ2VzdCI6InNoYTI1Njp4In1dfQ==","config":"e30=","layers":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, ok := spectest.Read(t, "push.json", data, spec.ReadPush)
		if !ok {
			return
		}
		blobimage.FromPush(s, func(b string) string { return b })
		s.Targets()
	})
}
