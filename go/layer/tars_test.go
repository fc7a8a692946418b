package layer_test

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/layer"
	"github.com/strata-build/rules_strata/go/usererr"
)

// TestRefusals: each input is refused with a usererr.Error naming the
// target, the input and the fix, instead of archive/tar's bare "unexpected
// EOF" or "invalid PAX record", or a layer nobody can extract.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a"), "a", 0o644)
	seeds := generatedSeeds(t)
	tarOf := func(name string, b []byte) string { return write(t, filepath.Join(dir, name), string(b), 0o644) }
	truncated := tarOf("truncated.tar", seeds["truncated data"])
	badPAX := tarOf("badpax.tar", seeds["bad pax record"])
	badGz := tarOf("bad.tar.gz", []byte("\x1f\x8b\x08\x00garbage"))
	bigUID := tarFile(t, filepath.Join(dir, "uid.tar"), false, tar.Header{Name: "f", Typeflag: tar.TypeReg, Uid: 1 << 31, Format: tar.FormatPAX})
	underLink := tarFile(t, filepath.Join(dir, "link.tar"), false,
		tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "/x"},
		tar.Header{Name: "a/f", Typeflag: tar.TypeReg, Size: 1})
	cases := []struct {
		name string
		spec layer.Spec
		want []string
	}{
		{"truncated tar", layer.Spec{Tars: []string{truncated}},
			[]string{truncated, "truncated", `after entry "./a/f"`, "unexpected EOF", "fix:", "tar -tvf"}},
		{"bad PAX record", layer.Spec{Tars: []string{badPAX}},
			[]string{badPAX, "header is malformed", "invalid tar header", "fix:"}},
		{"NUL in a symlink target", layer.Spec{Symlinks: []layer.Symlink{{Path: "/a", Target: "\u00e9\x00x"}}},
			[]string{`"a"`, "symlinks", "invalid PAX record", "fix:", "NUL"}},
		{"corrupt gzip", layer.Spec{Tars: []string{badGz}},
			[]string{badGz, "cannot decompress", "fix:"}},
		{"uid", layer.Spec{UID: 1 << 31, Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}},
			[]string{"uid: uid 2147483648 is outside 0..2147483647", "fix:"}},
		{"gid", layer.Spec{GID: -1, Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}},
			[]string{"gid: gid -1 is outside 0..2147483647", "fix:"}},
		{"owners", layer.Spec{Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}, Owners: map[string]string{"/a": "0:4294967295"}},
			[]string{`"/a"`, "owners", "gid 4294967295 is outside 0..2147483647", "fix:"}},
		{"tar uid", layer.Spec{Tars: []string{bigUID}},
			[]string{`"f"`, bigUID, "uid 2147483648 is outside", "fix:"}},
		{"mtime", layer.Spec{MTime: 1 << 40, Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}},
			[]string{"mtime: 1099511627776 is outside 0..8589934591", "fix:"}},
		{"negative mtime", layer.Spec{MTime: -1, Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}},
			[]string{"mtime: -1 is outside", "fix:"}},
		{"file under symlink", layer.Spec{Files: []layer.File{{Src: a, Dst: "/a/f", Label: "//pkg:a", Executable: &no}}, Symlinks: []layer.Symlink{{Path: "/a", Target: "/x"}}},
			[]string{`"a/f"`, "//pkg:a", `is under "a", which is a symlink to "/x"`, "symlinks", "write it through the symlink", "fix:"}},
		{"deep file under symlink", layer.Spec{Files: []layer.File{{Src: a, Dst: "/a/b/c/f", Label: "//pkg:a", Executable: &no}}, Symlinks: []layer.Symlink{{Path: "/a", Target: "/x"}}},
			[]string{`"a/b/c/f"`, "//pkg:a", `is under "a", which is a symlink`, "fix:"}},
		{"tar entry under tar symlink", layer.Spec{Tars: []string{underLink}},
			[]string{`"a/f"`, underLink + " entry a/f", `which is a symlink to "/x"`, underLink + " entry a)", "fix:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Target, c.spec.Compression = "//pkg:layer", "gzip"
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
	// The edges of the ranges are accepted.
	if _, err := layer.Build(layer.Spec{Compression: "none", UID: layer.MaxID, GID: layer.MaxID, MTime: layer.MaxMTime,
		Files: []layer.File{{Src: a, Dst: "a", Executable: &no}}}, filepath.Join(dir, "ok")); err != nil {
		t.Errorf("largest uid, gid and mtime refused: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "ok")); err != nil {
		t.Error(err)
	}
}
