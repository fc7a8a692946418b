// Package dockerarchive writes a built image as a docker-archive tarball, the
// format `docker load` and `podman load` read.
//
// The archive itself is canonical (package canontar): blobs are stored once
// under blobs/sha256/<hex>, the layout `docker save` uses since Docker 25,
// and RepoTags keep the order the user gave, so the tarball is reproducible.
//
// Why not go-containerregistry's tarball.Write: it stores layers as
// <hex>.tar.gz files (the layout before Docker 25), and collects the tags of
// an image from a map, so several repo_tags of one image come out in no fixed
// order. It also needs every layer's bytes through a v1.Image, where this
// writer reads each blob file once, straight into the archive.
package dockerarchive

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/canontar"
)

// Write writes img to w, tagged with repoTags ("repo:tag" each; may be empty).
func Write(w io.Writer, img *blobimage.Image, repoTags []string) error {
	if err := img.RequireBlobs(); err != nil {
		return err
	}
	tags := make([]string, 0, len(repoTags))
	for _, t := range repoTags {
		tag, err := name.NewTag(t)
		if err != nil {
			return err
		}
		tags = append(tags, tag.String())
	}
	m := img.Manifest()
	blobName := func(h v1.Hash) string { return "blobs/sha256/" + h.Hex }
	desc := tarball.Descriptor{Config: blobName(m.Config.Digest), RepoTags: tags}
	cfg := img.RawConfig()
	entries := []canontar.Entry{bytesEntry(blobName(m.Config.Digest), cfg)}
	seen := map[v1.Hash]bool{}
	for _, l := range m.Layers {
		desc.Layers = append(desc.Layers, blobName(l.Digest))
		if seen[l.Digest] {
			continue
		}
		seen[l.Digest] = true
		blob := img.BlobPath(l.Digest)
		entries = append(entries, canontar.Entry{Path: blobName(l.Digest), Type: canontar.Regular, Mode: 0o644, Size: l.Size,
			Open: func() (io.ReadCloser, error) { return os.Open(blob) }})
	}
	manifestJSON, err := json.Marshal(tarball.Manifest{desc})
	if err != nil {
		return err
	}
	entries = append(entries, bytesEntry("manifest.json", manifestJSON))
	sorted, err := canontar.Sort(entries)
	if err != nil {
		return err
	}
	return canontar.Write(w, sorted, time.Unix(0, 0))
}

func bytesEntry(p string, b []byte) canontar.Entry {
	return canontar.Entry{Path: p, Type: canontar.Regular, Mode: 0o644, Size: int64(len(b)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}
