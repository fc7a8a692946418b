package layer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
)

// stageEntries: 300 small files and three of several MiB (half random, half
// zeros), so the stages' buffers and the compressors' blocks fill and wrap
// many times.
func stageEntries(t *testing.T) []canontar.Entry {
	rng := rand.New(rand.NewSource(9))
	var es []canontar.Entry
	for i := 0; i < 303; i++ {
		size := 1 + rng.Intn(8<<10)
		if i%100 == 0 {
			size = 3<<20 + rng.Intn(1<<20)
		}
		b := make([]byte, size)
		rng.Read(b[:size/2])
		es = append(es, canontar.Entry{Path: fmt.Sprintf("d%d/f%03d", i%7, i), Type: canontar.Regular, Mode: 0o644, Size: int64(size),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }})
	}
	var err error
	if es, err = canontar.Sort(es); err != nil {
		t.Fatal(err)
	}
	return es
}

// TestWriteLevelSameBytes: the staged pipeline writes exactly the blob of
// the plain one (tar, then compress, then hash, one after the other), for
// every compression, under GOMAXPROCS 1 and 2.
func TestWriteLevelSameBytes(t *testing.T) {
	es := stageEntries(t)
	for _, alg := range []compress.Algorithm{compress.Gzip, compress.Zstd, compress.None} {
		var tarBuf, want bytes.Buffer
		if err := canontar.Write(&tarBuf, es, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		zw, err := compress.NewWriter(alg, &want, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(zw, bytes.NewReader(tarBuf.Bytes())); err != nil || zw.Close() != nil {
			t.Fatal(err)
		}
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			var got bytes.Buffer
			d, err := Write(&got, es, time.Unix(0, 0), alg)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s, GOMAXPROCS=%d: blob differs from the plain pipeline's (%d vs %d bytes)", alg, procs, got.Len(), want.Len())
			}
			if d.Digest.Hex != fmt.Sprintf("%x", sha256.Sum256(want.Bytes())) || d.DiffID.Hex != fmt.Sprintf("%x", sha256.Sum256(tarBuf.Bytes())) || d.Size != int64(want.Len()) {
				t.Errorf("%s, GOMAXPROCS=%d: descriptor %+v does not describe the blob", alg, procs, d)
			}
		}
	}
}

type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestWriteLevelOutputError: a failing output write reaches the caller
// (and the stages' goroutines end) instead of being lost on the goroutine
// that does the write.
func TestWriteLevelOutputError(t *testing.T) {
	es := stageEntries(t)
	for _, alg := range []compress.Algorithm{compress.Gzip, compress.Zstd, compress.None} {
		done := make(chan error)
		go func() {
			_, err := Write(&failAfter{n: 1 << 20}, es, time.Unix(0, 0), alg)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Errorf("%s: got %v, want the write error", alg, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: Write did not return after its output failed", alg)
		}
		// An input that fails midway: Write returns its error once every
		// goroutine has stopped writing (none writes into a closed stage).
		bad := append([]canontar.Entry(nil), es...)
		bad[len(bad)/2].Open = func() (io.ReadCloser, error) { return nil, errors.New("vanished") }
		if _, err := Write(io.Discard, bad, time.Unix(0, 0), alg); err == nil || !strings.Contains(err.Error(), "vanished") {
			t.Errorf("%s: got %v, want the read error", alg, err)
		}
	}
}
