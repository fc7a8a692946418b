package layer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
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
	if perEntry > 256 {
		t.Errorf("%.0f bytes of heap per entry, want <= 256", perEntry)
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
