// Package canontar writes canonical tar streams: the same entries always give
// the same bytes, whatever the host, umask, clock or user.
//
// The canonical form is: entries sorted by path (byte order), every parent
// directory present as its own entry before its children, one fixed mtime,
// no atime/ctime, empty user and group names, numeric uid/gid as given, and
// USTAR headers unless a field needs PAX (long names, large sizes or ids).
//
// Why a package of its own: archive/tar (used underneath) writes each header
// as it is given, and go-containerregistry takes a layer as a finished tar
// (tarball.LayerFromOpener) and never rewrites it. The order, the implied
// parent directories and the header format chosen here are what make a
// layer's digest the same on every machine; no library does that part.
package canontar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
)

// Type is the kind of a tar entry.
type Type byte

const (
	Regular Type = tar.TypeReg
	Dir     Type = tar.TypeDir
	Symlink Type = tar.TypeSymlink
)

// DefaultDirMode is the mode of parent directories nobody declared.
const DefaultDirMode = 0o755

// Entry is one path in a layer. Path is relative and clean ("usr/bin/app"),
// with no leading "/" or "./" and no trailing "/".
type Entry struct {
	Path     string
	Type     Type
	Mode     int64 // permission bits, including setuid/setgid/sticky
	UID, GID int
	Link     string // symlink target
	Size     int64  // regular files only; SizeAtOpen: ask the opened content
	// Open returns the content of a regular file; it must yield exactly Size bytes.
	Open func() (io.ReadCloser, error)
}

// SizeAtOpen as the Size of a regular Entry means the size is learnt when
// Write opens the content, whose ReadCloser must then implement Sizer.
// Listing a tree of small files then needs no stat per file (the directory
// says which entries are files); the size costs an fstat of the open file
// instead, during the write, where it overlaps with compression, and it
// is the size of exactly the content that is read.
const SizeAtOpen = -1

// Sizer is the content of an Entry of size SizeAtOpen.
type Sizer interface {
	Size() (int64, error)
}

// Sort orders entries canonically and adds the parent directories that are
// missing. Entries must have unique paths. It sorts entries in place and
// returns them (appended to if parents were missing): a layer of 100,000
// files then holds one array of entries, not a copy per step.
func Sort(entries []Entry) ([]Entry, error) {
	// Plain byte order puts "a" before "a.txt" before "a/b", so a directory
	// always precedes its children.
	slices.SortFunc(entries, byPath)
	for i := 1; i < len(entries); i++ {
		if entries[i].Path == entries[i-1].Path {
			return nil, fmt.Errorf("canontar: duplicate entry %q", entries[i].Path)
		}
	}
	var missing []Entry
	added := map[string]bool{} // only the missing directories, usually none
	last := ""                 // the last parent found: siblings share it
	for _, e := range entries {
		for dir := path.Dir(e.Path); dir != "." && dir != last && !added[dir]; dir = path.Dir(dir) {
			if _, ok := find(entries, dir); ok {
				last = dir
				break
			}
			added[dir] = true
			missing = append(missing, Entry{Path: dir, Type: Dir, Mode: DefaultDirMode})
		}
	}
	if len(missing) > 0 {
		entries = append(entries, missing...)
		slices.SortFunc(entries, byPath)
	}
	// Every entry, directories included, must sit in a directory: a
	// directory under a symlink would be created through the link.
	for _, e := range entries {
		if parent := path.Dir(e.Path); parent != "." {
			if i, _ := find(entries, parent); entries[i].Type != Dir {
				return nil, &ParentError{Path: e.Path, Parent: parent, ParentType: entries[i].Type}
			}
		}
	}
	return entries, nil
}

func byPath(a, b Entry) int { return strings.Compare(a.Path, b.Path) }

// find is the position of path p in sorted entries, and whether it is there.
func find(sorted []Entry, p string) (int, bool) {
	return slices.BinarySearchFunc(sorted, p, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
}

// ParentError says that Path lies under Parent, which is not a directory.
// Under a symlink that would make extractors write through the link, to
// wherever it points; under a regular file, no extractor can make it.
type ParentError struct {
	Path, Parent string
	ParentType   Type
}

func (e *ParentError) Error() string {
	what := "a regular file"
	if e.ParentType == Symlink {
		what = "a symlink"
	}
	return fmt.Sprintf("canontar: %q needs %q to be a directory, but it is %s", e.Path, e.Parent, what)
}

// Write writes entries, which must already be in Sort order, as a tar stream
// with every mtime set to mtime. It does not close w.
func Write(w io.Writer, entries []Entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	mtime = time.Unix(mtime.Unix(), 0)
	// One copy buffer for the whole stream: io.Copy would allocate 32 KiB
	// per file, which dominates layers of many small files.
	buf := make([]byte, 256<<10)
	for _, e := range entries {
		hdr := &tar.Header{
			Typeflag: byte(e.Type),
			Name:     e.Path,
			Mode:     e.Mode,
			Uid:      e.UID,
			Gid:      e.GID,
			ModTime:  mtime,
		}
		switch e.Type {
		case Dir:
			hdr.Name += "/"
		case Symlink:
			hdr.Linkname = e.Link
		case Regular:
			hdr.Size = e.Size
		default:
			return fmt.Errorf("canontar: %q has unsupported type %q", e.Path, e.Type)
		}
		if err := writeEntry(tw, w, hdr, e, buf); err != nil {
			return err
		}
	}
	// Close writes the two zero blocks that end the archive, nothing else.
	return tw.Close()
}

// writeEntry writes the header and the content of e. The content of a
// regular file is opened after its header, unless the header needs its size
// (SizeAtOpen).
//
// buf is Write's copy buffer; its first block is also where a header is
// formatted before it is written (each header written at once, before
// the content is read into buf).
func writeEntry(tw *tar.Writer, w io.Writer, hdr *tar.Header, e Entry, buf []byte) error {
	var rc io.ReadCloser
	if e.Type == Regular && e.Size == SizeAtOpen {
		var err error
		if rc, err = e.Open(); err != nil {
			return &ContentError{Path: e.Path, Err: err}
		}
		defer rc.Close()
		s, ok := rc.(Sizer)
		if !ok {
			return &ContentError{Path: e.Path, Err: errors.New("the size is to be learnt at open, but the content has no Size method")}
		}
		if e.Size, err = s.Size(); err != nil {
			return &ContentError{Path: e.Path, Err: err}
		}
		hdr.Size = e.Size
	}
	// Headers that fit USTAR plainly (most) are formatted here and written
	// straight to w, with the content and its padding; the others go
	// through tar.Writer, which also chooses PAX where USTAR cannot hold
	// them. Flush pads the entry tar.Writer wrote last, if any.
	content := io.Writer(tw)
	if fastUSTAR && fitsUSTAR(hdr) {
		if err := tw.Flush(); err != nil {
			return err
		}
		blk := (*[blockSize]byte)(buf[:blockSize])
		*blk = [blockSize]byte{}
		formatUSTAR(blk, hdr)
		if _, err := w.Write(blk[:]); err != nil {
			return err
		}
		content = w
	} else if err := tw.WriteHeader(hdr); err != nil {
		return &HeaderError{Path: e.Path, Link: e.Link, Err: err}
	}
	if e.Type != Regular || e.Size == 0 {
		return nil
	}
	if rc == nil {
		var err error
		if rc, err = e.Open(); err != nil {
			return &ContentError{Path: e.Path, Err: err}
		}
		defer rc.Close()
	}
	n, err := io.CopyBuffer(content, io.LimitReader(rc, e.Size), buf)
	if err != nil {
		return &ContentError{Path: e.Path, Err: err}
	}
	if n != e.Size {
		return &ContentError{Path: e.Path, Err: fmt.Errorf("file shrank while being read (%d of %d bytes)", n, e.Size)}
	}
	if pad := -e.Size & (blockSize - 1); content == w && pad > 0 {
		_, err = w.Write(zeroBlock[:pad])
	}
	return err
}

// ContentError says that the content of the regular file at Path could not
// be read as declared: it could not be opened or read, or it ended before
// Size bytes (the file shrank after it was listed).
type ContentError struct {
	Path string
	Err  error
}

func (e *ContentError) Error() string { return fmt.Sprintf("canontar: %s: %v", e.Path, e.Err) }

func (e *ContentError) Unwrap() error { return e.Err }

// HeaderError says that no tar header can hold the entry at Path, e.g.
// because its path or symlink target (Link) contains a NUL byte.
type HeaderError struct {
	Path, Link string
	Err        error
}

func (e *HeaderError) Error() string { return fmt.Sprintf("canontar: %q: %v", e.Path, e.Err) }

func (e *HeaderError) Unwrap() error { return e.Err }

// CleanPath turns a destination such as "/usr/bin/", "./etc//x" into the
// canonical entry path ("usr/bin", "etc/x"). ok is false if the path escapes
// the root ("..") or names the root itself.
func CleanPath(p string) (clean string, ok bool) {
	for rest := p; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		if part == ".." {
			return "", false
		}
	}
	// Paths that are already clean (most are) are returned as they are, or
	// without their leading "/", so they share the caller's memory.
	if rel := strings.TrimPrefix(p, "/"); rel != "" && rel != "." && rel[0] != '/' && path.Clean(rel) == rel {
		return rel, true
	}
	c := strings.TrimPrefix(path.Clean("/"+p), "/")
	return c, c != ""
}

// fastUSTAR: writeEntry formats plain USTAR headers itself (off only in the
// test that compares its bytes with archive/tar's).
var fastUSTAR = true

const blockSize = 512

var zeroBlock [blockSize]byte // padding; never written to

// fitsUSTAR reports whether archive/tar would write hdr as a USTAR header
// without splitting its name: every string ASCII, without NUL, within its
// field; every number octal within its field; a whole-second mtime. For
// those, formatUSTAR writes the same 512 bytes, without archive/tar's
// checks against every other format (on a layer of small files they cost
// more than hashing the whole stream).
func fitsUSTAR(h *tar.Header) bool {
	octal := func(x int64, field int) bool { return x >= 0 && x < 1<<(3*(field-1)) }
	return h.Format == tar.FormatUnknown && len(h.PAXRecords) == 0 && h.Uname == "" && h.Gname == "" &&
		h.Devmajor == 0 && h.Devminor == 0 && h.ModTime.Nanosecond() == 0 &&
		(h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeDir || h.Typeflag == tar.TypeSymlink) &&
		(h.Typeflag == tar.TypeReg || h.Size == 0) && !(h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, "/")) &&
		plainASCII(h.Name, 100) && plainASCII(h.Linkname, 100) &&
		octal(h.Mode, 8) && octal(int64(h.Uid), 8) && octal(int64(h.Gid), 8) && octal(h.Size, 12) && octal(h.ModTime.Unix(), 12)
}

// plainASCII: s fits a field of n bytes and holds only ASCII without NUL.
func plainASCII(s string, n int) bool {
	if len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// formatUSTAR fills blk (zeroed) with h as archive/tar's writeUSTARHeader
// does for a header that fitsUSTAR: the V7 fields, the USTAR magic and
// version, device numbers 0 in octal, and the checksum.
func formatUSTAR(blk *[blockSize]byte, h *tar.Header) {
	octal := func(field []byte, x int64) {
		for i := len(field) - 2; i >= 0; i-- {
			field[i] = '0' + byte(x&7)
			x >>= 3
		}
	}
	copy(blk[0:100], h.Name)
	octal(blk[100:108], h.Mode)
	octal(blk[108:116], int64(h.Uid))
	octal(blk[116:124], int64(h.Gid))
	octal(blk[124:136], h.Size)
	octal(blk[136:148], h.ModTime.Unix())
	blk[156] = h.Typeflag
	copy(blk[157:257], h.Linkname)
	copy(blk[257:265], "ustar\x0000")
	octal(blk[329:337], 0)
	octal(blk[337:345], 0)
	sum := int64(8 * ' ') // the checksum field counts as spaces
	for i, c := range blk {
		if i < 148 || i >= 156 {
			sum += int64(c)
		}
	}
	octal(blk[148:155], sum) // six digits and a NUL, then a space
	blk[155] = ' '
}
