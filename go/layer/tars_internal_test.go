package layer

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/tarlisting"
)

// collected is spec's tree and its entries in canonical order.
func collected(t *testing.T, spec Spec) (*tree, []canontar.Entry) {
	t.Helper()
	tr, err := collect(spec)
	t.Cleanup(tr.close)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := tr.entries()
	if err != nil {
		t.Fatal(err)
	}
	return tr, entries
}

// TestFileShrinks truncates a source between collecting it and writing the
// layer: the error names the target, the source and the fix, not only
// "file shrank while being read". The source is a tar member, whose size
// is its header's (a file's is taken when it is opened, see
// TestListedFileSizedAtOpen).
func TestFileShrinks(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "data.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "data.bin", Mode: 0o644, Size: 4096, Typeflag: tar.TypeReg})
	tw.Write([]byte(strings.Repeat("x", 4096)))
	tw.Close()
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Target: "//pkg:layer", Compression: "none", Tars: []string{src}}
	tr, entries := collected(t, spec)
	if err := os.Truncate(src, 512+100); err != nil {
		t.Fatal(err)
	}
	_, err := Write(io.Discard, entries, time.Unix(0, 0), compress.None)
	err = tr.contentError(err)
	for _, w := range []string{"//pkg:layer", `"data.bin"`, src + " entry data.bin", "file shrank while being read (100 of 4096 bytes)", "fix:"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
}

// TestListedFileSizedAtOpen: a listed file is not stat'ed while collecting;
// its size is taken when it is opened, so a file that changed in between is
// written as it is then, header and content alike; and a source that is
// gone by then is reported as a missing source, as collecting reported it.
func TestListedFileSizedAtOpen(t *testing.T) {
	dir := t.TempDir()
	src, gone := filepath.Join(dir, "data.bin"), filepath.Join(dir, "gone")
	for _, p := range []string{src, gone} {
		if err := os.WriteFile(p, []byte(strings.Repeat("x", 4096)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := Spec{Target: "//pkg:layer", Compression: "none", Files: []File{
		{Src: src, Dst: "/data.bin", Label: "//pkg:data", Executable: new(bool)},
		{Src: gone, Dst: "/gone", Label: "//pkg:gone", Executable: new(bool)},
	}}
	tr, entries := collected(t, spec)
	for _, e := range entries {
		if e.Size != canontar.SizeAtOpen {
			t.Errorf("%s: size %d taken while collecting, want canontar.SizeAtOpen", e.Path, e.Size)
		}
	}
	if err := os.Truncate(src, 100); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Write(&out, entries[:1], time.Unix(0, 0), compress.None); err != nil {
		t.Fatal(err)
	}
	if listing, err := tarlisting.List(&out); err != nil || !strings.Contains(listing, `"path":"data.bin","type":"file","mode":"0644","uid":0,"gid":0,"size":100,`) {
		t.Errorf("listing (%v):\n%s", err, listing)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	_, err := Write(io.Discard, entries, time.Unix(0, 0), compress.None)
	err = tr.contentError(err)
	for _, w := range []string{"//pkg:layer", `"gone"`, "source //pkg:gone (" + gone + ") cannot be read: no such file or directory", "fix: check that the file exists"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
}

// TestCopyHolesStaysSparse: a sparse member's expanded bytes are spooled
// with holes where the zeros were, so a mostly-empty 64 MiB file takes
// almost no disk, and reads back byte for byte.
func TestCopyHolesStaysSparse(t *testing.T) {
	const size = 64 << 20
	want := make([]byte, size)
	copy(want[1000:], "head")
	copy(want[size-3:], "end")
	f, err := os.CreateTemp(t.TempDir(), "spool")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("earlier member"))
	n, err := copyHoles(f, 14, bytes.NewReader(want))
	if err != nil || n != size {
		t.Fatalf("copied %d, %v", n, err)
	}
	got := make([]byte, size)
	if _, err := f.ReadAt(got, 14); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("spooled bytes differ (%v)", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used > 1<<20 {
		t.Errorf("spool of a 64 MiB sparse file uses %d bytes of disk", used)
	}
	// A tail of zeros still counts: the file is extended over it.
	zeros, err := os.CreateTemp(t.TempDir(), "zeros")
	if err != nil {
		t.Fatal(err)
	}
	defer zeros.Close()
	if n, err := copyHoles(zeros, 0, io.LimitReader(zeroReader{}, 300000)); err != nil || n != 300000 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if st, _ := zeros.Stat(); st.Size() != 300000 {
		t.Errorf("size %d after a file of zeros", st.Size())
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
