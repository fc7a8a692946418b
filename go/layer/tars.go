package layer

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
)

// addTar merges the entries of an existing tar file (plain, gzip or zstd).
//
// Every member is read with archive/tar's semantics, and contents are not
// held in memory: a compressed tar is first decompressed into a temporary
// file; a plain member's bytes are then read back by offset, because they
// are stored verbatim; a sparse member (GNU old format 'S', or PAX
// GNU.sparse.* 0.0/0.1/1.0 as `tar --sparse` writes them) stores only its
// data fragments, so its expanded bytes are spooled through archive/tar's
// Reader into a temporary file and read back from there.
func (t *tree) addTar(tarPath string) error {
	plain, err := t.plainTar(tarPath)
	if err != nil {
		return err
	}
	f, err := os.Open(plain)
	if err != nil {
		return err
	}
	t.cleanup = append(t.cleanup, func() { f.Close() })

	// Reading through a counter (not a Seeker) makes the tar reader consume
	// data sequentially, so after Next() the count is the entry's data offset.
	cr := &countingReader{r: bufio.NewReaderSize(f, 1<<16)}
	tr := tar.NewReader(cr)
	regular := map[string]canontar.Entry{} // for resolving hard links
	sp := &spooler{t: t}
	last := "" // the last entry read, to say where a broken tar breaks
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return t.tarErr(tarPath, last, err)
		}
		last = h.Name
		offset := cr.n
		p, ok := canontar.CleanPath(h.Name)
		if !ok {
			if h.Name == "./" || h.Name == "." || h.Name == "/" {
				continue // the root directory itself has no entry in a layer
			}
			return t.userErr(h.Name, "tars: entry of "+tarPath+" escapes the image root", "rebuild the tar without \"..\" paths")
		}
		origin := origin{what: tarPath, src: h.Name, tar: true}
		if err := checkID("uid", h.Uid); err != nil {
			return t.userErr(p, "tars: "+origin.String()+": "+err.Error(), "rebuild the tar with owners in that range (e.g. GNU tar --owner=0 --group=0 --numeric-owner)")
		}
		if err := checkID("gid", h.Gid); err != nil {
			return t.userErr(p, "tars: "+origin.String()+": "+err.Error(), "rebuild the tar with owners in that range (e.g. GNU tar --owner=0 --group=0 --numeric-owner)")
		}
		e := canontar.Entry{Path: p, Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid}
		switch {
		case isSparse(h):
			e.Type, e.Size = canontar.Regular, h.Size
			if e.Open, err = sp.add(tr, h.Size); err != nil {
				return t.tarErr(tarPath, last, err)
			}
		case h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeCont:
			// POSIX: a contiguous file ('7') is a regular file to readers.
			e.Type, e.Size = canontar.Regular, h.Size
			e.Open = sectionOpener(plain, offset, h.Size)
		case h.Typeflag == tar.TypeDir:
			e.Type = canontar.Dir
		case h.Typeflag == tar.TypeSymlink:
			// Linux ignores symlink permissions; 0777 is what every tool writes.
			e.Type, e.Link, e.Mode = canontar.Symlink, h.Linkname, 0o777
		case h.Typeflag == tar.TypeLink:
			// Hard links become copies: canonical order may put the link
			// before its target, which extractors cannot resolve.
			target, ok := canontar.CleanPath(h.Linkname)
			src, found := regular[target]
			if !ok || !found {
				return t.userErr(p, "tars: hard link in "+tarPath+" points at "+h.Linkname+", which is not an earlier regular file", "rebuild the tar without that hard link")
			}
			e = src
			e.Path = p
		default:
			return t.userErr(p, fmt.Sprintf("tars: %s has a device, fifo or other special entry (type %q)", tarPath, h.Typeflag),
				"layers hold files, directories and symlinks only; rebuild the tar without it")
		}
		if e.Type == canontar.Regular {
			regular[p] = e
		}
		if err := t.add(e, origin); err != nil {
			return err
		}
	}
}

// isSparse reports whether h is a sparse member, whose stored bytes are not
// its content. archive/tar expands old GNU sparse members (type 'S') and
// GNU's PAX sparse formats, which it recognises by GNU.sparse.* records;
// any such record sends the member through the Reader, which is always right.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	if h.Typeflag != tar.TypeReg {
		return false
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// spooler holds the expanded content of one tar's sparse members in one
// temporary file, created on the first sparse member.
type spooler struct {
	t    *tree
	f    *os.File
	size int64
}

// add copies the current member's content (as archive/tar's Reader yields
// it) to the end of the spool file and returns an opener for it.
func (s *spooler) add(r io.Reader, size int64) (func() (io.ReadCloser, error), error) {
	if s.f == nil {
		f, err := os.CreateTemp("", "strata-sparse-*")
		if err != nil {
			return nil, err
		}
		s.f = f
		s.t.cleanup = append(s.t.cleanup, func() { f.Close(); os.Remove(f.Name()) })
	}
	off := s.size
	n, err := copyHoles(s.f, off, r)
	s.size += n
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, io.ErrUnexpectedEOF
	}
	return sectionOpener(s.f.Name(), off, size), nil
}

// copyHoles copies r into f from offset off, seeking over blocks of zeros
// instead of writing them, so a mostly-empty file (a database, lastlog)
// stays mostly holes on disk too. It returns the number of bytes copied.
func copyHoles(f *os.File, off int64, r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			if !allZero(buf[:k]) {
				if _, werr := f.WriteAt(buf[:k], off+n); werr != nil {
					return n, werr
				}
			}
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			// Trailing holes were never written: extend the file over them.
			if st, serr := f.Stat(); serr != nil {
				return n, serr
			} else if st.Size() < off+n {
				return n, f.Truncate(off + n)
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// tarErr explains why archive/tar could not read tarPath: the raw messages
// ("unexpected EOF", "invalid PAX record") say nothing about which file.
func (t *tree) tarErr(tarPath, last string, err error) error {
	where := "at its first entry"
	if last != "" {
		where = fmt.Sprintf("after entry %q", last)
	}
	var problem string
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		problem = fmt.Sprintf("tars: %s is truncated: it ends in the middle of an entry, %s (%v)", tarPath, where, err)
	case errors.Is(err, tar.ErrHeader) || strings.Contains(err.Error(), "archive/tar"):
		problem = fmt.Sprintf("tars: %s is not a valid tar: a header is malformed, %s (%v)", tarPath, where, err)
	default:
		problem = fmt.Sprintf("tars: cannot read %s, %s: %v", tarPath, where, err)
	}
	return t.userErr("", problem, "rebuild the tar with a tar tool (GNU tar, bsdtar) and check that the rule making it finishes writing it; `tar -tvf "+tarPath+"` shows the same problem")
}

// plainTar returns the path of an uncompressed copy of tarPath (tarPath
// itself if it is not compressed).
func (t *tree) plainTar(tarPath string) (string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return "", t.userErr("", "tars: cannot open "+tarPath+": "+errText(err), "check that the tar file exists")
	}
	defer f.Close()
	br := bufio.NewReader(f)
	alg := compress.Detect(br)
	if alg == compress.None {
		return tarPath, nil
	}
	corrupt := func(err error) error {
		return t.userErr("", "tars: cannot decompress "+tarPath+": "+err.Error()+" (the file is truncated or corrupt)",
			"pass an intact tar, tar.gz or tar.zst archive; `tar -tvf "+tarPath+"` shows the same problem")
	}
	r, err := compress.NewReader(alg, br)
	if err != nil {
		return "", corrupt(err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp("", "strata-tar-*")
	if err != nil {
		return "", err
	}
	t.cleanup = append(t.cleanup, func() { os.Remove(tmp.Name()) })
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return "", corrupt(err)
	}
	return tmp.Name(), tmp.Close()
}

func sectionOpener(file string, off, size int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.NewSectionReader(f, off, size), f}, nil
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
