package layer_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/layer"
)

// fileList writes a file list as the rule's Args write it: one argument per
// line after the version.
func fileList(t *testing.T, args ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "files.params")
	if err := os.WriteFile(p, []byte(strings.Join(append([]string{layer.FileListVersion}, args...), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func g(kind, attr, label, dst, exe, workspace, link, stripPrefix string) []string {
	return []string{"G", kind, attr, label, dst, exe, workspace, link, stripPrefix}
}

func f(path, short, pkg, flags string) []string { return []string{"F", path, short, pkg, flags} }

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

type got struct {
	Src, Dst, Label, Attr string
	Exec, Tree            bool
}

func files(s layer.Spec) []got {
	var out []got
	for _, f := range s.Files {
		out = append(out, got{f.Src, f.Dst, f.Label, f.Attr, *f.Executable, f.Tree})
	}
	return out
}

// The destinations and modes the rule computed in analysis before the file
// list existed: package paths, strip_prefix (package- and repo-relative),
// external repositories, tree artifacts, a target's generated executable,
// and a binary's runfiles tree with its executable as a symlink.
func TestAddFileListDestinations(t *testing.T) {
	bin := "bazel-out/k8-fastbuild/bin/app/server"
	list := fileList(t, cat(
		g("srcs", "srcs", "//assets:static", "srv/www", "", "", "", "static"),
		f("assets/static/css/a.css", "assets/static/css/a.css", "assets", "s"),
		f("bazel-out/k8-fastbuild/bin/assets/static/gen", "assets/static/gen", "assets", "t"),
		g("srcs", "srcs", "//tools:gen", "/opt", "bazel-out/k8-fastbuild/bin/tools/gen", "", "", "/tools"),
		f("bazel-out/k8-fastbuild/bin/tools/gen", "tools/gen", "tools", ""),
		f("external/ext/tools/data.txt", "../ext/tools/data.txt", "tools", "s"),
		g("dir", "files", "//:cfg", "etc/", "", "", "", ""),
		f("conf/a.conf", "conf/a.conf", "", "s"),
		g("exact", "files", "//:one", "/etc/one.conf", "", "", "", ""),
		f("one.conf", "one.conf", "", "s"),
		g("program", "binaries", "//app:server", "/app/server", "", "", "", ""),
		f(bin, "app/server", "app", ""),
		g("runfiles", "binaries", "//app:server", "/app/server.runfiles", bin, "main", "/app/server", ""),
		f(bin, "app/server", "app", ""),
		f("app/data.txt", "app/data.txt", "app", "s"),
		f("bazel-out/k8-fastbuild/bin/app/lib.so", "app/lib.so", "app", ""),
		f("external/dep/x.txt", "../dep/x.txt", "", "s"),
		g("symlinks", "binaries", "//app:server", "/app/server.runfiles", "", "main", "", ""),
		[]string{"L", "alias.txt", "app/data.txt", "s"},
		g("root_symlinks", "binaries", "//app:server", "/app/server.runfiles", "", "", "", ""),
		[]string{"L", "top", "bazel-out/k8-fastbuild/bin/app/lib.so", ""},
	)...)
	spec := layer.Spec{Target: "//:layer", Symlinks: []layer.Symlink{{Path: "/x", Target: "/y"}}}
	if err := layer.AddFileList(&spec, list); err != nil {
		t.Fatal(err)
	}
	want := []got{
		{"assets/static/css/a.css", "srv/www/css/a.css", "//assets:static", "srcs", false, false},
		{"bazel-out/k8-fastbuild/bin/assets/static/gen", "srv/www/gen", "//assets:static", "srcs", false, true},
		{"bazel-out/k8-fastbuild/bin/tools/gen", "/opt/gen", "//tools:gen", "srcs", true, false},
		{"external/ext/tools/data.txt", "/opt/data.txt", "//tools:gen", "srcs", false, false},
		{"conf/a.conf", "etc/conf/a.conf", "//:cfg", "files", false, false},
		{"one.conf", "/etc/one.conf", "//:one", "files", false, false},
		{bin, "/app/server", "//app:server", "binaries", true, false},
		{"app/data.txt", "/app/server.runfiles/main/app/data.txt", "//app:server", "binaries", false, false},
		{"bazel-out/k8-fastbuild/bin/app/lib.so", "/app/server.runfiles/main/app/lib.so", "//app:server", "binaries", true, false},
		{"external/dep/x.txt", "/app/server.runfiles/dep/x.txt", "//app:server", "binaries", false, false},
		{"app/data.txt", "/app/server.runfiles/main/alias.txt", "//app:server", "binaries", false, false},
		{"bazel-out/k8-fastbuild/bin/app/lib.so", "/app/server.runfiles/top", "//app:server", "binaries", true, false},
	}
	if g := files(spec); !reflect.DeepEqual(g, want) {
		t.Errorf("files:\n got %+v\nwant %+v", g, want)
	}
	wantLinks := []layer.Symlink{{Path: "/x", Target: "/y"}, {Path: "/app/server.runfiles/main/app/server", Target: "/app/server"}}
	if !reflect.DeepEqual(spec.Symlinks, wantLinks) {
		t.Errorf("symlinks: got %+v, want %+v", spec.Symlinks, wantLinks)
	}
}

func TestAddFileListErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"strip_prefix", cat(g("srcs", "srcs", "//assets:x", "", "", "", "", "static"), f("assets/other.txt", "assets/other.txt", "assets", "s")),
			[]string{"//assets:x", `strip_prefix "static" does not prefix assets/other.txt (from //assets:x in srcs), which is "other.txt" below its package`, "fix:"}},
		{"exact with two files", cat(g("exact", "files", "//:two", "/etc/x", "", "", "", ""), f("a", "a", "", "s"), f("b", "b", "", "s")),
			[]string{"files: //:two gives 2 files", `"/etc/x" must be a directory ending in "/"`, "fix:"}},
		{"exact with none", g("exact", "files", "//:none", "/etc/x", "", "", "", ""),
			[]string{"gives 0 files"}},
		{"truncated", []string{"G", "srcs"}, []string{"ends in the middle of a record"}},
		{"unknown record", []string{"X"}, []string{`unknown record "X"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := layer.Spec{Target: "//:layer"}
			err := layer.AddFileList(&spec, fileList(t, tc.args...))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	p := filepath.Join(t.TempDir(), "old.params")
	if err := os.WriteFile(p, []byte("G\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := layer.AddFileList(&layer.Spec{Target: "//:layer"}, p); err == nil || !strings.Contains(err.Error(), "same rules_strata version") {
		t.Errorf("a list without the version line: %v", err)
	}
}

// TestAddFileListAllocatesOnce: the files of a list are appended into one
// allocation of the right size (grown by append, 100,000 files allocated
// and copied five times their final size).
func TestAddFileListAllocatesOnce(t *testing.T) {
	parts := [][]string{g("srcs", "srcs", "//p:fg", "", "", "", "", "")}
	for i := 0; i < 5000; i++ {
		p := "p/d/f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		parts = append(parts, f(p, p, "p", "s"))
	}
	s := layer.Spec{Target: "//p:layer"}
	if err := layer.AddFileList(&s, fileList(t, cat(parts...)...)); err != nil {
		t.Fatal(err)
	}
	// One allocation: the allocator's size class rounds it up (17 spare
	// Files here); append's growth left 222 spare, more than the 50 allowed.
	if len(s.Files) != 5000 || cap(s.Files) > 5000+50 {
		t.Errorf("%d files in a slice of capacity %d, want 5000 in at most 5050", len(s.Files), cap(s.Files))
	}
}
