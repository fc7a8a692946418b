package layer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/usererr"
)

// origin is where an entry came from, so errors can name both sides of a
// conflict. It holds strings the spec already holds and is only turned into
// text for an error: a layer of 100,000 files keeps no message per file.
// The zero origin is an implicit parent directory.
type origin struct {
	what string // a label, an attribute, a tar file or a source path
	src  string // the source file below a label, or the entry name in a tar
	tar  bool   // an entry of a tar: it keeps the uid/gid recorded there
	// listed is set for a file that was not stat'ed while collecting (see
	// sourceError): 1 + the index of its attribute in tree.attrs, a byte
	// rather than a string so that 100,000 entries stay 1.6 MB smaller
	// (the heap of such a layer sits close to the soft memory limit).
	listed uint8
}

func (o origin) String() string {
	switch {
	case o.what == "":
		return "an implicit parent directory"
	case o.tar:
		return o.what + " entry " + o.src
	case o.src != "":
		return o.what + " (" + o.src + ")"
	}
	return o.what
}

// tree is the set of entries of one layer: es and origins side by side,
// index from clean destination path to position until entries() sorts them
// in place (then positions are found by binary search).
type tree struct {
	spec    Spec
	es      []canontar.Entry
	origins []origin
	index   map[string]int32
	dirMode int64
	cleanup []func()
	attrs   []string // the attributes of listed files (origin.listed)
}

// find is the position of the entry at clean path p.
func (t *tree) find(p string) (int, bool) {
	if t.index != nil {
		i, ok := t.index[p]
		return int(i), ok
	}
	return slices.BinarySearchFunc(t.es, p, func(e canontar.Entry, p string) int { return strings.Compare(e.Path, p) })
}

// originOf says where the entry at p came from.
func (t *tree) originOf(p string) origin {
	if i, ok := t.find(p); ok {
		return t.origins[i]
	}
	return origin{}
}

func (t *tree) userErr(p, problem, fix string) error {
	return usererr.New(t.spec.Target, p, problem, fix)
}

// collect resolves every source of spec into entries, applying defaults,
// modes and owners, and rejecting conflicting or escaping paths.
func collect(spec Spec) (*tree, error) {
	// One entry per file, symlink and empty dir, and a few parent
	// directories: sized once, so 100,000 entries are not copied as they grow.
	n := len(spec.Files) + len(spec.Symlinks) + len(spec.EmptyDirs)
	n += n/8 + 16
	t := &tree{spec: spec, index: make(map[string]int32, n), es: make([]canontar.Entry, 0, n), origins: make([]origin, 0, n), dirMode: canontar.DefaultDirMode}
	if spec.DirMode != "" {
		m, err := parseMode(spec.DirMode)
		if err != nil {
			return t, t.userErr("", "dir_mode: "+err.Error(), "set dir_mode to an octal string like \"0755\"")
		}
		t.dirMode = m
	}
	var fileMode int64 = -1
	if spec.FileMode != "" {
		m, err := parseMode(spec.FileMode)
		if err != nil {
			return t, t.userErr("", "mode: "+err.Error(), "set mode to an octal string like \"0644\", or leave it empty")
		}
		fileMode = m
	}
	for _, d := range spec.EmptyDirs {
		p, err := t.dest(d, "empty_dirs")
		if err != nil {
			return t, err
		}
		if err := t.add(canontar.Entry{Path: p, Type: canontar.Dir, Mode: t.dirMode}, origin{what: "empty_dirs"}); err != nil {
			return t, err
		}
	}
	for _, f := range spec.Files {
		if err := t.addSource(f, fileMode); err != nil {
			return t, err
		}
	}
	// The entries hold what they need of the files (their paths and labels);
	// the list itself (80 bytes a file) can go once Build drops the spec.
	t.spec.Files = nil
	for _, s := range spec.Symlinks {
		p, err := t.dest(s.Path, "symlinks")
		if err != nil {
			return t, err
		}
		if s.Target == "" {
			return t, t.userErr(p, "symlink has an empty target", "give the symlink a target path, e.g. \"/bin/busybox\"")
		}
		if err := t.add(canontar.Entry{Path: p, Type: canontar.Symlink, Mode: 0o777, Link: s.Target}, origin{what: "symlinks"}); err != nil {
			return t, err
		}
	}
	for _, tarPath := range spec.Tars {
		if err := t.addTar(tarPath); err != nil {
			return t, err
		}
	}
	return t, t.applyOverrides()
}

func (t *tree) close() {
	for _, f := range t.cleanup {
		f()
	}
}

// dest validates and cleans a destination path taken from attribute attr.
func (t *tree) dest(p, attr string) (string, error) {
	c, ok := canontar.CleanPath(p)
	if !ok {
		return "", t.userErr(p, attr+": destination escapes the image root or is the root itself",
			"use a path inside the image such as \"/app/bin\"; \"..\" components are not allowed")
	}
	return c, nil
}

// add inserts n from o, merging identical duplicates and rejecting real
// conflicts.
func (t *tree) add(n canontar.Entry, o origin) error {
	i, ok := t.find(n.Path)
	if !ok {
		t.index[n.Path] = int32(len(t.es))
		t.es = append(t.es, n)
		t.origins = append(t.origins, o)
		return nil
	}
	old := &t.es[i]
	if old.Type == n.Type {
		switch n.Type {
		case canontar.Dir:
			return nil // directories merge; the first declaration keeps its mode
		case canontar.Symlink:
			if old.Link == n.Link {
				return nil
			}
		case canontar.Regular:
			same, err := sameContent(*old, n)
			if err != nil {
				return errors.Join(t.sourceError(n.Path, t.origins[i]), t.sourceError(n.Path, o), err)
			}
			if same {
				return nil
			}
		}
	}
	return t.userErr(n.Path, fmt.Sprintf("two sources with different content map to this path: %s and %s", t.origins[i], o),
		"map only one of them to this path, or give one a different destination")
}

func sameContent(a, b canontar.Entry) (bool, error) {
	if a.Size != b.Size && a.Size != canontar.SizeAtOpen && b.Size != canontar.SizeAtOpen {
		return false, nil
	}
	ha, err := hashOf(a)
	if err != nil {
		return false, err
	}
	hb, err := hashOf(b)
	return bytes.Equal(ha, hb), err
}

func hashOf(e canontar.Entry) ([]byte, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	_, err = io.Copy(h, rc)
	return h.Sum(nil), err
}

// addSource adds a file, or a tree artifact, at f.Dst. Its mode comes only
// from f.Executable and file_mode: never from the bits on disk, which differ
// between a local checkout and a remote worker.
func (t *tree) addSource(f File, fileMode int64) error {
	dst, err := t.dest(f.Dst, attrOr(f.Attr, "files"))
	if err != nil {
		return err
	}
	from := origin{what: f.Src}
	if f.Label != "" {
		from = origin{what: f.Label, src: f.Src}
	}
	if f.Executable == nil {
		return t.userErr(dst, "the layer spec gives no executable flag for "+from.String(),
			"build with the image_layer rule of the same rules_strata version as the strata tool")
	}
	if fileMode < 0 {
		fileMode = 0o644
		if *f.Executable {
			fileMode = 0o755
		}
	}
	if !f.Tree {
		// A file is not stat'ed here: its size is learnt when the layer is
		// written (an fstat of the open file, on the writing goroutine,
		// while the compressor runs), which for 100,000 listed files was
		// 100,000 path walks on one core before anything was compressed.
		// If the file cannot be opened or is not a regular file then,
		// statSource says why, as it would have said here.
		if from.listed = t.attrIndex(attrOr(f.Attr, "files")); from.listed != 0 {
			return t.add(fileEntry(f.Src, dst, canontar.SizeAtOpen, fileMode), from)
		}
	}
	info, err := t.statSource(dst, f.Src, attrOr(f.Attr, "files"), from, f.Tree)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return t.walkTree(f.Src, "", dst, from, fileMode)
	}
	return t.add(fileEntry(f.Src, dst, info.Size(), fileMode), from)
}

// statSource stats the source src of the entry at dst, from attribute attr,
// and explains a source that is missing, a directory where a file is
// expected (tree false), or neither a file nor a directory. Stat follows
// symlinks on purpose: in Bazel's sandbox every input is a symlink to the
// real file, so the link itself carries no meaning.
func (t *tree) statSource(dst, src, attr string, from origin, tree bool) (fs.FileInfo, error) {
	info, err := os.Stat(src)
	if err != nil {
		return nil, t.userErr(dst, "source "+from.String()+" cannot be read: "+errText(err),
			"check that the file exists and is listed in the rule's inputs")
	}
	switch {
	case info.IsDir() && !tree:
		return nil, t.userErr(dst, attr+": "+from.String()+" is a checked-in directory. Bazel does not track the files "+
			"inside a source directory (editing one would not rebuild the layer) and symlinks in it would be followed out of the workspace",
			"list its files with a glob and keep their paths with strip_prefix, e.g. "+
				"srcs = glob([\"static/**\"]), strip_prefix = \"static\", package_dir = \"/srv/www\"")
	case !info.IsDir() && !info.Mode().IsRegular():
		return nil, t.userErr(dst, "source "+from.String()+" is not a regular file", "list only files and tree artifacts")
	}
	return info, nil
}

// sourceError is statSource's explanation for the entry at p, from o, if o
// is a listed file that was not stat'ed while collecting and is not a
// readable regular file now; nil otherwise.
func (t *tree) sourceError(p string, o origin) error {
	if o.listed == 0 {
		return nil
	}
	src := o.what
	if o.src != "" {
		src = o.src
	}
	_, err := t.statSource(p, src, t.attrs[o.listed-1], o, false)
	return err
}

// attrIndex is origin.listed for attribute attr; 0 (stat while collecting)
// once 255 attributes are taken, which no rule comes near.
func (t *tree) attrIndex(attr string) uint8 {
	i := slices.Index(t.attrs, attr)
	if i < 0 && len(t.attrs) < 255 {
		i, t.attrs = len(t.attrs), append(t.attrs, attr)
	}
	return uint8(i + 1)
}

func attrOr(attr, def string) string {
	if attr == "" {
		return def
	}
	return attr
}

// walkTree adds the directory root/rel of a tree artifact at dst and
// everything below it. A symlink the producer created inside the tree is
// stored as a symlink, verbatim, and never followed: following one would put
// a host file into the image. Bazel's sandbox stages each file of a tree as
// an absolute symlink to the same path below the real execution root; such a
// link (its target ends with "/<root>/<rel>") is plumbing, and the entry is
// what it points at.
func (t *tree) walkTree(root, rel, dst string, from origin, fileMode int64) error {
	if err := t.add(canontar.Entry{Path: dst, Type: canontar.Dir, Mode: t.dirMode}, from); err != nil {
		return err
	}
	dir := filepath.Join(root, rel)
	dirents, err := readDir(dir)
	if err != nil {
		return t.userErr(dst, "cannot list "+dir+" from "+from.String()+": "+errText(err), "check the directory's permissions")
	}
	for _, de := range dirents {
		r, d := path.Join(rel, de.Name()), path.Join(dst, de.Name())
		p := filepath.Join(root, r)
		if de.Type().IsRegular() {
			// The directory says it is a file: its size is learnt when
			// the layer is written (an fstat of the open file), so a tree
			// of 20,000 small files costs no stat per file here.
			if err := t.add(fileEntry(p, d, canontar.SizeAtOpen, fileMode), from); err != nil {
				return err
			}
			continue
		}
		info, err := os.Lstat(p)
		if err != nil {
			return t.userErr(d, "cannot read "+p+" from "+from.String()+": "+errText(err), "check the tree artifact's producer")
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return t.userErr(d, "cannot read symlink "+p+" from "+from.String()+": "+errText(err), "check the tree artifact's producer")
			}
			if !isStaging(link, root, r) {
				if err := t.add(canontar.Entry{Path: d, Type: canontar.Symlink, Mode: 0o777, Link: link}, from); err != nil {
					return err
				}
				continue
			}
			// Plumbing: look at the real entry instead.
			if info, err = os.Lstat(link); err != nil {
				return t.userErr(d, "cannot read "+link+" from "+from.String()+": "+errText(err), "check the tree artifact's producer")
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(link)
				if err != nil {
					return t.userErr(d, "cannot read symlink "+link+" from "+from.String()+": "+errText(err), "check the tree artifact's producer")
				}
				if err := t.add(canontar.Entry{Path: d, Type: canontar.Symlink, Mode: 0o777, Link: target}, from); err != nil {
					return err
				}
				continue
			}
		}
		switch {
		case info.IsDir():
			err = t.walkTree(root, r, d, from, fileMode)
		case info.Mode().IsRegular():
			err = t.add(fileEntry(p, d, info.Size(), fileMode), from)
		default:
			err = t.userErr(d, p+" from "+from.String()+" is neither a file, a directory nor a symlink", "make the producer write only those")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isStaging reports whether link, found at root/rel, is how Bazel's sandbox
// stages that tree file: an absolute path to the same root/rel in another
// execution root.
func isStaging(link, root, rel string) bool {
	return filepath.IsAbs(link) && strings.HasSuffix(filepath.Clean(link), string(filepath.Separator)+filepath.Join(root, rel))
}

// readDir lists dir sorted by name, with each entry's type as the directory
// itself records it (no stat per entry; os stats only where the file
// system records no type).
func readDir(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dirents, err := f.ReadDir(-1)
	slices.SortFunc(dirents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return dirents, err
}

// fileEntry is a regular file entry. Its mode is decided by the caller from
// declared facts; the file's own permission bits are never read.
func fileEntry(src, dst string, size, mode int64) canontar.Entry {
	return canontar.Entry{
		Path: dst, Type: canontar.Regular, Mode: mode, Size: size,
		Open: func() (io.ReadCloser, error) { return openFile(src) },
	}
}

// openFile opens a source file for reading with plain system calls: open,
// read, close. os.Open adds four fcntl calls and an epoll_ctl to each open
// (it tries to register the file with the network poller) and a finalizer:
// for a layer of 100,000 small files that was half of all system calls.
// Errors read as os.Open's do.
func openFile(name string) (io.ReadCloser, error) {
	for {
		// O_NONBLOCK: a listed source is opened before anyone checked that
		// it is a regular file; a FIFO must not block the build (Size then
		// refuses it). Reads of regular files ignore the flag.
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &rawFile{fd: fd, name: name}, nil
	}
}

type rawFile struct {
	fd   int
	name string
}

// Size is the size of the open file (canontar.Sizer), as fstat says.
func (f *rawFile) Size() (int64, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(f.fd, &st)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "stat", Path: f.name, Err: err}
		case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
			return 0, &fs.PathError{Op: "stat", Path: f.name, Err: errors.New("not a regular file any more")}
		}
		return st.Size, nil
	}
}

func (f *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error {
	if err := syscall.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// applyOverrides applies the owner default, per-path owners and per-path modes.
func (t *tree) applyOverrides() error {
	for i := range t.es {
		if !t.origins[i].tar {
			t.es[i].UID, t.es[i].GID = t.spec.UID, t.spec.GID
		}
	}
	for _, p := range t.spec.Executables {
		n, err := t.lookup(p, "executables")
		if err != nil {
			return err
		}
		if n.Type != canontar.Regular {
			return t.userErr(p, "executables names an entry that is not a regular file",
				"list only files in executables; set a directory's mode with modes")
		}
		n.Mode = 0o755
	}
	for p, m := range t.spec.Modes {
		n, err := t.lookup(p, "modes")
		if err != nil {
			return err
		}
		if n.Mode, err = parseMode(m); err != nil {
			return t.userErr(p, "modes: "+err.Error(), "write modes as {\"/path\": \"0755\"}")
		}
	}
	for p, o := range t.spec.Owners {
		n, err := t.lookup(p, "owners")
		if err != nil {
			return err
		}
		if n.UID, n.GID, err = parseOwner(o); err != nil {
			return t.userErr(p, "owners: "+err.Error(), "write owners as {\"/path\": \"1000:1000\"}")
		}
	}
	return nil
}

func (t *tree) lookup(p, attr string) (*canontar.Entry, error) {
	c, err := t.dest(p, attr)
	if err != nil {
		return nil, err
	}
	i, ok := t.find(c)
	if !ok {
		return nil, t.userErr(p, attr+" names a path that is not in the layer",
			"use the destination path exactly as it appears in the layer (package_dir included), or remove the entry")
	}
	return &t.es[i], nil
}

// entries returns the collected entries in canonical order. Parent
// directories nobody declared get dir_mode and owner 0:0 (a uid default for
// the layer's files must not take over /usr or /etc). The entries are
// sorted in place, with their origins: no copy of a 100,000-entry layer.
func (t *tree) entries() ([]canontar.Entry, error) {
	for i, n := 0, len(t.es); i < n; i++ {
		for dir := path.Dir(t.es[i].Path); dir != "."; dir = path.Dir(dir) {
			if _, ok := t.find(dir); ok {
				break
			}
			t.add(canontar.Entry{Path: dir, Type: canontar.Dir, Mode: t.dirMode}, origin{})
		}
	}
	t.index = nil // from here on, find searches the sorted entries
	sort.Sort(byPath{t})
	// Every path is unique and every parent present, so canontar.Sort keeps
	// this order (and origins stay beside their entries); it checks that no
	// entry sits under a file or a symlink.
	sorted, err := canontar.Sort(t.es)
	if err != nil {
		return nil, t.sortError(err)
	}
	return sorted, nil
}

// byPath sorts a tree's entries and origins together.
type byPath struct{ t *tree }

func (b byPath) Len() int           { return len(b.t.es) }
func (b byPath) Less(i, j int) bool { return b.t.es[i].Path < b.t.es[j].Path }
func (b byPath) Swap(i, j int) {
	b.t.es[i], b.t.es[j] = b.t.es[j], b.t.es[i]
	b.t.origins[i], b.t.origins[j] = b.t.origins[j], b.t.origins[i]
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, syscall.ELOOP) {
			return "too many levels of symbolic links (a symlink loop)"
		}
		return pe.Err.Error()
	}
	return err.Error()
}
