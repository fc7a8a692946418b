package image_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/spec"
)

// TestDescribe builds an image of a gzip and a zstd layer on a base and
// checks every line `bazel run :NAME.inspect` prints: digest, config digest
// (hashed here from the config bytes), platform, and one row per layer with
// its exact size, compression, short digest and the target that built it.
func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	desc := func(name, label, mediaType string, size int64) string {
		p := filepath.Join(dir, name+".json")
		err := spec.Write(p, &spec.Descriptor{
			Label:     label,
			MediaType: types.MediaType(mediaType),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(name[:1], 64)}, Size: size,
			DiffID: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("f", 63) + name[:1]},
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	base, err := image.Build(image.Spec{Target: "//base:base", Architecture: "arm64", Variant: "v8", Layers: []string{desc("a", "//base:a", "application/vnd.oci.image.layer.v1.tar+gzip", 3<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	bm, bc := writeResult(t, t.TempDir(), base)
	r, err := image.Build(image.Spec{
		Target: "//app:image", BaseManifest: bm, BaseConfig: bc, Architecture: "arm64", Variant: "v8",
		Layers: []string{desc("b", "//app:b", "application/vnd.oci.image.layer.v1.tar+zstd", 812), desc("c", "@dep//x:c", "application/vnd.oci.image.layer.v1.tar", 1536)},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(r.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	c, err := v1.ParseConfigFile(bytes.NewReader(r.Config))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	image.Describe(&out, r.Digest.String()+"\n", m, c)
	want := []string{
		"image digest: " + r.Digest.String(),
		fmt.Sprintf("config:       sha256:%x", sha256.Sum256(r.Config)),
		"platform:     linux/arm64/v8",
		"",
		"#         size  compression  digest              built by",
		"1      3.0 MiB  gzip         sha256:aaaaaaaaaaaa //base:a",
		"2        812 B  zstd         sha256:bbbbbbbbbbbb //app:b",
		"3      1.5 KiB  none         sha256:cccccccccccc @dep//x:c",
		"       3.0 MiB  (3 layers, as stored)",
		"",
	}
	if got := out.String(); got != strings.Join(want, "\n") {
		t.Errorf("Describe printed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
