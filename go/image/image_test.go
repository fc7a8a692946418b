package image_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

func layerDesc(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name+".json")
	hex := strings.Repeat(name[:1], 64)
	err := spec.Write(p, &spec.Descriptor{
		Label:     "//:" + name,
		MediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
		Digest:    v1.Hash{Algorithm: "sha256", Hex: hex}, Size: 10,
		DiffID: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("f", 63) + name[:1]},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeResult(t *testing.T, dir string, r image.Result) (manifest, config string) {
	t.Helper()
	manifest, config = filepath.Join(dir, "m.json"), filepath.Join(dir, "c.json")
	os.WriteFile(manifest, r.Manifest, 0o644)
	os.WriteFile(config, r.Config, 0o644)
	return manifest, config
}

// TestBaseInheritance builds an image on a base and checks what is inherited,
// overridden and appended.
func TestBaseInheritance(t *testing.T) {
	dir := t.TempDir()
	base, err := image.Build(image.Spec{
		Target: "//:base", Layers: []string{layerDesc(t, dir, "a")},
		Entrypoint: []string{"/bin/server"}, Cmd: []string{"--port=80"},
		Env: map[string]string{"PATH": "/bin", "LANG": "C"}, Workdir: "/srv", Architecture: "arm64", Variant: "v8",
	})
	if err != nil {
		t.Fatal(err)
	}
	bm, bc := writeResult(t, dir, base)
	child, err := image.Build(image.Spec{
		Target: "//:child", BaseManifest: bm, BaseConfig: bc,
		Layers:       []string{layerDesc(t, dir, "b")},
		Env:          map[string]string{"PATH": "/app/bin:$PATH", "MODE": "prod"},
		ExposedPorts: []string{"8080", "53/udp"},
		Annotations:  map[string]string{"org.opencontainers.image.source": "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var cfg v1.ConfigFile
	var m v1.Manifest
	json.Unmarshal(child.Config, &cfg)
	json.Unmarshal(child.Manifest, &m)
	if got, want := cfg.Config.Env, []string{"LANG=C", "PATH=/app/bin:/bin", "MODE=prod"}; !reflect.DeepEqual(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
	if cfg.Config.Entrypoint[0] != "/bin/server" || cfg.Config.Cmd[0] != "--port=80" || cfg.Config.WorkingDir != "/srv" {
		t.Errorf("runtime settings not inherited: %+v", cfg.Config)
	}
	if cfg.Architecture != "arm64" || cfg.Variant != "v8" || cfg.OS != "linux" {
		t.Errorf("platform = %s/%s/%s", cfg.OS, cfg.Architecture, cfg.Variant)
	}
	if len(m.Layers) != 2 || len(cfg.RootFS.DiffIDs) != 2 || len(cfg.History) != 2 || m.Layers[0].Digest.Hex[0] != 'a' {
		t.Errorf("layers not stacked on the base: %+v / %+v", m.Layers, cfg.RootFS)
	}
	if _, ok := cfg.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("8080 not exposed as tcp: %v", cfg.Config.ExposedPorts)
	}
	if m.Annotations["org.opencontainers.image.source"] != "x" || m.Config.Digest.String() == "" {
		t.Errorf("manifest: %+v", m)
	}
	// A new entrypoint drops the inherited arguments.
	ep, err := image.Build(image.Spec{Target: "//:ep", BaseManifest: bm, BaseConfig: bc, Entrypoint: []string{"/bin/other"}})
	if err != nil {
		t.Fatal(err)
	}
	var epCfg v1.ConfigFile
	json.Unmarshal(ep.Config, &epCfg)
	if epCfg.Config.Cmd != nil || epCfg.Config.Entrypoint[0] != "/bin/other" {
		t.Errorf("cmd %q inherited across a new entrypoint", epCfg.Config.Cmd)
	}
}

func TestDigestIsOfManifestBytes(t *testing.T) {
	r, err := image.Build(image.Spec{Target: "//:x"})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(strings.NewReader(string(r.Manifest)))
	if h != r.Digest {
		t.Fatalf("digest %s is not the sha256 of the manifest (%s)", r.Digest, h)
	}
	if !strings.Contains(string(r.Config), `"created":"1970-01-01T00:00:00Z"`) {
		t.Errorf("created is not the epoch: %s", r.Config)
	}
}

func TestBadSettings(t *testing.T) {
	for name, spec := range map[string]image.Spec{
		"env name with =": {Env: map[string]string{"A=B": "c"}},
		"empty env name":  {Env: map[string]string{"": "c"}},
		"port":            {ExposedPorts: []string{"http"}},
		"volume":          {Volumes: []string{"data"}},
	} {
		spec.Target = "//:img"
		_, err := image.Build(spec)
		ue, ok := usererr.As(err)
		if !ok || ue.Target != "//:img" || ue.Fix == "" {
			t.Errorf("%s: want a user error naming //:img with a fix, got %v", name, err)
		}
	}
}

// A base's layers hold binaries for the base's platform: an image that
// claims another (an image_index platform over a single-platform base) is
// refused, and fields either side leaves empty match.
func TestBasePlatformMustMatch(t *testing.T) {
	dir := t.TempDir()
	base, err := image.Build(image.Spec{Target: "//:base", Layers: []string{layerDesc(t, dir, "a")}, Architecture: "arm64", Variant: "v8"})
	if err != nil {
		t.Fatal(err)
	}
	bm, bc := writeResult(t, dir, base)
	for _, ok := range []image.Spec{{}, {Architecture: "arm64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		ok.Target, ok.BaseManifest, ok.BaseConfig = "//:app", bm, bc
		if _, err := image.Build(ok); err != nil {
			t.Errorf("%s/%s/%s on a linux/arm64/v8 base: %v", ok.OS, ok.Architecture, ok.Variant, err)
		}
	}
	for _, c := range []struct {
		bad  image.Spec
		want string
	}{
		{image.Spec{Architecture: "amd64"}, "the base image is linux/arm64/v8 but this image is linux/amd64:"},
		{image.Spec{Architecture: "arm64", Variant: "v9"}, "the base image is linux/arm64/v8 but this image is linux/arm64/v9"},
		{image.Spec{OS: "windows"}, "the base image is linux/arm64/v8 but this image is windows/arm64/v8"},
	} {
		bad, want := c.bad, c.want
		bad.Target, bad.BaseManifest, bad.BaseConfig = "//:app", bm, bc
		_, err := image.Build(bad)
		ue, ok := usererr.As(err)
		if !ok || ue.Target != "//:app" || !strings.Contains(ue.Problem, want) || !strings.Contains(ue.Fix, "image_pull(platforms") {
			t.Errorf("%+v: want a user error naming //:app with %q and a fix, got %v", bad, want, err)
		}
	}
}
