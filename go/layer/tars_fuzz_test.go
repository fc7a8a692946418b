package layer_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/layer"
	"github.com/strata-build/rules_strata/go/tarlisting"
	"github.com/strata-build/rules_strata/go/usererr"
)

// seedTars are the tars testdata/tars/make.sh made with GNU tar: sparse
// files in the old GNU format and in PAX 0.0, 0.1 and 1.0, a hard link and
// a long name.
func seedTars(t testing.TB) []string {
	seeds, err := filepath.Glob("testdata/tars/*.tar*")
	if err != nil || len(seeds) < 5 {
		t.Fatalf("seed tars missing (%v): run testdata/tars/make.sh", err)
	}
	return seeds
}

// TestSparseTars checks every file of the GNU tar seeds against the digests
// sha256sum took of the files themselves before they were archived.
func TestSparseTars(t *testing.T) {
	sums, err := os.ReadFile("testdata/tars/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		want[strings.TrimPrefix(name, "./")] = sum
	}
	want["data/hard"] = want["data/plain.txt"]
	diffIDs := map[string]string{}
	for _, seed := range seedTars(t) {
		t.Run(filepath.Base(seed), func(t *testing.T) {
			desc, listing := build(t, layer.Spec{Target: "//t", Compression: "gzip", Tars: []string{seed}})
			if !strings.HasSuffix(seed, "-small.tar") {
				diffIDs[desc.DiffID.String()] += " " + filepath.Base(seed)
			}
			for p, sum := range want {
				if strings.HasSuffix(seed, "-small.tar") && p != "data/a-sparse" && p != "data/pad" {
					continue // the small seed holds only these two
				}
				line := `{"path":"` + p + `","type":"file",`
				i := strings.Index(listing, line)
				if i < 0 {
					t.Errorf("layer lacks %s:\n%s", p, listing)
					continue
				}
				if got := listing[i:]; !strings.Contains(got[:strings.IndexByte(got, '\n')], `"sha256":"`+sum+`"`) {
					t.Errorf("%s: content differs from the input file (want sha256 %s):\n%s", p, sum, got[:strings.IndexByte(got, '\n')])
				}
			}
		})
	}
	// One tree archived in five formats is one canonical layer.
	if len(diffIDs) != 1 {
		t.Errorf("the formats give different layers: %v", diffIDs)
	}
}

// generatedSeeds are tars archive/tar writes, and broken variants of them.
func generatedSeeds(t testing.TB) map[string][]byte {
	long := strings.Repeat("l", 120) + "/" + strings.Repeat("n", 120)
	mk := func(hs ...tar.Header) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range hs {
			h := h
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				tw.Write(bytes.Repeat([]byte(h.Name[:1]), int(h.Size)))
			}
		}
		tw.Close()
		return b.Bytes()
	}
	seeds := map[string][]byte{
		"pax long name": mk(tar.Header{Name: long, Typeflag: tar.TypeReg, Size: 700, Mode: 0o644, Format: tar.FormatPAX,
			PAXRecords: map[string]string{"comment": "hello"}}),
		"gnu long name": mk(tar.Header{Name: long, Typeflag: tar.TypeReg, Size: 3, Mode: 0o600, Format: tar.FormatGNU},
			tar.Header{Name: long + "/../x", Typeflag: tar.TypeSymlink, Linkname: long, Format: tar.FormatGNU}),
		"hard link": mk(tar.Header{Name: "./a/f", Typeflag: tar.TypeReg, Size: 513, Mode: 0o644},
			tar.Header{Name: "b/g", Typeflag: tar.TypeLink, Linkname: "a/f"},
			tar.Header{Name: "c", Typeflag: tar.TypeReg, Size: 1}),
	}
	pax := seeds["pax long name"]
	bad := bytes.Replace(pax, []byte("17 comment=hello"), []byte("99 comment=hello"), 1)
	if bytes.Equal(bad, pax) {
		t.Fatal("no PAX comment record to break")
	}
	seeds["bad pax record"] = bad
	seeds["truncated data"] = seeds["hard link"][:512+200]
	seeds["truncated header"] = seeds["hard link"][:1024+1024+100]
	sparse, err := os.ReadFile("testdata/tars/pax-sparse-1.0.tar")
	if err != nil {
		t.Fatal(err)
	}
	seeds["truncated sparse"] = sparse[:len(sparse)/2]
	return seeds
}

// FuzzTarInput feeds tars to the layer builder: it must either refuse the
// tar with a usererr.Error or build a layer in which every regular file
// holds exactly the bytes archive/tar's Reader yields for it in the input.
func FuzzTarInput(f *testing.F) {
	for _, seed := range seedTars(f) {
		b, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range generatedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(checkTarInput)
}

func TestGeneratedSeeds(t *testing.T) {
	for name, b := range generatedSeeds(t) {
		t.Run(name, func(t *testing.T) { checkTarInput(t, b) })
	}
}

// maxFuzzContent bounds what one fuzz input may expand to: a sparse member
// can claim any size without storing it.
const maxFuzzContent = 4 << 20

func checkTarInput(t *testing.T, data []byte) {
	want, readErr := readTar(data)
	if errors.Is(readErr, errTooBig) {
		t.Skip("expands beyond the fuzz bound")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.tar")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blob")
	_, err := layer.Build(layer.Spec{Target: "//fuzz:layer", Compression: "none", Tars: []string{in}}, blob)
	if err != nil {
		if _, ok := usererr.As(err); !ok {
			t.Fatalf("refused without a usererr.Error: %T %v", err, err)
		}
		if !strings.Contains(err.Error(), "//fuzz:layer") || !strings.Contains(err.Error(), "fix:") {
			t.Fatalf("error lacks the target or the fix: %v", err)
		}
		return
	}
	if readErr != nil {
		t.Fatalf("built a layer from a tar archive/tar cannot read (%v)", readErr)
	}
	f, err := os.Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := tarlisting.Entries(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("the layer is not a valid tar: %v", err)
	}
	got := map[string]string{}
	for _, e := range entries {
		if e.Type == "file" {
			got[e.Path] = e.SHA256
		}
	}
	for p, sum := range want {
		if got[p] != sum {
			t.Errorf("%s: layer has sha256 %q, the input %q", p, got[p], sum)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: in the layer but not a regular file of the input", p)
		}
	}
}

var errTooBig = errors.New("too big")

// readTar is the reference: the sha256 of every regular file (hard links
// resolved) as archive/tar's Reader yields it, keyed by canonical path.
func readTar(data []byte) (map[string]string, error) {
	var r io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	tr := tar.NewReader(r)
	out := map[string]string{}
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		p, ok := canontar.CleanPath(h.Name)
		if !ok {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
			if total += h.Size; h.Size < 0 || total > maxFuzzContent {
				return nil, errTooBig
			}
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, err
			}
			out[p] = hex.EncodeToString(sum.Sum(nil))
		case tar.TypeLink:
			if target, ok := canontar.CleanPath(h.Linkname); ok {
				if sum, ok := out[target]; ok {
					out[p] = sum
				}
			}
		default:
			delete(out, p)
		}
	}
}
