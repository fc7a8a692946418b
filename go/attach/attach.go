package attach

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media and artifact types of the referrers.
const (
	SPDXType   = "application/spdx+json"
	IntotoType = "application/vnd.in-toto+json"
	emptyType  = "application/vnd.oci.empty.v1+json"
	// PredicateAnnotation carries a statement's predicate type on its
	// referrer, so a client can pick provenance without fetching it.
	PredicateAnnotation = "in-toto.io/predicate-type"
)

// Documents are what an image carries along; either may be nil.
type Documents struct {
	SBOM       []byte // SPDX JSON
	Provenance []byte // in-toto Statement v1 JSON whose subject is the image
}

// Options tune Attach.
type Options struct {
	Key    *Key            // nil: attach unsigned
	Remote []remote.Option // auth, transport, retries (regclient); count with Counter
	// MountFrom, if set, is a repository of the same registry that got
	// the same attachments earlier in this push: their blobs are mounted
	// from it instead of uploaded again.
	MountFrom *name.Repository
}

// Result says what Attach did in one repository.
type Result struct {
	Written []string // e.g. "sbom referrer sha256:...", "signature"
	Present []string // already there (and, if signed, verifying with the key)
}

// Attach writes docs (and, with a key, a signature and an attestation) for
// the image manifest subject, which the repository of ref already holds.
func Attach(ctx context.Context, ref name.Digest, subject v1.Descriptor, docs Documents, o Options) (Result, error) {
	var res Result
	opts := append(append([]remote.Option(nil), o.Remote...), remote.WithContext(ctx))
	if docs.Provenance != nil {
		if err := checkSubject(docs.Provenance, subject.Digest); err != nil {
			return res, err
		}
	}

	var arts []artifact
	if docs.SBOM != nil {
		arts = append(arts, artifact{what: "sbom", artifactType: SPDXType, blob: docs.SBOM})
	}
	if docs.Provenance != nil {
		arts = append(arts, artifact{what: "provenance", artifactType: IntotoType, blob: docs.Provenance,
			annotations: map[string]string{PredicateAnnotation: predicateType(docs.Provenance)}})
	}
	if len(arts) > 0 {
		listed, err := referrers(ref, opts)
		if err != nil {
			return res, fmt.Errorf("listing referrers of %s: %w", ref, err)
		}
		for _, a := range arts {
			raw, desc, err := a.manifest(subject)
			if err != nil {
				return res, err
			}
			label := fmt.Sprintf("%s referrer %s", a.what, desc.Digest)
			if listed[desc.Digest] {
				res.Present = append(res.Present, label)
				continue
			}
			if err := writeArtifact(ref.Context(), a, raw, desc, o.MountFrom, opts); err != nil {
				return res, fmt.Errorf("attaching the %s: %w", a.what, err)
			}
			res.Written = append(res.Written, label)
		}
	}
	if o.Key == nil {
		return res, nil
	}
	wrote, err := o.Key.sign(ref, opts)
	if err != nil {
		return res, fmt.Errorf("signing: %w", err)
	}
	note(&res, wrote, "signature "+sigTag(ref).String())
	if docs.Provenance != nil {
		wrote, err := o.Key.attest(ref, docs.Provenance, opts)
		if err != nil {
			return res, fmt.Errorf("attesting the provenance: %w", err)
		}
		note(&res, wrote, "provenance attestation "+attTag(ref).String())
	}
	return res, nil
}

func note(res *Result, wrote bool, label string) {
	if wrote {
		res.Written = append(res.Written, label)
	} else {
		res.Present = append(res.Present, label)
	}
}

// artifact is one referrer: a single-layer OCI manifest with an empty config.
type artifact struct {
	what, artifactType string
	blob               []byte
	annotations        map[string]string
}

// emptyConfig is the OCI 1.1 empty descriptor's content.
var emptyConfig = []byte("{}")

// manifest returns the artifact's manifest: deterministic, so the same
// document gives the same digest on every push and a listed one is skipped.
func (a artifact) manifest(subject v1.Descriptor) ([]byte, v1.Descriptor, error) {
	layer, _, _ := v1.SHA256(bytes.NewReader(a.blob))
	cfg, _, _ := v1.SHA256(bytes.NewReader(emptyConfig))
	sub := v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  a.artifactType,
		Config:        v1.Descriptor{MediaType: emptyType, Digest: cfg, Size: int64(len(emptyConfig)), Data: emptyConfig},
		Layers:        []v1.Descriptor{{MediaType: types.MediaType(a.artifactType), Digest: layer, Size: int64(len(a.blob))}},
		Subject:       &sub,
		Annotations:   a.annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	d, n, _ := v1.SHA256(bytes.NewReader(raw))
	return raw, v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: d, Size: n}, nil
}

// writeArtifact uploads the artifact's blobs (remote.WriteLayer skips those
// the repository has) and puts its manifest by digest. remote.Put sees the
// subject and keeps the referrers tag schema's index up to date when the
// registry has no referrers API.
func writeArtifact(repo name.Repository, a artifact, raw []byte, desc v1.Descriptor, from *name.Repository, opts []remote.Option) error {
	for _, l := range []v1.Layer{static.NewLayer(emptyConfig, emptyType), static.NewLayer(a.blob, types.MediaType(a.artifactType))} {
		if from != nil && from.RegistryStr() == repo.RegistryStr() && from.String() != repo.String() {
			d, _ := l.Digest()
			l = &remote.MountableLayer{Layer: l, Reference: from.Digest(d.String())}
		}
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return err
		}
	}
	return remote.Put(repo.Digest(desc.Digest.String()), rawManifest{raw, desc.MediaType}, opts...)
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// referrers lists the digests of the manifests that refer to ref, through
// the referrers API or the referrers tag schema.
func referrers(ref name.Digest, opts []remote.Option) (map[v1.Hash]bool, error) {
	idx, err := remote.Referrers(ref, opts...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	out := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		out[d.Digest] = true
	}
	return out, nil
}

// statement is the part of an in-toto statement Attach looks at.
type statement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

func predicateType(raw []byte) string {
	var s statement
	json.Unmarshal(raw, &s)
	return s.PredicateType
}

// checkSubject refuses a statement about another image: cosign would
// reject the attestation, and a referrer would lie.
func checkSubject(raw []byte, digest v1.Hash) error {
	var s statement
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("the provenance is not an in-toto statement: %w", err)
	}
	for _, sub := range s.Subject {
		if sub.Digest[digest.Algorithm] == digest.Hex {
			return nil
		}
	}
	return fmt.Errorf("the provenance's subject is not the pushed image %s (rebuild the push target: its provenance is stale)", digest)
}

// notFound tells whether err is a registry's 404 (no such tag yet).
func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// sigTag and attTag are cosign's tags for ref's signatures and attestations.
func sigTag(ref name.Digest) name.Tag { return cosignTag(ref, "sig") }
func attTag(ref name.Digest) name.Tag { return cosignTag(ref, "att") }
func cosignTag(ref name.Digest, suffix string) name.Tag {
	return ref.Context().Tag(strings.Replace(ref.DigestStr(), ":", "-", 1) + "." + suffix)
}

// Counter counts the requests that send data (PUT, POST, PATCH) and their
// body bytes, so a re-push can show it sent none. Pass Wrap to
// regclient's RemoteOptions.
type Counter struct {
	bytes  atomic.Int64
	writes atomic.Int64
}

// Wrap returns next, counting.
func (c *Counter) Wrap(next http.RoundTripper) http.RoundTripper {
	return countingTransport{c: c, next: next}
}

// Writes and Bytes are the totals so far.
func (c *Counter) Writes() int64 { return c.writes.Load() }
func (c *Counter) Bytes() int64  { return c.bytes.Load() }

type countingTransport struct {
	c    *Counter
	next http.RoundTripper
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut || req.Method == http.MethodPost || req.Method == http.MethodPatch {
		t.c.writes.Add(1)
		if req.Body != nil {
			req.Body = countingBody{req.Body, &t.c.bytes}
		}
	}
	return t.next.RoundTrip(req)
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// b64 is the encoding cosign uses for signatures in annotations.
var b64 = base64.StdEncoding
