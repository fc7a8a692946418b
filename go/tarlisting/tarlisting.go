// Package tarlisting prints a tar stream as one JSON line per entry (path,
// type, mode, owner, size, content sha256, link target, mtime, header
// format). Tests compare these listings instead of golden tarballs, so a
// failure names the entry and the field that changed.
package tarlisting

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Entry is one line of a listing.
type Entry struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Mode   string `json:"mode"`
	UID    int    `json:"uid"`
	GID    int    `json:"gid"`
	Size   *int64 `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
	MTime  int64  `json:"mtime"`
	Format string `json:"format"`
}

// Entries reads an uncompressed tar stream.
func Entries(r io.Reader) ([]Entry, error) {
	tr := tar.NewReader(r)
	var out []Entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		e := Entry{Path: h.Name, Mode: fmt.Sprintf("%04o", h.Mode), UID: h.Uid, GID: h.Gid,
			MTime: h.ModTime.Unix(), Format: formatName(h.Format)}
		switch h.Typeflag {
		case tar.TypeReg:
			e.Type = "file"
			sum := sha256.New()
			n, err := io.Copy(sum, tr)
			if err != nil {
				return nil, err
			}
			e.Size, e.SHA256 = &n, hex.EncodeToString(sum.Sum(nil))
		case tar.TypeDir:
			e.Type = "dir"
		case tar.TypeSymlink:
			e.Type, e.Link = "symlink", h.Linkname
		case tar.TypeLink:
			e.Type, e.Link = "hardlink", h.Linkname
		default:
			e.Type = fmt.Sprintf("type-%c", h.Typeflag)
		}
		out = append(out, e)
	}
}

// List renders Entries as newline-terminated JSON lines.
func List(r io.Reader) (string, error) {
	entries, err := Entries(r)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func formatName(f tar.Format) string {
	switch {
	case f&tar.FormatPAX != 0:
		return "PAX"
	case f&tar.FormatGNU != 0:
		return "GNU"
	case f&tar.FormatUSTAR != 0:
		return "USTAR"
	}
	return f.String()
}
