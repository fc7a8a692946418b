package image_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/internal/spectest"
)

// FuzzImageSpec reads untrusted image spec bytes and a base image's
// manifest and config (a pulled base is registry content), then builds the
// image: no panic, a refused spec names its file, and what is built parses
// back as a manifest and config.
func FuzzImageSpec(f *testing.F) {
	baseCfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":["A=1"]}}`)
	baseMf := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1},"layers":[]}`)
	f.Add([]byte(`{"v":1,"target":"//a:img","layers":[],"created":0,"os":"linux","architecture":"amd64","env":{"PATH":"/bin"},"exposed_ports":["80/tcp"]}`), []byte{}, []byte{})
	f.Add([]byte(`{"v":1,"target":"//a:img","base_manifest":"m","base_config":"c","user":"1000","cmd":["x"]}`), baseMf, baseCfg)
	f.Add([]byte(`{"v":1,"target":"//a:img","base_manifest":"m","base_config":"c"}`), []byte(`{`), []byte(`{"rootfs":{"diff_ids":["x"]}}`))
	f.Add([]byte(`{"v":1,"target":"//a:img","layers":["d"],"layer_targets":[]}`), []byte{}, []byte{})
	f.Add([]byte(`{"v":1,"target":"//a:img","created":-99999999999999}`), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, spec, manifest, config []byte) {
		s, dir, ok := spectest.Read(t, "spec.json", spec, image.ReadSpec)
		if !ok {
			return
		}
		s.Layers = nil // descriptors are strata's own output
		if s.BaseManifest != "" || s.BaseConfig != "" {
			s.BaseManifest, s.BaseConfig = filepath.Join(dir, "manifest.json"), filepath.Join(dir, "config.json")
			os.WriteFile(s.BaseManifest, manifest, 0o644)
			os.WriteFile(s.BaseConfig, config, 0o644)
		}
		res, err := image.Build(s)
		if err != nil {
			return
		}
		if _, err := v1.ParseManifest(bytes.NewReader(res.Manifest)); err != nil {
			t.Fatalf("built manifest does not parse: %v", err)
		}
		if _, err := v1.ParseConfigFile(bytes.NewReader(res.Config)); err != nil {
			t.Fatalf("built config does not parse: %v", err)
		}
	})
}

// TestCreatedRange: a creation time past year 9999 is refused with the
// target and the fix, not encoding/json's "year outside of range".
func TestCreatedRange(t *testing.T) {
	for _, c := range []int64{-1, 253402300800, 1 << 40} {
		_, err := image.Build(image.Spec{Target: "//app:image", Created: c})
		if err == nil || !strings.Contains(err.Error(), "//app:image") || !strings.Contains(err.Error(), "created:") || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("created %d: got %v", c, err)
		}
	}
	if _, err := image.Build(image.Spec{Target: "//app:image", Created: 253402300799}); err != nil {
		t.Errorf("the last second of 9999 refused: %v", err)
	}
}
