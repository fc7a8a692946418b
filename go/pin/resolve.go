package pin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Resolve returns the digest p's tag names now: of the manifest, or of the
// index for a multi-platform tag (checked to still list p's platform, or
// every one of its platforms, so the new pin builds). The digest is computed from the bytes the registry served,
// as image_pull verifies them, not taken from a header.
func Resolve(ctx context.Context, p Pull, opts []remote.Option) (string, error) {
	bad := func(problem, fix string) error { return usererr.New(p.Where(), "", problem, fix) }
	repo, err := name.NewRepository(p.Image)
	if err != nil || strings.Contains(p.Image, "@") {
		return "", bad(fmt.Sprintf("image %q is not a repository name", p.Image), `write image = "registry.example.com/team/base" (no tag, no digest)`)
	}
	tag, err := name.NewTag(repo.Name() + ":" + p.Tag)
	if err != nil {
		return "", bad(fmt.Sprintf("tag %q is not a valid tag", p.Tag), "write the tag as the registry lists it, e.g. `crane ls "+p.Image+"`")
	}
	ref := fmt.Sprintf("%s:%s", repo.Name(), p.Tag)
	d, err := remote.Get(tag, opts...)
	switch {
	case err == nil:
	case regclient.Refused(err):
		return "", bad(fmt.Sprintf("the registry refused to resolve %s (%v)", ref, err), regclient.LoginFix)
	case regclient.NotFound(err):
		return "", bad(fmt.Sprintf("tag %q does not exist in %s (any more): %v", p.Tag, repo.Name(), err),
			"set tag to one the repository has (`crane ls "+repo.Name()+"`), or pin this pull by hand")
	default:
		return "", bad(fmt.Sprintf("resolving %s failed: %v", ref, err), "check that the registry is reachable and the image name is right")
	}
	sum := sha256.Sum256(d.Manifest)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	want := p.Platforms
	if len(want) == 0 {
		want = []string{p.Platform}
	}
	switch {
	case d.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
		if err != nil {
			return "", bad(fmt.Sprintf("%s is a malformed index: %v", ref, err), "fix the image in the registry")
		}
		var seen []string
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				seen = append(seen, m.Platform.String())
			}
		}
		for _, w := range want {
			plat, err := v1.ParsePlatform(w)
			if err != nil {
				return "", bad(fmt.Sprintf("platform %q is not os/arch[/variant]", w), `write platform = "linux/arm64"`)
			}
			if !lists(idx, *plat) {
				return "", bad(fmt.Sprintf("%s is now an index without %s (it has: %s), so pinning it would break the build", ref, w, strings.Join(seen, ", ")),
					"pull platforms the index lists, or follow another tag")
			}
		}
		return digest, nil
	case d.MediaType.IsImage():
		if len(p.Platforms) > 0 {
			return "", bad(fmt.Sprintf("%s is now a single-platform image, but platforms lists %s, which needs an index", ref, strings.Join(p.Platforms, ", ")),
				"follow a tag of a multi-platform index, or pull with platform instead of platforms")
		}
		return digest, nil
	}
	return "", bad(fmt.Sprintf("%s is a %q, not an image manifest or index", ref, d.MediaType), "follow a tag of an image")
}

// lists reports whether the index has a manifest for p, matched as
// image_pull matches it (a variant only when p names one).
func lists(idx *v1.IndexManifest, p v1.Platform) bool {
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == p.OS && m.Platform.Architecture == p.Architecture && (p.Variant == "" || m.Platform.Variant == p.Variant) {
			return true
		}
	}
	return false
}
