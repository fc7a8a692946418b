package spec

// Layer is what an image_layer target asks the layer action for. Starlark
// has already applied package_dir and laid out runfiles; every destination
// here is final but not yet validated (go/layer validates while building).
type Layer struct {
	Header
	Target string `json:"target"` // label, for error messages and the descriptor's Label
	// BazelLabel is the target as this Bazel spells it, copied into the
	// descriptor; "" when it is Target.
	BazelLabel       string            `json:"bazel_label,omitempty"`
	Compression      string            `json:"compression"`       // gzip | zstd | none
	CompressionLevel int               `json:"compression_level"` // 0 = the pinned default of compression
	MTime            int64             `json:"mtime"`             // seconds since the epoch for every entry
	FileMode         string            `json:"file_mode"`         // "" = 0755 for files marked executable, else 0644
	DirMode          string            `json:"dir_mode"`          // "" = 0755
	UID              int               `json:"uid"`
	GID              int               `json:"gid"`
	Modes            map[string]string `json:"modes"`       // destination -> octal mode
	Executables      []string          `json:"executables"` // destinations of files that get 0755 (after file_mode, before modes)
	Owners           map[string]string `json:"owners"`      // destination -> "uid:gid"
	Files            []File            `json:"files"`
	Symlinks         []Symlink         `json:"symlinks"`
	EmptyDirs        []string          `json:"empty_dirs"`
	Tars             []string          `json:"tars"`
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

func (l *Layer) check() error { return required("target", l.Target) }

// ReadLayer loads a layer spec.
func ReadLayer(path string) (Layer, error) { return readAs[Layer](path, "layer spec") }
