package pull_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/pull"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
	"github.com/strata-build/rules_strata/go/spec"
)

var (
	retry   = regclient.Retry{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: 5 * time.Second}
	amd64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64v8 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

var host = registrytest.Host

// seed pushes a random 2-layer image to srv/base:1 and returns it.
func seed(t *testing.T, srv *httptest.Server) (v1.Image, v1.Hash) {
	t.Helper()
	img := registrytest.Image(t, 1024, 2)
	return img, registrytest.Push(t, host(srv)+"/base:1", img)
}

func TestShallowAndFull(t *testing.T) {
	srv := registrytest.Serve(t)
	img, d := seed(t, srv)
	for _, layers := range []bool{false, true} {
		out := t.TempDir()
		s, err := pull.Pull(context.Background(), pull.Request{Name: "base", Image: host(srv) + "/base", Digest: d.String(), Platform: amd64, Layers: layers, Out: out}, retry)
		if err != nil {
			t.Fatal(err)
		}
		if s.Layers != 2 || s.ManifestDigest != d.String() {
			t.Errorf("summary %+v", s)
		}
		raw, _ := img.RawManifest()
		got, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
		if string(got) != string(raw) {
			t.Error("manifest.json is not the registry's manifest byte for byte")
		}
		ls, _ := img.Layers()
		for i, l := range ls {
			desc, err := spec.ReadDescriptor(filepath.Join(out, "layer_"+string(rune('0'+i))+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := l.Digest()
			diff, _ := l.DiffID()
			if desc.Digest != want || desc.DiffID != diff || desc.Source != host(srv)+"/base" {
				t.Errorf("layer %d descriptor %+v", i, desc)
			}
			_, statErr := os.Stat(filepath.Join(out, "blobs", "layer_"+string(rune('0'+i))))
			if layers != (statErr == nil) {
				t.Errorf("layers=%v but blob present=%v", layers, statErr == nil)
			}
		}
	}
}

// TestIndexPicksPlatform: an index pull takes the entry of the platform
// asked for; a platform without a variant takes the index's entry of that os
// and architecture whatever its variant; a platform the index lacks is an
// error listing those it has.
func TestIndexPicksPlatform(t *testing.T) {
	srv := registrytest.Serve(t)
	idx := registrytest.Index(t, amd64, arm64v8)
	id := registrytest.PushIndex(t, host(srv)+"/multi:1", idx)
	im, _ := idx.IndexManifest()
	bd := im.Manifests[1].Digest
	for _, p := range []v1.Platform{arm64v8, {OS: "linux", Architecture: "arm64"}} {
		s, err := pull.Pull(context.Background(), pull.Request{Name: "multi", Image: host(srv) + "/multi", Digest: id.String(), Platform: p, Out: t.TempDir()}, retry)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if s.ManifestDigest != bd.String() || s.Digest != id.String() {
			t.Errorf("%s: picked %s, want the arm64 manifest %s", p, s.ManifestDigest, bd)
		}
	}
	_, err := pull.Pull(context.Background(), pull.Request{Name: "multi", Image: host(srv) + "/multi", Digest: id.String(), Platform: v1.Platform{OS: "linux", Architecture: "s390x"}, Out: t.TempDir()}, retry)
	if err == nil || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	srv := registrytest.Serve(t)
	_, d := seed(t, srv)
	// A manifest that is JSON but not an image: config without digest.
	bogus := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`)
	badRef, _ := name.ParseReference(host(srv) + "/junk:1")
	if err := remote.Put(badRef, rawManifest(bogus)); err != nil {
		t.Fatal(err)
	}
	bogusDigest := sha256Hex(bogus)
	zero := "sha256:" + strings.Repeat("0", 64)
	for name, c := range map[string]struct {
		req  pull.Request
		want []string
	}{
		"tag without digest": {pull.Request{Image: host(srv) + "/base", Tag: "1"}, []string{"not pinned", `digest = "` + d.String() + `"`}},
		"nothing pinned":     {pull.Request{Image: host(srv) + "/base"}, []string{"no digest", "fix:"}},
		"wrong digest":       {pull.Request{Image: host(srv) + "/base", Digest: zero}, []string{"no such repository or digest", "fix:"}},
		"unknown repository": {pull.Request{Image: host(srv) + "/nope", Digest: d.String()}, []string{"no such repository or digest"}},
		"malformed manifest": {pull.Request{Image: host(srv) + "/junk", Digest: bogusDigest}, []string{"malformed manifest"}},
		"not a repository":   {pull.Request{Image: host(srv) + "/base@" + d.String(), Digest: d.String()}, []string{"not a repository name"}},
		"bad digest":         {pull.Request{Image: host(srv) + "/base", Digest: "latest"}, []string{"sha256:<64 hex digits>"}},
	} {
		c.req.Name, c.req.Platform, c.req.Out = "my_base", amd64, t.TempDir()
		_, err := pull.Pull(context.Background(), c.req, retry)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range append(c.want, `image_pull(name = "my_base")`) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", name, w, err)
			}
		}
	}
}

func TestCredentials(t *testing.T) {
	reg := registrytest.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv(regclient.EnvUsername, "ci")
	t.Setenv(regclient.EnvPassword, "s3cret")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	d := registrytest.Push(t, host(srv)+"/private:1", registrytest.Image(t, 256, 1), remote.WithAuthFromKeychain(regclient.Keychain()))
	req := pull.Request{Name: "private", Image: host(srv) + "/private", Digest: d.String(), Platform: amd64, Out: t.TempDir()}
	if _, err := pull.Pull(context.Background(), req, retry); err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	t.Setenv(regclient.EnvPassword, "wrong")
	_, err := pull.Pull(context.Background(), req, retry)
	if err == nil || !strings.Contains(err.Error(), "refused access") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: want a refusal that does not echo the secret, got %v", err)
	}
}

// TestContentNotMatchingDigest: a registry that serves other bytes than the
// pinned digest names is caught.
func TestContentNotMatchingDigest(t *testing.T) {
	reg := registrytest.New()
	var swap atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if swap.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/sha256:") {
			other, _ := random.Image(64, 1)
			raw, _ := other.RawManifest()
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Write(raw)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	_, d := seed(t, srv)
	swap.Store(true)
	_, err := pull.Pull(context.Background(), pull.Request{Name: "base", Image: host(srv) + "/base", Digest: d.String(), Platform: amd64, Out: t.TempDir()}, retry)
	if err == nil || !strings.Contains(err.Error(), `image_pull(name = "base")`) || !strings.Contains(err.Error(), "does not match the pinned digest") {
		t.Fatalf("want a clear error for content that does not match the digest, got %v", err)
	}
	t.Log(err)
}

// TestAnonymousBearerToken: a registry that wants a bearer token, handed out
// anonymously by its token endpoint (as public registries do), is pulled from
// without any credentials configured.
func TestAnonymousBearerToken(t *testing.T) {
	reg := registrytest.New()
	var tokens atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if _, _, ok := r.BasicAuth(); ok {
				t.Error("credentials were sent for an anonymous pull")
			}
			tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token":"anon-token","expires_in":300}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer anon-token" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="test",scope="repository:base:pull"`, srv.URL))
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	d := registrytest.Push(t, host(srv)+"/base:1", registrytest.Image(t, 256, 1))
	_, err := pull.Pull(context.Background(), pull.Request{Name: "base", Image: host(srv) + "/base", Digest: d.String(), Platform: amd64, Out: t.TempDir()}, retry)
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Load() == 0 {
		t.Fatal("the token endpoint was never asked: the bearer flow did not run")
	}
}

// TestBlobNotMatchingDigest: a config or layer blob served with other bytes
// than its digest names fails the pull (go-containerregistry's reader
// verifies what remote.Layer returns; pull does not hash it again), and no
// pulled.json is written.
func TestBlobNotMatchingDigest(t *testing.T) {
	for _, which := range []string{"config", "layer"} {
		t.Run(which, func(t *testing.T) {
			reg := registrytest.New()
			var bad atomic.Value
			bad.Store("")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if d := bad.Load().(string); d != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
					w.Write([]byte("not the blob you pinned"))
					return
				}
				reg.ServeHTTP(w, r)
			}))
			defer srv.Close()
			img, d := seed(t, srv)
			m, _ := img.Manifest()
			target := m.Config.Digest
			if which == "layer" {
				target = m.Layers[1].Digest
			}
			bad.Store(target.String())
			out := t.TempDir()
			_, err := pull.Pull(context.Background(), pull.Request{Name: "base", Image: host(srv) + "/base", Digest: d.String(), Platform: amd64, Layers: true, Out: out}, retry)
			if err == nil || !strings.Contains(err.Error(), target.Hex) || (which == "config" && !strings.Contains(err.Error(), `image_pull(name = "base")`)) {
				t.Fatalf("want an error naming the blob %s, got %v", target, err)
			}
			if _, err := os.Stat(filepath.Join(out, "pulled.json")); err == nil {
				t.Error("pulled.json written for a corrupt pull")
			}
			t.Log(err)
		})
	}
}
