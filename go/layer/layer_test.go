package layer_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/strata-build/rules_strata/go/layer"
	wire "github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/tarlisting"
	"github.com/strata-build/rules_strata/go/usererr"
)

func write(t *testing.T, p, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// build runs layer.Build and returns the descriptor and the tar listing
// (after decompressing with the standard library, an independent reader).
func build(t *testing.T, spec layer.Spec) (wire.Descriptor, string) {
	t.Helper()
	blob := filepath.Join(t.TempDir(), "blob")
	desc, err := layer.Build(spec, blob)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch spec.Compression {
	case "gzip":
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	case "zstd":
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	listing, err := tarlisting.List(r)
	if err != nil {
		t.Fatal(err)
	}
	return desc, listing
}

var yes, no = true, false

func fixture(t *testing.T, dir string) layer.Spec {
	app := write(t, filepath.Join(dir, "bin/app"), "binary", 0o755)
	cfg := write(t, filepath.Join(dir, "cfg/app.conf"), "port=8080\n", 0o644)
	write(t, filepath.Join(dir, "static/css/site.css"), "body{}", 0o644)
	write(t, filepath.Join(dir, "static/index.html"), "<html>", 0o644)
	return layer.Spec{
		Target:      "//pkg:layer",
		Compression: "gzip",
		Files: []layer.File{
			{Src: app, Dst: "/app/bin/app", Executable: &yes},
			{Src: cfg, Dst: "etc/app/app.conf", Executable: &no},
			{Src: filepath.Join(dir, "static"), Dst: "/srv/www", Executable: &no, Tree: true},
		},
		Symlinks:  []layer.Symlink{{Path: "/bin/sh", Target: "/bin/busybox"}},
		EmptyDirs: []string{"/tmp"},
		Modes:     map[string]string{"/tmp": "1777"},
		Owners:    map[string]string{"etc/app/app.conf": "1000:1000"},
	}
}

func TestLayerListing(t *testing.T) {
	_, got := build(t, fixture(t, t.TempDir()))
	// Content hashes checked with `printf ... | sha256sum`.
	want := `{"path":"app/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"app/bin/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"app/bin/app","type":"file","mode":"0755","uid":0,"gid":0,"size":6,"sha256":"9a3a45d01531a20e89ac6ae10b0b0beb0492acd7216a368aa062d1a5fecaf9cd","mtime":0,"format":"USTAR"}
{"path":"bin/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"bin/sh","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"/bin/busybox","mtime":0,"format":"USTAR"}
{"path":"etc/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"etc/app/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"etc/app/app.conf","type":"file","mode":"0644","uid":1000,"gid":1000,"size":10,"sha256":"732322f37243042be9e5af21441ccfeed748f1cc2dacce6a9cc8cf31b4207083","mtime":0,"format":"USTAR"}
{"path":"srv/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"srv/www/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"srv/www/css/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"srv/www/css/site.css","type":"file","mode":"0644","uid":0,"gid":0,"size":6,"sha256":"7c98040a541657584690ae2a1cc3b42a8b53b159cc60c5d3abbfecbaeac6c94a","mtime":0,"format":"USTAR"}
{"path":"srv/www/index.html","type":"file","mode":"0644","uid":0,"gid":0,"size":6,"sha256":"b7d082ee12e91b756ea22e8513b8594eebcf5d39fab813da3cb55794dc888ad7","mtime":0,"format":"USTAR"}
{"path":"tmp/","type":"dir","mode":"1777","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
`
	if got != want {
		t.Errorf("listing differs\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestReproducibleAcrossHosts builds the same spec from two checkouts made
// with different umasks and file mtimes: the digests must be identical.
func TestReproducibleAcrossHosts(t *testing.T) {
	old := syscall.Umask(0o022)
	a := fixture(t, t.TempDir())
	syscall.Umask(0o077)
	bDir := t.TempDir()
	b := fixture(t, bDir)
	syscall.Umask(old)
	later := time.Now().Add(-1000 * time.Hour)
	filepath.Walk(bDir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	for _, c := range []string{"gzip", "zstd", "none"} {
		a.Compression, b.Compression = c, c
		da, _ := build(t, a)
		db, _ := build(t, b)
		if da.Digest != db.Digest || da.DiffID != db.DiffID || da.Size != db.Size {
			t.Errorf("%s: descriptors differ:\n%+v\n%+v", c, da, db)
		}
	}
}

func tarFile(t *testing.T, p string, gz bool, entries ...tar.Header) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := strings.Repeat("x", int(h.Size))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	data := buf.Bytes()
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	return write(t, p, string(data), 0o644)
}

func TestMergesTars(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	plain := tarFile(t, filepath.Join(dir, "a.tar"), false,
		tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now},
		tar.Header{Name: "./usr/lib/libz.so.1", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3, Uname: "alice", Uid: 7, Gid: 8, ModTime: now},
		tar.Header{Name: "./usr/lib/libz.so", Typeflag: tar.TypeSymlink, Linkname: "libz.so.1", ModTime: now},
		tar.Header{Name: "./usr/lib/hard", Typeflag: tar.TypeLink, Linkname: "./usr/lib/libz.so.1", ModTime: now})
	gz := tarFile(t, filepath.Join(dir, "b.tar.gz"), true,
		tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: now},
		tar.Header{Name: "etc/big", Typeflag: tar.TypeReg, Mode: 0o600, Size: 70000, ModTime: now})
	_, got := build(t, layer.Spec{Target: "//t", Compression: "zstd", Tars: []string{plain, gz}})
	for _, line := range []string{
		`{"path":"etc/","type":"dir","mode":"0700","uid":0,"gid":0,"mtime":0,"format":"USTAR"}`,
		`{"path":"etc/big","type":"file","mode":"0600","uid":0,"gid":0,"size":70000,`,
		`{"path":"usr/lib/hard","type":"file","mode":"0644","uid":7,"gid":8,"size":3,"sha256":"cd2eb0837c9b4c962c22d2ff8b5441b7b45805887f051d39bf133b583baf6860"`,
		`{"path":"usr/lib/libz.so","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"libz.so.1","mtime":0,"format":"USTAR"}`,
		`{"path":"usr/lib/libz.so.1","type":"file","mode":"0644","uid":7,"gid":8,"size":3,"sha256":"cd2eb0837c9b4c962c22d2ff8b5441b7b45805887f051d39bf133b583baf6860"`,
	} {
		if !strings.Contains(got, line) {
			t.Errorf("listing lacks %s\n%s", line, got)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a"), "a", 0o644)
	b := write(t, filepath.Join(dir, "b"), "b", 0o644)
	a2 := write(t, filepath.Join(dir, "a2"), "a", 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	srcDir := filepath.Join(dir, "static")
	write(t, filepath.Join(srcDir, "f"), "f", 0o644)
	cases := []struct {
		name string
		spec layer.Spec
		want []string // substrings of the message
	}{
		{"conflict", layer.Spec{Files: []layer.File{{Src: a, Dst: "x", Executable: &no}, {Src: b, Dst: "/x", Executable: &no}}},
			[]string{`"x"`, "different content", a, b, "fix:"}},
		{"escape", layer.Spec{Files: []layer.File{{Src: a, Dst: "../../etc/passwd", Executable: &no}}},
			[]string{`"../../etc/passwd"`, "escapes the image root", "fix:"}},
		{"missing", layer.Spec{Files: []layer.File{{Src: filepath.Join(dir, "nope"), Dst: "x", Label: "//pkg:nope", Executable: &no}}},
			[]string{"//pkg:nope", "no such file", "fix:"}},
		{"compression", layer.Spec{Compression: "brotli"}, []string{`unknown compression "brotli"`, "fix:"}},
		{"source directory", layer.Spec{Files: []layer.File{{Src: srcDir, Dst: "/srv/www", Label: "//pkg:static", Attr: "files", Executable: &no}}},
			[]string{`"srv/www"`, "files: //pkg:static", "checked-in directory", "does not track", "fix:", "glob", "strip_prefix"}},
		{"fifo", layer.Spec{Files: []layer.File{{Src: fifo, Dst: "/x", Label: "//pkg:fifo", Executable: &no}}},
			[]string{`"x"`, "source //pkg:fifo (" + fifo + ") is not a regular file", "fix:"}},
		{"no executable flag", layer.Spec{Files: []layer.File{{Src: a, Dst: "x"}}},
			[]string{`"x"`, "no executable flag", "fix:"}},
		{"executables of a directory", layer.Spec{EmptyDirs: []string{"/d"}, Executables: []string{"/d"}},
			[]string{`"/d"`, "not a regular file", "fix:"}},
		{"executables of absent path", layer.Spec{Executables: []string{"/nope"}},
			[]string{`"/nope"`, "not in the layer", "fix:"}},
		{"mode", layer.Spec{Files: []layer.File{{Src: a, Dst: "x", Executable: &no}}, Modes: map[string]string{"x": "rwx"}},
			[]string{`"x"`, "octal", "fix:"}},
		{"mode of absent path", layer.Spec{Files: []layer.File{{Src: a, Dst: "x", Executable: &no}}, Modes: map[string]string{"/y": "0755"}},
			[]string{`"/y"`, "not in the layer", "fix:"}},
		{"file under file", layer.Spec{Files: []layer.File{{Src: a, Dst: "x", Executable: &no}, {Src: b, Dst: "x/y", Executable: &no}}},
			[]string{`"x/y"`, b, `is under "x", which is a regular file`, a, "fix:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Target = "//pkg:layer"
			if c.spec.Compression == "" {
				c.spec.Compression = "gzip"
			}
			_, err := layer.Build(c.spec, filepath.Join(t.TempDir(), "blob"))
			if _, ok := usererr.As(err); !ok {
				t.Fatalf("want a usererr.Error, got %T %v", err, err)
			}
			for _, w := range append(c.want, "//pkg:layer") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
		})
	}
	// Same content twice is not a conflict.
	if _, err := layer.Build(layer.Spec{Compression: "none", Files: []layer.File{{Src: a, Dst: "x", Executable: &no}, {Src: a2, Dst: "x", Executable: &no}}}, filepath.Join(dir, "ok")); err != nil {
		t.Errorf("identical duplicates rejected: %v", err)
	}
}

// TestModeRules: dir_mode covers implicit parents, and Starlark's executable
// flag alone decides 0644/0755, whatever the bits on disk (0555 here, as
// Bazel leaves generated files).
func TestModeRules(t *testing.T) {
	dir := t.TempDir()
	generated := write(t, filepath.Join(dir, "gen.conf"), "x", 0o555)
	tool := write(t, filepath.Join(dir, "tool"), "y", 0o555)
	_, got := build(t, layer.Spec{Target: "//t", Compression: "none", DirMode: "0750", UID: 7, Files: []layer.File{
		{Src: generated, Dst: "/etc/app/gen.conf", Executable: &no},
		{Src: tool, Dst: "/usr/bin/tool", Executable: &yes},
	}})
	for _, line := range []string{
		`{"path":"etc/","type":"dir","mode":"0750","uid":0,"gid":0,`,
		`{"path":"etc/app/gen.conf","type":"file","mode":"0644","uid":7,`,
		`{"path":"usr/bin/tool","type":"file","mode":"0755","uid":7,`,
	} {
		if !strings.Contains(got, line) {
			t.Errorf("listing lacks %s\n%s", line, got)
		}
	}
}

// TestModesIgnoreDisk: a remote worker marks every input executable, and a
// checkout may lose the bits; the layer must not change either way. The
// same spec built from files chmod'ed 0755 and 0600 gives one digest.
func TestModesIgnoreDisk(t *testing.T) {
	dir := t.TempDir()
	spec := fixture(t, dir)
	spec.Executables = []string{"/srv/www/index.html"}
	want, listing := build(t, spec)
	for _, mode := range []os.FileMode{0o755, 0o600} {
		filepath.Walk(dir, func(p string, info os.FileInfo, _ error) error {
			if info.Mode().IsRegular() {
				os.Chmod(p, mode)
			}
			return nil
		})
		if got, _ := build(t, spec); got.Digest != want.Digest {
			t.Errorf("files chmod %o: digest %s, want %s", mode, got.Digest, want.Digest)
		}
	}
	for _, line := range []string{
		`{"path":"app/bin/app","type":"file","mode":"0755",`,
		`{"path":"srv/www/css/site.css","type":"file","mode":"0644",`,
		`{"path":"srv/www/index.html","type":"file","mode":"0755",`,
	} {
		if !strings.Contains(listing, line) {
			t.Errorf("listing lacks %s\n%s", line, listing)
		}
	}
}

// treeFixture makes a tree artifact at root/out/tree (relative to the
// current directory) as a producer would: files, a subdirectory, and
// symlinks inside, to a directory, to the tree itself and out of it.
func treeFixture(t *testing.T, root string) {
	t.Helper()
	tree := filepath.Join(root, "out/tree")
	write(t, filepath.Join(tree, "a.txt"), "a", 0o644)
	write(t, filepath.Join(tree, "sub/b.txt"), "b", 0o644)
	for link, target := range map[string]string{"in": "a.txt", "dirlink": "sub", "self": ".", "abs": "/etc/hostname"} {
		if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}
}

// stage mirrors how Bazel's linux-sandbox stages a tree artifact input
// (measured on Bazel 4.2.3): real directories, and every other entry an
// absolute symlink to the same path in the real execution root.
func stage(t *testing.T, execroot, sandbox, rel string) {
	t.Helper()
	filepath.Walk(filepath.Join(execroot, rel), func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		r, _ := filepath.Rel(execroot, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(sandbox, r), 0o755)
		}
		return os.Symlink(p, filepath.Join(sandbox, r))
	})
}

// TestTreeSymlinks: a symlink the producer made inside a tree artifact is
// stored as that symlink, whether it stays inside the tree, loops or points
// at a host file; the sandbox's own staging symlinks are seen through. The
// layer is the same with and without the sandbox.
func TestTreeSymlinks(t *testing.T) {
	base := t.TempDir()
	execroot, sandbox := filepath.Join(base, "execroot"), filepath.Join(base, "sandbox")
	treeFixture(t, execroot)
	stage(t, execroot, sandbox, "out/tree")
	spec := layer.Spec{Target: "//t", Compression: "none", Files: []layer.File{
		{Src: "out/tree", Dst: "/srv", Executable: &no, Tree: true},
	}}
	var listings []string
	for _, cwd := range []string{execroot, sandbox} {
		t.Chdir(cwd)
		_, l := build(t, spec)
		listings = append(listings, l)
	}
	if listings[0] != listings[1] {
		t.Errorf("local and sandboxed layers differ:\n%s\n%s", listings[0], listings[1])
	}
	for _, line := range []string{
		`{"path":"srv/a.txt","type":"file","mode":"0644",`,
		`{"path":"srv/abs","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"/etc/hostname",`,
		`{"path":"srv/dirlink","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"sub",`,
		`{"path":"srv/in","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"a.txt",`,
		`{"path":"srv/self","type":"symlink","mode":"0777","uid":0,"gid":0,"link":".",`,
		`{"path":"srv/sub/b.txt","type":"file","mode":"0644",`,
	} {
		if !strings.Contains(listings[1], line) {
			t.Errorf("listing lacks %s\n%s", line, listings[1])
		}
	}
}

// TestDescriptorNamesItsLayer: the descriptor carries the layer's label (as
// the history records it) and, only where Bazel spells it differently, the
// label push hands back to `bazel build`; and the media type of its
// compression. No later action needs a list of labels beside descriptors.
func TestDescriptorNamesItsLayer(t *testing.T) {
	for _, c := range []struct {
		target, bazel, wantBazel, compression, mediaType string
	}{
		{"//app:layer", "//app:layer", "", "gzip", "application/vnd.oci.image.layer.v1.tar+gzip"},
		{"//app:layer", "@@//app:layer", "@@//app:layer", "zstd", "application/vnd.oci.image.layer.v1.tar+zstd"},
		{"@dep//x:l", "", "", "none", "application/vnd.oci.image.layer.v1.tar"},
	} {
		desc, _ := build(t, layer.Spec{Target: c.target, BazelLabel: c.bazel, Compression: c.compression})
		if desc.Label != c.target || desc.BazelLabel != c.wantBazel || string(desc.MediaType) != c.mediaType {
			t.Errorf("%+v: descriptor label %q, bazel_label %q, media type %q", c, desc.Label, desc.BazelLabel, desc.MediaType)
		}
	}
}
