package layer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-build/rules_strata/go/jsonspec"
)

// Spec is what the image_layer rule asks for, written by Starlark as JSON.
// Starlark has already applied package_dir and laid out runfiles; every
// destination here is final but not yet validated.
type Spec struct {
	Target      string            `json:"target"`      // label, for error messages
	Compression string            `json:"compression"` // gzip | zstd | none
	MTime       int64             `json:"mtime"`       // seconds since the epoch for every entry
	FileMode    string            `json:"file_mode"`   // "" = 0755 for files marked executable, else 0644
	DirMode     string            `json:"dir_mode"`    // "" = 0755
	UID         int               `json:"uid"`
	GID         int               `json:"gid"`
	Modes       map[string]string `json:"modes"`       // destination -> octal mode
	Executables []string          `json:"executables"` // destinations of files that get 0755 (after file_mode, before modes)
	Owners      map[string]string `json:"owners"`      // destination -> "uid:gid"
	Files       []File            `json:"files"`
	Symlinks    []Symlink         `json:"symlinks"`
	EmptyDirs   []string          `json:"empty_dirs"`
	Tars        []string          `json:"tars"`
}

// File maps a source (a file, or a tree artifact that is copied
// recursively) to a destination path in the layer.
type File struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	// Label is the attribute value the file came from, and Attr the
	// attribute (srcs, files, binaries), for error messages.
	Label string `json:"label,omitempty"`
	Attr  string `json:"attr,omitempty"`
	// Executable says whether the file (or every file of the tree) is a
	// program (0755) or not (0644). Starlark decides it from declared facts
	// only; it is required, because the bits on disk depend on the machine
	// that runs the action (remote workers mark every input executable).
	Executable *bool `json:"executable"`
	// Tree is true for a tree artifact (a declared directory). A source that
	// is a directory on disk without it is a checked-in directory, which
	// Bazel does not track, and is refused.
	Tree bool `json:"tree,omitempty"`
}

// Symlink is a symbolic link at Path pointing at Target (verbatim).
type Symlink struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// ReadSpec loads a spec file.
func ReadSpec(path string) (Spec, error) {
	var s Spec
	if err := jsonspec.Read(path, "layer spec", &s); err != nil {
		return s, err
	}
	return s, nil
}

func parseMode(s string) (int64, error) {
	m, err := strconv.ParseInt(s, 8, 64)
	if err != nil || m < 0 || m > 0o7777 {
		return 0, fmt.Errorf("mode %q is not an octal permission such as \"0755\"", s)
	}
	return m, nil
}

func parseOwner(s string) (uid, gid int, err error) {
	u, g, ok := strings.Cut(s, ":")
	if ok {
		uid, err = strconv.Atoi(u)
		if err == nil {
			gid, err = strconv.Atoi(g)
		}
	}
	if !ok || err != nil || uid < 0 || gid < 0 {
		return 0, 0, fmt.Errorf("owner %q is not numeric \"uid:gid\" such as \"1000:1000\"", s)
	}
	return uid, gid, nil
}
