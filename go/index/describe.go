package index

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/image"
)

// Described is one child for Describe: its manifest and config, parsed.
type Described struct {
	Manifest *v1.Manifest
	Config   *v1.ConfigFile
}

// Describe writes what `bazel run :NAME.inspect` prints for an index: its
// digest and media type, a row per child (platform, digest, size), then each
// child as image.Describe shows an image. children are in index order.
// The output depends only on its arguments.
func Describe(w io.Writer, idx *v1.IndexManifest, digest string, children []Described) {
	fmt.Fprintf(w, "index digest: %s\n", strings.TrimSpace(digest))
	fmt.Fprintf(w, "media type:   %s\n\n", idx.MediaType)
	for _, d := range idx.Manifests {
		p := "?"
		if d.Platform != nil {
			p = PlatformString(*d.Platform)
		}
		fmt.Fprintf(w, "%-16s %s  %d bytes\n", p, d.Digest, d.Size)
	}
	for i, d := range idx.Manifests {
		if i >= len(children) {
			break
		}
		fmt.Fprintln(w)
		image.Describe(w, d.Digest.String(), children[i].Manifest, children[i].Config)
	}
}
