package dockerarchive_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/blobimage/blobimagetest"
	"github.com/strata-build/rules_strata/go/dockerarchive"
)

func write(t *testing.T, img *blobimage.Image, tags ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := dockerarchive.Write(&buf, img, tags); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTarballReaderLoadsIt: go-containerregistry's docker-archive reader (the
// format docker load reads) gets back the same image, each tag pointing at
// it, and its validator reads every blob.
func TestTarballReaderLoadsIt(t *testing.T) {
	want, err := random.Image(1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	archive := write(t, blobimagetest.OnDisk(t, want, false), "strata.local/app:v1", "127.0.0.1:5000/team/app:latest")
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(archive)), nil }
	for _, tag := range []string{"strata.local/app:v1", "127.0.0.1:5000/team/app:latest"} {
		ref, _ := name.NewTag(tag)
		got, err := tarball.Image(opener, &ref)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if err := validate.Image(got); err != nil {
			t.Fatalf("%s: validate: %v", tag, err)
		}
		gotCfg, _ := got.ConfigName()
		wantCfg, _ := want.ConfigName()
		if gotCfg != wantCfg {
			t.Errorf("%s: config %s, want %s", tag, gotCfg, wantCfg)
		}
		gotLayers, _ := got.Layers()
		wantLayers, _ := want.Layers()
		for i := range wantLayers {
			g, _ := gotLayers[i].DiffID()
			w, _ := wantLayers[i].DiffID()
			if g != w {
				t.Errorf("%s: layer %d diffID %s, want %s", tag, i, g, w)
			}
		}
	}
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m[0].RepoTags, " "); got != "strata.local/app:v1 127.0.0.1:5000/team/app:latest" {
		t.Errorf("RepoTags %q: not in the order given", got)
	}
}

// TestCanonical: the same image gives the same bytes; every entry has
// mtime 0, root ownership and mode 0644 (0755 for directories); a layer used twice is stored once;
// names are sorted.
func TestCanonical(t *testing.T) {
	base, _ := random.Image(512, 1)
	ls, _ := base.Layers()
	img, err := mutate.AppendLayers(base, ls[0]) // the same layer twice
	if err != nil {
		t.Fatal(err)
	}
	a, b := write(t, blobimagetest.OnDisk(t, img, false)), write(t, blobimagetest.OnDisk(t, img, false))
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of one image differ")
	}
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		mode := int64(0o644)
		if h.Typeflag == tar.TypeDir {
			mode = 0o755
		}
		if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 || h.Mode != mode || h.Uname != "" {
			t.Errorf("%s: mtime %d, owner %d:%d %q, mode %o", h.Name, h.ModTime.Unix(), h.Uid, h.Gid, h.Uname, h.Mode)
		}
	}
	layer, _ := ls[0].Digest()
	cfg, _ := img.ConfigName()
	want := []string{"blobs/", "blobs/sha256/", "blobs/sha256/" + layer.Hex, "blobs/sha256/" + cfg.Hex, "manifest.json"}
	if layer.Hex > cfg.Hex {
		want[2], want[3] = want[3], want[2]
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries %q, want %q", names, want)
	}
	var m tarball.Manifest
	tr = tar.NewReader(bytes.NewReader(a))
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		if h.Name == "manifest.json" {
			json.NewDecoder(tr).Decode(&m)
		}
	}
	if len(m) != 1 || len(m[0].Layers) != 2 || m[0].Layers[0] != m[0].Layers[1] {
		t.Errorf("manifest.json %+v: want the one blob listed twice", m)
	}
}

func TestRefused(t *testing.T) {
	img, _ := random.Image(256, 1)
	bi := blobimagetest.OnDisk(t, img, false)
	if err := dockerarchive.Write(io.Discard, bi, []string{"Not A Tag!"}); err == nil {
		t.Error("an invalid tag was accepted")
	}
	shallow := blobimagetest.OnDisk(t, img, true)
	err := dockerarchive.Write(io.Discard, shallow, nil)
	if err == nil || !strings.Contains(err.Error(), "download_layers") {
		t.Errorf("a base layer that was not downloaded: %v", err)
	}
}
