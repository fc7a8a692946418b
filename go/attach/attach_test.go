package attach

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
	"github.com/strata-build/rules_strata/go/usererr"
)

// setup starts an in-process registry (with or without the referrers API),
// pushes a random image to it and returns its reference and descriptor.
func setup(t *testing.T, referrersAPI bool) (name.Digest, v1.Descriptor, *httptest.Server) {
	t.Helper()
	srv := registrytest.Serve(t, registry.WithReferrersSupport(referrersAPI))
	repo, err := name.NewRepository(registrytest.Host(srv) + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	img := registrytest.Image(t, 512, 1)
	d := registrytest.Push(t, repo.Tag("v1").String(), img, remote.WithContext(context.Background()))
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	return repo.Digest(d.String()), v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(raw))}, srv
}

func docs(d v1.Hash) Documents {
	return Documents{
		SBOM: []byte(`{"spdxVersion":"SPDX-2.3","name":"test"}`),
		Provenance: []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"//x:image","digest":{"sha256":%q}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`,
			d.Hex)),
	}
}

func newKey(t *testing.T) (*Key, *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k, priv
}

func counted(c *Counter) Options {
	return Options{Remote: []remote.Option{remote.WithTransport(c.Wrap(http.DefaultTransport))}}
}

// referrerTypes lists the artifact types of ref's referrers, read from
// their manifests (ggcr's in-process registry lists the config media type
// as every referrer's artifactType).
func referrerTypes(t *testing.T, ref name.Digest) []string {
	t.Helper()
	idx, err := remote.Referrers(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	var out []string
	for _, d := range im.Manifests {
		desc, err := remote.Get(ref.Context().Digest(d.Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		var m v1.Manifest
		json.Unmarshal(desc.Manifest, &m)
		if m.Subject == nil || m.Subject.Digest.String() != ref.DigestStr() {
			t.Fatalf("referrer %s has subject %v", d.Digest, m.Subject)
		}
		out = append(out, m.ArtifactType)
	}
	return out
}

func TestAttachBothPaths(t *testing.T) {
	for _, api := range []bool{false, true} {
		t.Run(fmt.Sprintf("referrersAPI=%v", api), func(t *testing.T) {
			ref, subject, _ := setup(t, api)
			key, priv := newKey(t)
			c := &Counter{}
			o := counted(c)
			o.Key = key
			res, err := Attach(context.Background(), ref, subject, docs(subject.Digest), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Written) != 4 || len(res.Present) != 0 {
				t.Fatalf("first attach: written %v, present %v; want 4 written", res.Written, res.Present)
			}
			if c.Writes() == 0 || c.Bytes() == 0 {
				t.Fatalf("first attach counted %d writes, %d bytes", c.Writes(), c.Bytes())
			}
			got := strings.Join(referrerTypes(t, ref), ",")
			if !strings.Contains(got, SPDXType) || !strings.Contains(got, IntotoType) {
				t.Fatalf("referrers have artifact types %q; want %s and %s", got, SPDXType, IntotoType)
			}
			// The tag schema index exists only without the API.
			fallback := ref.Context().Tag("sha256-" + subject.Digest.Hex)
			_, err = remote.Head(fallback)
			if api && err == nil {
				t.Errorf("referrers API registry: fallback tag %s was written", fallback)
			}
			if !api && err != nil {
				t.Errorf("registry without referrers API: no fallback tag %s (%v)", fallback, err)
			}
			checkCosignLayout(t, ref, &priv.PublicKey, docs(subject.Digest).Provenance)

			// Re-push: nothing is written, everything is found.
			c2 := &Counter{}
			o2 := counted(c2)
			o2.Key = key
			res, err = Attach(context.Background(), ref, subject, docs(subject.Digest), o2)
			if err != nil {
				t.Fatal(err)
			}
			if c2.Writes() != 0 || c2.Bytes() != 0 || len(res.Written) != 0 || len(res.Present) != 4 {
				t.Fatalf("re-attach sent %d writes, %d bytes; written %v, present %v; want nothing written", c2.Writes(), c2.Bytes(), res.Written, res.Present)
			}
		})
	}
}

// checkCosignLayout reads the .sig and .att images as cosign does, and
// verifies them with the standard library only (not with this package).
func checkCosignLayout(t *testing.T, ref name.Digest, pub *ecdsa.PublicKey, stmt []byte) {
	t.Helper()
	hexd := strings.TrimPrefix(ref.DigestStr(), "sha256:")
	sig, err := remote.Image(ref.Context().Tag("sha256-" + hexd + ".sig"))
	if err != nil {
		t.Fatalf("no .sig image: %v", err)
	}
	m, _ := sig.Manifest()
	if m.MediaType != types.OCIManifestSchema1 || len(m.Layers) != 1 || m.Layers[0].MediaType != SimpleSigningType {
		t.Fatalf(".sig manifest: %+v", m)
	}
	l, _ := sig.LayerByDigest(m.Layers[0].Digest)
	body, _ := blob(l)
	var p struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Critical.Image.Digest != ref.DigestStr() || p.Critical.Type != "cosign container image signature" || p.Critical.Identity.DockerReference != ref.Context().Name() {
		t.Fatalf("simple-signing payload %s", body)
	}
	s, err := b64.DecodeString(m.Layers[0].Annotations[SignatureAnnotation])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, h[:], s) {
		t.Fatal("the signature does not verify with the public key")
	}

	att, err := remote.Image(ref.Context().Tag("sha256-" + hexd + ".att"))
	if err != nil {
		t.Fatalf("no .att image: %v", err)
	}
	m, _ = att.Manifest()
	if len(m.Layers) != 1 || m.Layers[0].MediaType != DSSEType || m.Layers[0].Annotations["predicateType"] != "https://slsa.dev/provenance/v1" {
		t.Fatalf(".att manifest: %+v", m)
	}
	l, _ = att.LayerByDigest(m.Layers[0].Digest)
	body, _ = blob(l)
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"`
		Signatures  []struct {
			Sig []byte `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.PayloadType != IntotoType || string(env.Payload) != string(stmt) || len(env.Signatures) != 1 {
		t.Fatalf("envelope %s", body)
	}
	// DSSE's pre-authentication encoding, by hand.
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(env.Payload), env.Payload)
	h = sha256.Sum256([]byte(pae))
	if !ecdsa.VerifyASN1(pub, h[:], env.Signatures[0].Sig) {
		t.Fatal("the attestation's DSSE signature does not verify with the public key")
	}
}

func TestOtherKeyAddsSignature(t *testing.T) {
	ref, subject, _ := setup(t, false)
	k1, _ := newKey(t)
	k2, _ := newKey(t)
	for i, k := range []*Key{k1, k2} {
		res, err := Attach(context.Background(), ref, subject, Documents{}, Options{Key: k})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Written) != 1 {
			t.Fatalf("key %d: written %v; want the signature", i+1, res.Written)
		}
	}
	sig, _ := remote.Image(ref.Context().Tag("sha256-" + subject.Digest.Hex + ".sig"))
	m, _ := sig.Manifest()
	if len(m.Layers) != 2 {
		t.Fatalf(".sig has %d layers; want one per key", len(m.Layers))
	}
}

func TestStaleProvenanceRefused(t *testing.T) {
	ref, subject, _ := setup(t, false)
	d := docs(v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)})
	_, err := Attach(context.Background(), ref, subject, d, Options{})
	if err == nil || !strings.Contains(err.Error(), "subject is not the pushed image") {
		t.Fatalf("got %v", err)
	}
}

func writeKey(t *testing.T, password string) (string, []byte) {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	enc, err := encrypted.Encrypt(der, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: enc})
	p := filepath.Join(t.TempDir(), "cosign.key")
	os.WriteFile(p, pemBytes, 0o600)
	return p, pemBytes
}

func TestLoadKey(t *testing.T) {
	path, pemBytes := writeKey(t, "pw-123")
	if _, err := LoadKey("//x:push", path, "pw-123"); err != nil {
		t.Fatalf("good key: %v", err)
	}
	t.Setenv("MY_KEY", string(pemBytes))
	if _, err := LoadKey("//x:push", "env://MY_KEY", "pw-123"); err != nil {
		t.Fatalf("env:// key: %v", err)
	}
	garbled := filepath.Join(t.TempDir(), "garbled.key")
	os.WriteFile(garbled, []byte("not a key\n"), 0o600)
	cert := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2}}), 0o600)
	for _, c := range []struct{ spec, password, want string }{
		{path, "wrong", "COSIGN_PASSWORD"},
		{path, "", "it is empty or unset"},
		{filepath.Join(t.TempDir(), "missing.key"), "pw", "STRATA_SIGNING_KEY names a file that does not exist"},
		{garbled, "pw", "STRATA_SIGNING_KEY does not hold a PEM private key"},
		{cert, "pw", `type "PUBLIC KEY"`},
		{"env://UNSET_KEY_VAR", "pw", "UNSET_KEY_VAR is empty or unset"},
	} {
		_, err := LoadKey("//x:push", c.spec, c.password)
		ue, ok := usererr.As(err)
		if !ok || !strings.Contains(err.Error(), c.want) || ue.Fix == "" || ue.Target != "//x:push" {
			t.Errorf("LoadKey(%s, %q) = %v; want a user error containing %q with a fix", c.spec, c.password, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "PRIVATE KEY-----") || strings.Contains(err.Error(), string(pemBytes[40:80])) {
			t.Errorf("the error shows key material: %v", err)
		}
	}
}
