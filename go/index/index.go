package index

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Child is one built image of the index: its exact manifest and config bytes,
// and Name (the Bazel target that built it) for messages.
type Child struct {
	Name     string
	Manifest []byte
	Config   []byte
}

// Options choose the index's form.
type Options struct {
	// Docker writes a Docker manifest list
	// (application/vnd.docker.distribution.manifest.list.v2+json) instead of
	// an OCI image index, for clients that only know the Docker form.
	Docker      bool
	Annotations map[string]string
}

// Result is the index's exact bytes and digest.
type Result struct {
	Index  []byte
	Digest v1.Hash
	Parsed v1.IndexManifest
}

// Error is a problem with the children, naming the offending one.
type Error struct {
	Child   string
	Problem string
	Fix     string
}

func (e *Error) Error() string { return e.Child + ": " + e.Problem }

// Build returns the index of children, in their order. Two children with the
// same platform are refused: a client could not choose between them.
func Build(children []Child, o Options) (Result, error) {
	if len(children) == 0 {
		return Result{}, &Error{Problem: "an index needs at least one image", Fix: "list images, or an image and platforms"}
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Annotations: o.Annotations}
	if o.Docker {
		idx.MediaType = types.DockerManifestList
	}
	seen := map[string]string{}
	for _, c := range children {
		d, err := Descriptor(c)
		if err != nil {
			return Result{}, err
		}
		key := PlatformString(*d.Platform)
		if prev, ok := seen[key]; ok {
			return Result{}, &Error{Child: c.Name, Problem: fmt.Sprintf("has platform %s, as %s does", key, prev),
				Fix: "give each image of an index its own platform (os, architecture, variant)"}
		}
		seen[key] = c.Name
		idx.Manifests = append(idx.Manifests, d)
	}
	raw, err := json.Marshal(idx)
	if err != nil {
		return Result{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return Result{}, err
	}
	return Result{Index: raw, Digest: h, Parsed: idx}, nil
}

// Descriptor describes child c as an index entry: its manifest's media type,
// digest and size, and the platform its config declares.
func Descriptor(c Child) (v1.Descriptor, error) {
	m, err := v1.ParseManifest(bytes.NewReader(c.Manifest))
	if err != nil {
		return v1.Descriptor{}, &Error{Child: c.Name, Problem: "manifest: " + err.Error()}
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(c.Config))
	if err != nil {
		return v1.Descriptor{}, &Error{Child: c.Name, Problem: "config: " + err.Error()}
	}
	if cfg.OS == "" || cfg.Architecture == "" {
		return v1.Descriptor{}, &Error{Child: c.Name, Problem: fmt.Sprintf("config has os %q, architecture %q", cfg.OS, cfg.Architecture),
			Fix: "set os and architecture on the image"}
	}
	h, size, err := v1.SHA256(bytes.NewReader(c.Manifest))
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt := m.MediaType
	if mt == "" {
		mt = types.OCIManifestSchema1
	}
	p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, OSVersion: cfg.OSVersion}
	if len(cfg.OSFeatures) > 0 {
		p.OSFeatures = append([]string(nil), cfg.OSFeatures...)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: size, Platform: &p}, nil
}

// PlatformString is os/architecture[/variant], as `--platform` flags write it.
func PlatformString(p v1.Platform) string {
	parts := []string{p.OS, p.Architecture}
	if p.Variant != "" {
		parts = append(parts, p.Variant)
	}
	s := strings.Join(parts, "/")
	if p.OSVersion != "" {
		s += ":" + p.OSVersion
	}
	return s
}
