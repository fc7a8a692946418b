package layer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/tarlisting"
)

// TestEntryMemory: the entries of a large layer cost little memory once
// collected and sorted (no map, no copy per step, no message per file), so
// a 100,000-file layer stays under 64 MiB of RSS. 20,000 files here.
func TestEntryMemory(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	spec := Spec{Target: "//pkg:many", Compression: "gzip"}
	exe := false
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%05d", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		spec.Files = append(spec.Files, File{Src: p, Dst: fmt.Sprintf("/d%03d/f%05d", i%997, i), Label: "//pkg:files", Executable: &exe})
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	_, entries := collected(t, spec)
	perEntry := float64(heap()-before) / n
	runtime.KeepAlive(entries)
	runtime.KeepAlive(spec)
	// 159 today. A 100,000-file zstd layer's live heap sits within a few
	// MB of the soft memory limit (Build's limitMemory): 16 bytes more per
	// entry (177) made the collector run 137 times instead of 12 there.
	if perEntry > 168 {
		t.Errorf("%.0f bytes of heap per entry, want <= 168", perEntry)
	}
	t.Logf("%.0f bytes of heap per entry", perEntry)
}

// TestOpenFile: the plain-syscall reader yields a file's bytes and fails as
// os.Open does, so messages about unreadable sources do not change.
func TestOpenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("0123456789"), 50000)
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := openFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) || rc.Close() != nil {
		t.Fatalf("read %d of %d bytes: %v", len(got), len(want), err)
	}
	_, err = openFile(p + ".missing")
	_, osErr := os.Open(p + ".missing")
	if err == nil || err.Error() != osErr.Error() {
		t.Errorf("got %v, want %v", err, osErr)
	}
}

// TestTreeFilesSizedAtOpen: the files of a tree artifact are listed without
// a stat each (their size is learnt when the layer is written), so the
// header and the content always agree, even if a file changes in between;
// a file and a tree file at the same path still merge when their content is
// the same and conflict when it differs.
func TestTreeFilesSizedAtOpen(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]string{"a.txt": "aaa", "sub/b.txt": "bb", "same": "s"} {
		if err := os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	same, other := filepath.Join(dir, "same"), filepath.Join(dir, "other")
	os.WriteFile(same, []byte("s"), 0o644)
	os.WriteFile(other, []byte("o"), 0o644)
	exe := false
	spec := func(extra string) Spec {
		return Spec{Target: "//pkg:tree", Compression: "none", Files: []File{
			{Src: tree, Dst: "/srv", Tree: true, Executable: &exe},
			{Src: extra, Dst: "/srv/same", Executable: &exe},
		}}
	}
	_, entries := collected(t, spec(same))
	for _, e := range entries {
		if e.Type == canontar.Regular && e.Path != "srv/same" && e.Size != canontar.SizeAtOpen {
			t.Errorf("%s: size %d taken while collecting, want canontar.SizeAtOpen", e.Path, e.Size)
		}
	}
	if err := os.WriteFile(filepath.Join(tree, "a.txt"), []byte("grown since it was listed"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(&buf, entries, time.Unix(0, 0), compress.None); err != nil {
		t.Fatal(err)
	}
	listing, err := tarlisting.List(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"path":"srv/a.txt","type":"file","mode":"0644","uid":0,"gid":0,"size":25,`, `"path":"srv/sub/b.txt","type":"file","mode":"0644","uid":0,"gid":0,"size":2,`, `"path":"srv/same","type":"file","mode":"0644","uid":0,"gid":0,"size":1,`} {
		if !strings.Contains(listing, w) {
			t.Errorf("listing lacks %s:\n%s", w, listing)
		}
	}
	if _, err := collect(spec(other)); err == nil || !strings.Contains(err.Error(), "different content") {
		t.Errorf("a tree file and another file with different content at one path: got %v", err)
	}
}
