// Package pull fetches a base image from a registry by digest, for the
// image_pull repository rule. By default it is shallow: only the manifest
// (through an index, the platform's manifest) and the config are downloaded
// and verified; layer blobs stay in the registry, and push mounts or streams
// them from there. With Layers set, every blob is downloaded and verified too.
//
// An image must be pinned by digest. Given only a tag, Pull fails with the
// digest the tag resolves to now, so the user can paste it.
package pull

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Request says what to pull.
type Request struct {
	Name     string // the image_pull repository name, for messages
	Image    string // "host/repository"
	Digest   string // "sha256:..." of the manifest or index; required
	Tag      string // documentation only; used to suggest a digest
	Platform v1.Platform
	Layers   bool   // download layer blobs too
	Out      string // directory to write into
}

// Summary is written to Out/pulled.json for the repository rule.
type Summary = spec.Pulled

// Pull fetches, verifies and writes manifest.json, config.json,
// layer_<i>.json descriptors, blobs/layer_<i> (with Layers) and pulled.json.
func Pull(ctx context.Context, req Request, r regclient.Retry) (Summary, error) {
	bad := func(problem, fix string) error {
		return usererr.New(fmt.Sprintf("image_pull(name = %q)", req.Name), req.Image, problem, fix)
	}
	repo, err := name.NewRepository(req.Image)
	if err != nil || strings.Contains(req.Image, "@") {
		return Summary{}, bad("image is not a repository name", `write image = "registry.example.com/team/base" (no tag, no digest: those have their own attributes)`)
	}
	opts := regclient.RemoteOptions(ctx, r, 4)
	if req.Digest == "" {
		return Summary{}, unpinned(req, repo, opts, bad)
	}
	want, err := v1.NewHash(req.Digest)
	if err != nil {
		return Summary{}, bad(fmt.Sprintf("digest %q is not sha256:<64 hex digits>", req.Digest), "copy the digest from the registry, e.g. `crane digest IMAGE:TAG`")
	}
	// remote.Get of a name.Digest verifies the bytes against it, and
	// remote.Layer's reader verifies each blob at EOF: no second check here.
	top, err := remote.Get(repo.Digest(want.String()), opts...)
	if err != nil {
		return Summary{}, explain(err, bad)
	}
	manifestBytes, manifestDigest := top.Manifest, want
	if top.MediaType.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(top.Manifest))
		if err != nil {
			return Summary{}, bad("malformed image index: "+err.Error(), "pin the digest of a valid image or index")
		}
		d, err := pick(idx, req.Platform)
		if err != nil {
			return Summary{}, bad(err.Error(), "set platform to one the index lists, or pin a single-platform manifest")
		}
		m, err := remote.Get(repo.Digest(d.Digest.String()), opts...)
		if err != nil {
			return Summary{}, explain(err, bad)
		}
		manifestBytes, manifestDigest = m.Manifest, d.Digest
	} else if !top.MediaType.IsImage() {
		return Summary{}, bad(fmt.Sprintf("%s is a %q, not an image manifest or index", want, top.MediaType), "pin the digest of an image")
	}
	manifest, err := v1.ParseManifest(bytes.NewReader(manifestBytes))
	if err != nil || manifest.Config.Digest.Hex == "" {
		return Summary{}, bad(fmt.Sprintf("malformed manifest %s: %v", manifestDigest, err), "pin the digest of a valid image")
	}
	cfgBytes, err := fetchBlob(repo, manifest.Config, opts)
	if err != nil {
		return Summary{}, explain(err, bad)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgBytes))
	if err != nil {
		return Summary{}, bad(fmt.Sprintf("malformed config %s: %v", manifest.Config.Digest, err), "pin the digest of a valid image")
	}
	if len(cfg.RootFS.DiffIDs) != len(manifest.Layers) {
		return Summary{}, bad(fmt.Sprintf("malformed config %s (%d diff_ids for %d layers)", manifest.Config.Digest, len(cfg.RootFS.DiffIDs), len(manifest.Layers)),
			"pin the digest of a valid image")
	}
	if err := write(req, repo, manifestBytes, cfgBytes, manifest, cfg, opts); err != nil {
		return Summary{}, err
	}
	s := Summary{Image: repo.Name(), Digest: want.String(), ManifestDigest: manifestDigest.String(), Layers: len(manifest.Layers), Blobs: req.Layers}
	return s, spec.Write(filepath.Join(req.Out, "pulled.json"), &s)
}

func write(req Request, repo name.Repository, manifestBytes, cfgBytes []byte, m *v1.Manifest, cfg *v1.ConfigFile, opts []remote.Option) error {
	if err := os.MkdirAll(filepath.Join(req.Out, "blobs"), 0o755); err != nil {
		return err
	}
	files := map[string][]byte{"manifest.json": manifestBytes, "config.json": cfgBytes, "digest": []byte(sha(manifestBytes))}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(req.Out, name), b, 0o644); err != nil {
			return err
		}
	}
	for i, l := range m.Layers {
		d := spec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, DiffID: cfg.RootFS.DiffIDs[i], Source: repo.Name()}
		if err := spec.Write(filepath.Join(req.Out, fmt.Sprintf("layer_%d.json", i)), &d); err != nil {
			return err
		}
		if req.Layers {
			if err := downloadBlob(repo, l, filepath.Join(req.Out, "blobs", fmt.Sprintf("layer_%d", i)), opts); err != nil {
				return err
			}
		}
	}
	return nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pick chooses the first index entry that satisfies platform p (os and
// architecture equal; variant too when p has one), by go-containerregistry's
// own rule, the one `remote.WithPlatform` applies. Not remote.WithPlatform
// itself: the error must list the platforms the index has.
func pick(idx *v1.IndexManifest, p v1.Platform) (v1.Descriptor, error) {
	var seen []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			continue
		}
		seen = append(seen, platformString(*d.Platform))
		if p.OS != "" && p.Architecture != "" && d.Platform.Satisfies(p) {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("the index has no manifest for %s (it has: %s)", platformString(p), strings.Join(seen, ", "))
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func fetchBlob(repo name.Repository, d v1.Descriptor, opts []remote.Option) ([]byte, error) {
	l, err := remote.Layer(repo.Digest(d.Digest.String()), opts...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc) // fails unless the bytes have digest d.Digest
}

func downloadBlob(repo name.Repository, d v1.Descriptor, path string, opts []remote.Option) error {
	l, err := remote.Layer(repo.Digest(d.Digest.String()), opts...)
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// The copy fails unless the bytes have digest d.Digest; the size, which
	// remote.Layer does not know, is checked here.
	n, err := io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("downloading %s: %w", d.Digest, err)
	}
	if n != d.Size {
		return fmt.Errorf("layer %s: downloaded %d bytes, want %d bytes", d.Digest, n, d.Size)
	}
	return nil
}

// unpinned explains that a digest is required, with the one to paste.
func unpinned(req Request, repo name.Repository, opts []remote.Option, bad func(string, string) error) error {
	if req.Tag == "" {
		return bad("no digest", `pin the image: digest = "sha256:..." (a tag may be added for documentation)`)
	}
	d, err := remote.Head(repo.Tag(req.Tag), opts...)
	if err != nil {
		return bad(fmt.Sprintf("tag %q has no digest pinned, and resolving it failed: %v", req.Tag, err), `pin the image: digest = "sha256:..."`)
	}
	return bad(fmt.Sprintf("tag %q is not pinned; right now it resolves to %s", req.Tag, d.Digest),
		fmt.Sprintf("add this line to the image_pull:\n    digest = %q,", d.Digest.String()))
}

// explain turns registry errors into advice.
func explain(err error, bad func(string, string) error) error {
	switch {
	case regclient.Refused(err):
		return bad("the registry refused access ("+err.Error()+")", regclient.LoginFix)
	case regclient.NotFound(err):
		return bad("the registry has no such repository or digest ("+err.Error()+")", "check image and digest, e.g. with `crane digest IMAGE:TAG`")
	// go-containerregistry's digest mismatch errors have no type to match
	// (fmt.Errorf in remote, and verify.Error is in an internal package):
	// its own words are all there is.
	case strings.Contains(err.Error(), "does not match"):
		return bad("the registry served content that does not match the pinned digest ("+err.Error()+")",
			"check the digest; if it is right, the registry (or a mirror in front of it) is serving corrupt or altered content")
	}
	return bad("pull failed: "+err.Error(), "check that the registry is reachable and the image reference is right")
}
