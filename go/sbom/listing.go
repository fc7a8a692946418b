package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/strata-build/rules_strata/go/compress"
)

// Listing is what one layer holds, as the SBOM needs it.
type Listing struct {
	// Files are the regular files (and hard links to earlier files of the
	// layer, with their target's content) of the layer, in tar order. Directories, symlinks and
	// whiteouts carry no content and are left out.
	Files []File `json:"files"`
}

// File is one file of a layer.
type File struct {
	Path   string    `json:"path"` // absolute path in the image, e.g. /app/bin/hello
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
	Go     *GoBinary `json:"go,omitempty"` // set for a Go program with build info
}

// GoBinary is the build info a Go program carries (debug/buildinfo).
type GoBinary struct {
	GoVersion string   `json:"goVersion"` // e.g. go1.26.8
	Path      string   `json:"path"`      // main package path
	Main      Module   `json:"main"`
	Deps      []Module `json:"deps,omitempty"`
}

// Module is a Go module linked into a program.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum,omitempty"`
}

// executableMagic are the first bytes of the executable formats
// debug/buildinfo reads (ELF, Mach-O 32/64 both byte orders, PE, XCOFF).
var executableMagic = [][]byte{
	[]byte("\x7fELF"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xce, 0xfa, 0xed, 0xfe},
	{0xfe, 0xed, 0xfa, 0xcf}, {0xcf, 0xfa, 0xed, 0xfe},
	[]byte("MZ"),
	{0x01, 0xdf}, {0x01, 0xf7},
}

func isExecutable(head []byte) bool {
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

// ListLayer reads a layer blob (plain, gzip or zstd tar, told apart by its
// first bytes) and lists its files.
//
// Memory stays bounded whatever the file sizes: content is hashed as it
// streams, and only a file that starts like an executable is also spooled to
// a temporary file in tmpDir, which debug/buildinfo then reads (it needs an
// io.ReaderAt). The temporary file is removed before the next entry.
func ListLayer(blob io.Reader, tmpDir string) (*Listing, error) {
	br := bufio.NewReaderSize(blob, 64<<10)
	r, err := compress.NewDetectingReader(br)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	out := &Listing{Files: []File{}}
	byPath := map[string]File{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the layer tar: %w", err)
		}
		p := imagePath(h.Name)
		if strings.HasPrefix(path.Base(p), ".wh.") {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg:
			f, err := readFile(tr, p, tmpDir)
			if err != nil {
				return nil, fmt.Errorf("reading %s in the layer: %w", p, err)
			}
			byPath[p] = f
			out.Files = append(out.Files, f)
		case tar.TypeLink:
			t, ok := byPath[imagePath(h.Linkname)]
			if !ok {
				// Its target is in a lower layer (docker and buildkit write
				// such links): listed there, with its content.
				continue
			}
			t.Path = p
			byPath[p] = t
			out.Files = append(out.Files, t)
		}
	}
}

// imagePath is a tar entry name as an absolute path in the image.
func imagePath(name string) string {
	return path.Clean("/" + strings.TrimPrefix(name, "./"))
}

func readFile(r io.Reader, p, tmpDir string) (File, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	head, _ := br.Peek(4)
	sum := sha256.New()
	f := File{Path: p}
	if !isExecutable(head) {
		n, err := io.Copy(sum, br)
		if err != nil {
			return f, err
		}
		f.Size, f.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
		return f, nil
	}
	tmp, err := os.CreateTemp(tmpDir, "strata-sbom-*")
	if err != nil {
		return f, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(io.MultiWriter(sum, tmp), br)
	if err != nil {
		return f, err
	}
	f.Size, f.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
	// Not a Go program, or one built without build info: no modules to
	// report, and that is not an error.
	if info, err := buildinfo.Read(tmp); err == nil {
		g := &GoBinary{GoVersion: info.GoVersion, Path: info.Path, Main: Module{Path: info.Main.Path, Version: info.Main.Version, Sum: info.Main.Sum}}
		for _, d := range info.Deps {
			m := d
			if d.Replace != nil {
				m = d.Replace
			}
			g.Deps = append(g.Deps, Module{Path: m.Path, Version: m.Version, Sum: m.Sum})
		}
		f.Go = g
	}
	return f, nil
}

// WriteListing writes l as JSON to path.
func WriteListing(path string, l *Listing) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadListing reads a file written by WriteListing.
func ReadListing(path string) (*Listing, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l Listing
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &l, nil
}
