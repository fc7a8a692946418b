package image_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/usererr"
)

// dockerBase writes a Docker schema 2 manifest and config, as a registry
// serves most public images, with one layer of type mt.
func dockerBase(t *testing.T, dir string, mt types.MediaType) (manifest, config string) {
	t.Helper()
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("d", 64) + `"]}}`)
	cd, cs, _ := v1.SHA256(strings.NewReader(string(cfg)))
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.DockerManifestSchema2,
		"config":        map[string]any{"mediaType": types.DockerConfigJSON, "digest": cd.String(), "size": cs},
		"layers":        []any{map[string]any{"mediaType": mt, "digest": "sha256:" + strings.Repeat("e", 64), "size": 123}},
	}
	mb, _ := json.Marshal(m)
	manifest, config = filepath.Join(dir, "bm.json"), filepath.Join(dir, "bc.json")
	os.WriteFile(manifest, mb, 0o644)
	os.WriteFile(config, cfg, 0o644)
	return manifest, config
}

// TestDockerBaseBecomesOCI: every media type of the result is OCI, and the
// base layer keeps its digest, size and diff_id.
func TestDockerBaseBecomesOCI(t *testing.T) {
	for _, c := range []struct{ in, want types.MediaType }{
		{types.DockerLayer, types.OCILayer},
		{types.DockerUncompressedLayer, types.OCIUncompressedLayer},
	} {
		dir := t.TempDir()
		bm, bc := dockerBase(t, dir, c.in)
		r, err := image.Build(image.Spec{Target: "//:app", BaseManifest: bm, BaseConfig: bc,
			Layers: []string{layerDesc(t, dir, "a")}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := v1.ParseManifest(strings.NewReader(string(r.Manifest)))
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("manifest %s, config %s", m.MediaType, m.Config.MediaType)
		}
		if got := m.Layers[0]; got.MediaType != c.want || got.Digest.Hex != strings.Repeat("e", 64) || got.Size != 123 {
			t.Errorf("base layer became %+v, want type %s and the same digest and size", got, c.want)
		}
		if strings.Contains(string(r.Manifest), "vnd.docker") {
			t.Errorf("manifest still has Docker media types: %s", r.Manifest)
		}
		cfg, _ := v1.ParseConfigFile(strings.NewReader(string(r.Config)))
		if cfg.RootFS.DiffIDs[0].Hex != strings.Repeat("d", 64) {
			t.Errorf("base diff_id changed: %v", cfg.RootFS.DiffIDs)
		}
	}
}

func TestForeignBaseLayerRefused(t *testing.T) {
	dir := t.TempDir()
	bm, bc := dockerBase(t, dir, types.DockerForeignLayer)
	_, err := image.Build(image.Spec{Target: "//:app", BaseManifest: bm, BaseConfig: bc})
	if ue, ok := usererr.As(err); !ok || !strings.Contains(ue.Problem, "non-distributable") {
		t.Fatalf("got %v, want a clear refusal of the foreign layer", err)
	}
}

// TestNoLayersIsEmptyArray: an image with no layers writes [] for the
// manifest's layers and the config's diff_ids, never null.
func TestNoLayersIsEmptyArray(t *testing.T) {
	r, err := image.Build(image.Spec{Target: "//:empty"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.Manifest), `"layers":[]`) || !strings.Contains(string(r.Config), `"diff_ids":[]`) {
		t.Fatalf("manifest %s\nconfig %s", r.Manifest, r.Config)
	}
}

func TestUserAndPortForms(t *testing.T) {
	for _, u := range []string{"app", "1000", "app:staff", "1000:1000", "app:1000", "1000:staff"} {
		if _, err := image.Build(image.Spec{Target: "//:u", User: u}); err != nil {
			t.Errorf("user %q refused: %v", u, err)
		}
	}
	for _, u := range []string{":", "app:", ":1000", "a:b:c", "my user", "1000: 1000", "app\t"} {
		_, err := image.Build(image.Spec{Target: "//:u", User: u})
		if ue, ok := usererr.As(err); !ok || ue.Path != u {
			t.Errorf("user %q: got %v, want a refusal naming it", u, err)
		}
	}
	for _, p := range []string{"1", "65535", "80/tcp", "53/udp", "9000/sctp"} {
		if _, err := image.Build(image.Spec{Target: "//:p", ExposedPorts: []string{p}}); err != nil {
			t.Errorf("port %q refused: %v", p, err)
		}
	}
	for _, p := range []string{"0", "65536", "99999", "80/http", "80/TCP", "-1", "80/"} {
		_, err := image.Build(image.Spec{Target: "//:p", ExposedPorts: []string{p}})
		if ue, ok := usererr.As(err); !ok || ue.Path != p {
			t.Errorf("port %q: got %v, want a refusal naming it", p, err)
		}
	}
}

func status(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.WriteFile(p, []byte(content), 0o644)
	return p
}

// TestStamping: templates are filled only when Status is given; unstamped
// output equals that of a spec with no stamping fields at all.
func TestStamping(t *testing.T) {
	dir := t.TempDir()
	st := status(t, dir, "stable.txt", "STABLE_GIT_COMMIT abc123\nSTABLE_COMMIT_TIME 1700000000\n")
	vo := status(t, dir, "volatile.txt", "BUILD_TIMESTAMP 1800000000\n")
	spec := image.Spec{Target: "//:s",
		Labels:      map[string]string{"org.opencontainers.image.revision": "{STABLE_GIT_COMMIT}", "plain": "x{y}"},
		Annotations: map[string]string{"org.opencontainers.image.revision": "{GIT_COMMIT}"},
		CreatedFrom: "STABLE_COMMIT_TIME"}
	unstamped, err := image.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	plain := spec
	plain.CreatedFrom = ""
	if p, _ := image.Build(plain); string(p.Config) != string(unstamped.Config) || p.Digest != unstamped.Digest {
		t.Errorf("unstamped build depends on created_from")
	}
	if !strings.Contains(string(unstamped.Config), `"{STABLE_GIT_COMMIT}"`) || !strings.Contains(string(unstamped.Config), `"1970-01-01T00:00:00Z"`) {
		t.Errorf("unstamped config: %s", unstamped.Config)
	}
	spec.Labels["plain"] = "x{y}"
	delete(spec.Labels, "plain")
	spec.Status = []string{st, vo}
	stamped, err := image.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"org.opencontainers.image.revision":"abc123"`, `"2023-11-14T22:13:20Z"`} {
		if !strings.Contains(string(stamped.Config), want) {
			t.Errorf("stamped config lacks %s: %s", want, stamped.Config)
		}
	}
	if !strings.Contains(string(stamped.Manifest), `"org.opencontainers.image.revision":"abc123"`) {
		t.Errorf("stamped manifest: %s", stamped.Manifest)
	}
	spec.CreatedFrom = "BUILD_TIMESTAMP"
	if r, _ := image.Build(spec); !strings.Contains(string(r.Config), `"2027-01-15T08:00:00Z"`) {
		t.Errorf("created from BUILD_TIMESTAMP: %s", r.Config)
	}
	spec.Labels = map[string]string{"v": "{NOPE}"}
	_, err = image.Build(spec)
	if ue, ok := usererr.As(err); !ok || !strings.Contains(ue.Problem, "NOPE") || !strings.Contains(ue.Fix, "STABLE_NOPE") {
		t.Errorf("missing key: got %v", err)
	}
	spec.Labels = map[string]string{"v": "{STABLE_NOPE}"}
	if _, err := image.Build(spec); err == nil || strings.Contains(err.Error(), "STABLE_STABLE_") || !strings.Contains(err.Error(), `"STABLE_NOPE value"`) {
		t.Errorf("missing STABLE_ key: got %v", err)
	}
	spec.Labels, spec.CreatedFrom = nil, "STABLE_GIT_COMMIT"
	if _, err := image.Build(spec); err == nil || !strings.Contains(err.Error(), "not seconds since the epoch") {
		t.Errorf("non-integer created: got %v", err)
	}
}
