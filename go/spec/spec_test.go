package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/spec"
)

var (
	sha  = "sha256:" + strings.Repeat("a", 64)
	desc = `"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + sha + `","size":3,"diffID":"` + sha + `"`
)

// kinds has, per file type, a valid body (without "v") and a body that
// lacks a required field; each case below wraps them.
var kinds = []struct {
	name         string
	read         func(string) error
	valid, lacks string
	missingField string
}{
	{"descriptor", func(p string) error { _, err := spec.ReadDescriptor(p); return err },
		desc + `,"label":"//a:l"`, desc, "label"},
	{"pulled descriptor", func(p string) error { _, err := spec.ReadDescriptor(p); return err },
		desc + `,"source":"r.example/x"`, `"mediaType":"x","size":1,"diffID":"` + sha + `","source":"r"`, "digest"},
	{"layer", func(p string) error { _, err := spec.ReadLayer(p); return err },
		`"target":"//a:l","compression":"gzip","files":[{"src":"x","dst":"/x","executable":false}]`, `"compression":"gzip"`, "target"},
	{"image", func(p string) error { _, err := spec.ReadImage(p); return err },
		`"target":"//a:i","layers":["d.json"],"created":0`, `"layers":[]`, "target"},
	{"image files", func(p string) error { _, err := spec.ReadImageFiles(p); return err },
		`"target":"//a:i","manifest":"m","config":"c","digest":"d","layers":[{"descriptor":"x","blob":""}]`, `"manifest":"m","digest":"d"`, "config"},
	{"push", func(p string) error { _, err := spec.ReadPush(p); return err },
		`"digest":"` + sha + `","manifest":"e30=","config":"e30=","layers":[{"descriptor":{"v":1,` + desc + `},"blob":"b"}]`, `"manifest":"e30=","config":"e30="`, "digest"},
	{"index push", func(p string) error { _, err := spec.ReadIndexPush(p); return err },
		`"index_digest":"` + sha + `","index":"e30=","children":[]`, `"index_digest":"` + sha + `"`, "index"},
	{"sbom", func(p string) error { _, err := spec.ReadSBOM(p); return err },
		`"target":"//a:i","digest":"d","config":"c","layers":[{"label":"//a:l","descriptor":"x","listing":"","from_base":false}]`, `"target":"//a:i","config":"c"`, "digest"},
	{"pulled", func(p string) error { _, err := spec.ReadPulled(p); return err },
		`"image":"r.example/x","digest":"` + sha + `","manifest_digest":"` + sha + `","layers":2,"blobs":false`, `"image":"r.example/x","digest":"` + sha + `"`, "manifest_digest"},
	{"image test", func(p string) error { _, err := spec.ReadImageTest(p); return err },
		`"target":"//a:t","files":{"/x":"file"},"config":{"user":"1"}`, `"files":{}`, "target"},
}

// TestRead: each file type is accepted at version 1, and refused, naming
// the file and the problem, with an unknown field, another version, no
// version, or a required field missing.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	for _, k := range kinds {
		for _, c := range []struct{ name, body, want string }{
			{"accept", `{"v":1,` + k.valid + `}`, ""},
			{"unknown field", `{"v":1,` + k.valid + `,"nope":1}`, `unknown field "nope"`},
			{"wrong version", `{"v":2,` + k.valid + `}`, "version 2, this strata reads version 1"},
			{"no version", `{` + k.valid + `}`, "version 0, this strata reads version 1"},
			{"missing field", `{"v":1,` + k.lacks + `}`, `missing required field "` + k.missingField},
			{"empty", ``, "empty or cut short"},
			{"two values", `{"v":1,` + k.valid + `}{}`, "more than one JSON value"},
		} {
			p := filepath.Join(dir, strings.ReplaceAll(k.name+"-"+c.name, " ", "_")+".json")
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			err := k.read(p)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s: %s: refused: %v", k.name, c.name, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p)):
				t.Errorf("%s: %s: got %v, want an error naming %s and saying %q", k.name, c.name, err, p, c.want)
			}
		}
	}
}

// TestRoundTrip: what Write stores, Read accepts, at the current version.
func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.json")
	d := spec.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Size: 1, Label: "//a:l", BazelLabel: "@@//a:l"}
	d.Digest.Algorithm, d.Digest.Hex = "sha256", strings.Repeat("b", 64)
	d.DiffID = d.Digest
	if err := spec.Write(p, &d); err != nil {
		t.Fatal(err)
	}
	got, err := spec.ReadDescriptor(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.V != spec.Version || got.Label != "//a:l" || got.BuildLabel() != "@@//a:l" || got.OCI().Digest != d.Digest {
		t.Errorf("round trip: got %+v", got)
	}
	b, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(b), "{\n  \"v\": 1,") {
		t.Errorf("the version is not the first field:\n%s", b)
	}
}

// TestBuildLabel: push rebuilds with BazelLabel when the layer action
// recorded one, else with Label; a pulled layer has none.
func TestBuildLabel(t *testing.T) {
	p := spec.Push{Layers: []spec.PushLayer{
		{Descriptor: spec.Descriptor{Label: "//a:l"}},
		{Descriptor: spec.Descriptor{Label: "//a:m", BazelLabel: "@@//a:m"}},
		{Descriptor: spec.Descriptor{Source: "r/x"}},
	}}
	if got := strings.Join(p.Targets(), ","); got != "//a:l,@@//a:m," {
		t.Errorf("targets: %q", got)
	}
}
