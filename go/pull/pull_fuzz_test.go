package pull_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/strata-build/rules_strata/go/pull"
	"github.com/strata-build/rules_strata/go/usererr"
)

// served is what the fuzz registry answers: one manifest (for every
// manifest digest) and one blob (for every blob digest).
type served struct {
	manifest, blob []byte
	mediaType      string
}

// FuzzPull serves untrusted manifest, index and config bytes from a registry
// and pulls them by their digest: Pull must refuse what is malformed with a
// usererr.Error naming the image_pull, and never panic.
//
// mode picks the manifest's media type (0 OCI manifest, 1 OCI index, 2
// Docker manifest, 3 Docker list); with mode&4 the manifest is a valid one
// around the fuzzed config, so the config parser gets the fuzzed bytes.
func FuzzPull(f *testing.F) {
	var cur atomic.Pointer[served]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := cur.Load()
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.Contains(r.URL.Path, "/manifests/"):
			w.Header().Set("Content-Type", s.mediaType)
			w.Header().Set("Docker-Content-Digest", sha256Hex(s.manifest))
			w.Header().Set("Content-Length", fmt.Sprint(len(s.manifest)))
			if r.Method != http.MethodHead {
				w.Write(s.manifest)
			}
		case strings.Contains(r.URL.Path, "/blobs/"):
			w.Header().Set("Content-Length", fmt.Sprint(len(s.blob)))
			if r.Method != http.MethodHead {
				w.Write(s.blob)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`), []byte(cfg), byte(0))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2,"platform":{"os":"linux","architecture":"amd64"}}]}`), []byte(cfg), byte(1))
	f.Add([]byte(`{"schemaVersion":2,"config":{"digest":"sha256:`+strings.Repeat("b", 64)+`","size":3},"layers":[{"digest":"x"}]}`), []byte(cfg), byte(2))
	f.Add([]byte(`{`), []byte(cfg), byte(3))
	f.Add([]byte{}, []byte(cfg), byte(4))
	f.Add([]byte{}, []byte(`{"rootfs":{"diff_ids":["sha256:zz"]}}`), byte(6))
	f.Add([]byte{}, []byte(`{"created":"99999-01-01T00:00:00Z","rootfs":{"diff_ids":[]}}`), byte(4))
	f.Add([]byte{}, []byte(``), byte(5))

	types := []string{
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
	}
	f.Fuzz(func(t *testing.T, manifest, blob []byte, mode byte) {
		s := &served{manifest: manifest, blob: blob, mediaType: types[mode%4]}
		if mode&4 != 0 {
			sum := sha256.Sum256(blob)
			s.mediaType = types[0]
			s.manifest = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[]}`,
				types[0], hex.EncodeToString(sum[:]), len(blob)))
		}
		cur.Store(s)
		req := pull.Request{Name: "fuzz", Image: host(srv) + "/fuzz", Digest: sha256Hex(s.manifest), Platform: amd64, Out: t.TempDir()}
		_, err := pull.Pull(context.Background(), req, retry)
		if err == nil {
			return
		}
		if _, ok := usererr.As(err); !ok || !strings.Contains(err.Error(), `image_pull(name = "fuzz")`) {
			t.Fatalf("refused without naming the image_pull: %T %v", err, err)
		}
	})
}
