package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
	"github.com/strata-build/rules_strata/go/canontar"
)

// addTar merges the entries of an existing tar file (plain, gzip or zstd).
// Contents are not held in memory: a plain tar is read back by offset, a
// compressed one is first decompressed into a temporary file.
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
	regular := map[string]node{} // for resolving hard links
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return t.userErr("", fmt.Sprintf("tars: %s is not a valid tar file: %v", tarPath, err), "pass a tar, tar.gz or tar.zst archive")
		}
		offset := cr.n
		p, ok := canontar.CleanPath(h.Name)
		if !ok {
			if h.Name == "./" || h.Name == "." || h.Name == "/" {
				continue // the root directory itself has no entry in a layer
			}
			return t.userErr(h.Name, "tars: entry of "+tarPath+" escapes the image root", "rebuild the tar without \"..\" paths")
		}
		origin := tarPath + " entry " + h.Name
		e := canontar.Entry{Path: p, Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeReg:
			e.Type, e.Size = canontar.Regular, h.Size
			e.Open = sectionOpener(plain, offset, h.Size)
		case tar.TypeDir:
			e.Type = canontar.Dir
		case tar.TypeSymlink:
			// Linux ignores symlink permissions; 0777 is what every tool writes.
			e.Type, e.Link, e.Mode = canontar.Symlink, h.Linkname, 0o777
		case tar.TypeLink:
			// Hard links become copies: canonical order may put the link
			// before its target, which extractors cannot resolve.
			target, ok := canontar.CleanPath(h.Linkname)
			src, found := regular[target]
			if !ok || !found {
				return t.userErr(p, "tars: hard link in "+tarPath+" points at "+h.Linkname+", which is not an earlier regular file", "rebuild the tar without that hard link")
			}
			e = src.Entry
			e.Path = p
		default:
			return t.userErr(p, fmt.Sprintf("tars: %s has a device, fifo or other special entry (type %q)", tarPath, h.Typeflag),
				"layers hold files, directories and symlinks only; rebuild the tar without it")
		}
		n := node{Entry: e, origin: origin, fromTar: true}
		if e.Type == canontar.Regular {
			regular[p] = n
		}
		if err := t.add(n); err != nil {
			return err
		}
	}
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
	magic, _ := br.Peek(4)
	var r io.Reader
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", err
		}
		r = zr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return "", err
		}
		defer zr.Close()
		r = zr
	default:
		return tarPath, nil
	}
	tmp, err := os.CreateTemp("", "strata-tar-*")
	if err != nil {
		return "", err
	}
	t.cleanup = append(t.cleanup, func() { os.Remove(tmp.Name()) })
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return "", t.userErr("", "tars: cannot decompress "+tarPath+": "+err.Error(), "pass an intact tar, tar.gz or tar.zst archive")
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
