package layer

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
)

// manyFiles writes n files of random sizes (a third of them above
// prefetchMaxFile, enough bytes to wrap the ring several times) and returns
// a spec of them.
func manyFiles(t *testing.T, n int) Spec {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		size := rng.Intn(64 << 10)
		switch i % 3 {
		case 1:
			size = rng.Intn(prefetchMaxFile) + 1
		case 2:
			if i%30 == 2 {
				size = prefetchMaxFile + rng.Intn(1<<20)
			}
		}
		b := make([]byte, size)
		rng.Read(b[:size/2]) // half random, half zeros: the compressor has work
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%17), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Spec{Target: "//pkg:many", Compression: "gzip", Files: []File{{Src: dir, Dst: "/data", Tree: true, Executable: new(bool)}}}
}

// TestPrefetchSameBytes: the layer built with read-ahead (Build) is byte for
// byte the one written straight from the entries, with no read-ahead, and
// does not move with GOMAXPROCS (1 vs 2) or the number of readers.
func TestPrefetchSameBytes(t *testing.T) {
	spec := manyFiles(t, 300)
	tr, err := collect(spec)
	defer tr.close()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := tr.entries()
	if err != nil {
		t.Fatal(err)
	}
	plain := sha256.New()
	want, err := Write(plain, entries, time.Unix(spec.MTime, 0), compress.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 7} {
		got, stop := prefetch(entries, workers)
		h := sha256.New()
		d, err := Write(h, got, time.Unix(spec.MTime, 0), compress.Gzip)
		stop()
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != want.Digest || d.DiffID != want.DiffID || string(h.Sum(nil)) != string(plain.Sum(nil)) {
			t.Errorf("%d readers: %v, without read-ahead %v", workers, d.Digest, want.Digest)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		d, err := Build(spec, filepath.Join(t.TempDir(), "blob"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != want.Digest || d.DiffID != want.DiffID {
			t.Errorf("GOMAXPROCS=%d: %v, without read-ahead %v", procs, d.Digest, want.Digest)
		}
	}
}

// TestPrefetchShrinkAndStop: a small file that shrank after it was listed
// is still reported by canontar with both sizes, and stopping the
// read-ahead midway (the writer gave up) returns.
func TestPrefetchShrinkAndStop(t *testing.T) {
	spec := manyFiles(t, 90)
	tr, err := collect(spec)
	defer tr.close()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := tr.entries()
	if err != nil {
		t.Fatal(err)
	}
	var victim canontar.Entry
	for _, e := range entries {
		if e.Type == canontar.Regular && e.Size > 100 && e.Size <= prefetchMaxFile && strings.HasSuffix(e.Path, "f0040") {
			victim = e
		}
	}
	if victim.Path == "" {
		t.Fatal("no small file f0040 in the fixture")
	}
	if err := os.Truncate(filepath.Join(spec.Files[0].Src, strings.TrimPrefix(victim.Path, "data/")), 100); err != nil {
		t.Fatal(err)
	}
	got, stop := prefetch(entries, 2)
	_, err = Write(io.Discard, got, time.Unix(0, 0), compress.None)
	stop()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("file shrank while being read (100 of %d bytes)", victim.Size)) {
		t.Fatalf("want the shrink reported, got %v", err)
	}
	// Open two files, then stop with the rest unread.
	got, stop = prefetch(entries, 2)
	n := 0
	for _, e := range got {
		if e.Type == canontar.Regular && n < 2 {
			rc, err := e.Open()
			if err == nil {
				rc.Close()
			}
			n++
		}
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
}
