package imagetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type ent struct {
	name, link string
	typ        byte
	mode       int64
	uid, gid   int
	body       string
}

func layer(t *testing.T, es ...ent) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	data := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage: /app/bin/hello (0755, 0:0), /etc/app.conf (0644, 1000:1000)
// deleted by a whiteout in the second layer, /bin/greet -> /app/bin/hello.
func testImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image,
		layer(t,
			ent{name: "app/", typ: tar.TypeDir, mode: 0o755},
			ent{name: "app/bin/", typ: tar.TypeDir, mode: 0o755},
			ent{name: "app/bin/hello", typ: tar.TypeReg, mode: 0o755, body: "hello"},
			ent{name: "etc/", typ: tar.TypeDir, mode: 0o755},
			ent{name: "etc/app.conf", typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, body: "x=1"},
			ent{name: "etc/keep.conf", typ: tar.TypeReg, mode: 0o600, body: "k"},
		),
		layer(t,
			ent{name: "bin/", typ: tar.TypeDir, mode: 0o755},
			ent{name: "bin/greet", typ: tar.TypeSymlink, mode: 0o777, link: "/app/bin/hello"},
			ent{name: "etc/.wh.app.conf", typ: tar.TypeReg, mode: 0o644},
		),
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{
		Entrypoint:   []string{"/app/bin/hello"},
		Cmd:          []string{"greet"},
		Env:          []string{"PATH=/bin", "MODE=prod"},
		User:         "1000:1000",
		WorkingDir:   "/app",
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels:       map[string]string{"org.opencontainers.image.title": "hello"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestEveryKindOfExpectationHolds(t *testing.T) {
	spec := Spec{
		Target: "//app:image_test",
		Files: map[string]string{
			"/app/bin/hello": "file mode=0755 owner=0:0 sha256=" + sum("hello"),
			"/bin/greet":     "symlink target=/app/bin/hello",
			"/app":           "dir mode=755",
			"/etc/keep.conf": "",
		},
		Absent: []string{"/etc/app.conf", "/etc/shadow"},
		Config: ConfigSpec{
			Entrypoint: []string{"/app/bin/hello"}, Cmd: []string{"greet"},
			Env: map[string]string{"MODE": "prod"}, User: "1000:1000", WorkingDir: "/app",
			ExposedPorts: []string{"8080"}, Labels: map[string]string{"org.opencontainers.image.title": "hello"},
		},
		MaxLayerSize: 1 << 20, MaxSize: 1 << 20, MaxLayerUncompressedSize: 1 << 20, MaxUncompressedSize: 1 << 20,
	}
	r, err := Check(spec, testImage(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed() {
		var b strings.Builder
		r.Write(&b, spec.Target)
		t.Fatalf("expected no findings:\n%s", b.String())
	}
}

func TestEveryKindOfMismatchIsReported(t *testing.T) {
	spec := Spec{
		Target: "//app:image_test",
		Files: map[string]string{
			"/app/bin/hello": "dir mode=0644 owner=1:1 sha256=" + sum("other"),
			"/bin/greet":     "symlink target=/bin/busybox",
			"/missing":       "file",
			"/etc/keep.conf": "color=blue",
		},
		Absent: []string{"/app/bin/hello"},
		Config: ConfigSpec{
			Entrypoint: []string{"/bin/sh"}, Cmd: []string{},
			Env: map[string]string{"MODE": "dev", "UNSET": "1"}, User: "root", WorkingDir: "/",
			ExposedPorts: []string{"9090/udp"}, Labels: map[string]string{"team": "x"},
		},
		MaxLayerSize: 10, MaxUncompressedSize: 100,
	}
	r, err := Check(spec, testImage(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	r.Write(&b, spec.Target)
	report := b.String()
	for _, want := range []string{
		"//app:image_test: the image does not match its expectations",
		"/app/bin/hello: type: want dir, got file",
		"/app/bin/hello: mode: want 0644, got 0755",
		"/app/bin/hello: owner: want 1:1, got 0:0",
		"/app/bin/hello: sha256: want " + sum("other") + ", got " + sum("hello"),
		"/bin/greet: target: want /bin/busybox, got /app/bin/hello",
		"/missing: want it to exist, it does not",
		`/etc/keep.conf: unknown expectation "color=blue"`,
		"/app/bin/hello: want it absent, it is a file",
		`entrypoint: want ["/bin/sh"], got ["/app/bin/hello"]`,
		`cmd: want [], got ["greet"]`,
		`env MODE: want "dev", got "prod"`,
		`env UNSET: want "1", got (unset)`,
		`user: want "root", got "1000:1000"`,
		`workdir: want "/", got "/app"`,
		`exposed_ports: want ["9090/udp"], got ["8080/tcp"]`,
		`label team: want "x", got (unset)`,
		"size budgets:",
		"layer 1",
		"OVER",
		"total",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestNoBudgetReadsNoLayer(t *testing.T) {
	// Config-only expectations must not need layer bytes (a shallow base has none).
	img := testImage(t)
	r, err := Check(Spec{Config: ConfigSpec{User: "1000:1000"}}, img)
	if err != nil || r.Failed() {
		t.Fatalf("Check = %+v, %v", r, err)
	}
}
