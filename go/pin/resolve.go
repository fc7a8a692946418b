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
// index for a multi-platform tag (checked to still list p's platform, so the
// new pin builds). The digest is computed from the bytes the registry served,
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
	switch {
	case d.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(d.Manifest))
		if err != nil {
			return "", bad(fmt.Sprintf("%s is a malformed index: %v", ref, err), "fix the image in the registry")
		}
		want, err := v1.ParsePlatform(p.Platform)
		if err != nil {
			return "", bad(fmt.Sprintf("platform %q is not os/arch[/variant]", p.Platform), `write platform = "linux/arm64"`)
		}
		var seen []string
		for _, m := range idx.Manifests {
			if m.Platform == nil {
				continue
			}
			seen = append(seen, m.Platform.String())
			if m.Platform.OS == want.OS && m.Platform.Architecture == want.Architecture && (want.Variant == "" || m.Platform.Variant == want.Variant) {
				return digest, nil
			}
		}
		return "", bad(fmt.Sprintf("%s is now an index without %s (it has: %s), so pinning it would break the build", ref, p.Platform, strings.Join(seen, ", ")),
			"set platform to one the index lists, or follow another tag")
	case d.MediaType.IsImage():
		return digest, nil
	}
	return "", bad(fmt.Sprintf("%s is a %q, not an image manifest or index", ref, d.MediaType), "follow a tag of an image")
}
