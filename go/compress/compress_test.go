package compress_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"testing"

	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/internal/testbinary"
)

// mixed returns n bytes that are half random, half repetitive text, so both
// the literal and the match paths of the encoders are exercised.
func mixed(n int) []byte {
	r := rand.New(rand.NewSource(1))
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		chunk := b[i:min(i+4096, n)]
		if (i/4096)%2 == 0 {
			r.Read(chunk)
		} else {
			copy(chunk, bytes.Repeat([]byte("layer bytes are reproducible "), 200))
		}
	}
	return b
}

func compressed(t *testing.T, a compress.Algorithm, in []byte, concurrency int) [32]byte {
	t.Helper()
	var out bytes.Buffer
	w, err := compress.NewWriter(a, &out, concurrency)
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes: output must not depend on how the input is chunked.
	for len(in) > 0 {
		n := min(len(in), 12345)
		if _, err := w.Write(in[:n]); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(out.Bytes())
}

// TestOutputIndependentOfConcurrency is the reason concurrency may follow the
// CPU count while everything else is pinned.
func TestOutputIndependentOfConcurrency(t *testing.T) {
	in := mixed(5 << 20)
	for _, a := range []compress.Algorithm{compress.Gzip, compress.Zstd, compress.None} {
		want := compressed(t, a, in, 1)
		for _, c := range []int{2, 3, 8, 16} {
			if got := compressed(t, a, in, c); got != want {
				t.Errorf("%s: concurrency %d gave different bytes than concurrency 1", a, c)
			}
		}
	}
}

func TestParse(t *testing.T) {
	if _, err := compress.Parse("brotli"); err == nil {
		t.Fatal("accepted unknown compression")
	}
	if a, err := compress.Parse("zstd"); err != nil || a.MediaType() != "application/vnd.oci.image.layer.v1.tar+zstd" {
		t.Fatalf("zstd: %v %v", a, err)
	}
}

func compressedLevel(t *testing.T, a compress.Algorithm, level int, in []byte, concurrency int) ([32]byte, int) {
	t.Helper()
	var out bytes.Buffer
	w, err := compress.NewWriterLevel(a, level, &out, concurrency)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(in)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(out.Bytes()), out.Len()
}

// TestLevels: level 0 is the pinned default (so existing digests stay), other
// levels give other bytes, and each level is as independent of the CPU count
// as the default is.
func TestLevels(t *testing.T) {
	in := mixed(3 << 20)
	for _, tc := range []struct {
		a      compress.Algorithm
		levels []int
	}{{compress.Gzip, []int{1, 9}}, {compress.Zstd, []int{1, 19}}} {
		def, _ := compressedLevel(t, tc.a, 0, in, 2)
		if def != compressed(t, tc.a, in, 2) {
			t.Errorf("%s: level 0 is not the pinned default", tc.a)
		}
		for _, l := range tc.levels {
			one, _ := compressedLevel(t, tc.a, l, in, 1)
			if one == def {
				t.Errorf("%s level %d: same bytes as the default", tc.a, l)
			}
			if many, _ := compressedLevel(t, tc.a, l, in, 8); many != one {
				t.Errorf("%s level %d: concurrency 8 gave different bytes than 1", tc.a, l)
			}
		}
	}
}

func TestCheckLevel(t *testing.T) {
	for _, tc := range []struct {
		a     compress.Algorithm
		level int
		ok    bool
	}{
		{compress.Gzip, 0, true}, {compress.Gzip, 1, true}, {compress.Gzip, 9, true}, {compress.Gzip, 10, false}, {compress.Gzip, -1, false},
		{compress.Zstd, 22, true}, {compress.Zstd, 23, false},
		{compress.None, 0, true}, {compress.None, 1, false},
	} {
		if err := compress.CheckLevel(tc.a, tc.level); (err == nil) != tc.ok {
			t.Errorf("CheckLevel(%s, %d) = %v, want ok=%v", tc.a, tc.level, err, tc.ok)
		}
	}
}

// BenchmarkLevels: speed against size for gzip levels and the zstd speeds,
// on what layers mostly hold: a Go binary (this test binary). MB/s compares
// speeds; "ratio" is compressed size / input size.
// Run: go test -run='^$' -bench=Levels -benchtime=5x ./go/compress
func BenchmarkLevels(b *testing.B) {
	in := testbinary.Bytes(b)
	cases := []struct {
		a     compress.Algorithm
		level int
	}{{compress.Gzip, 1}, {compress.Gzip, 3}, {compress.Gzip, 6}, {compress.Gzip, 9}, {compress.Zstd, 1}, {compress.Zstd, 3}, {compress.Zstd, 7}, {compress.Zstd, 19}}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s-%d", c.a, c.level), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			var size int
			for i := 0; i < b.N; i++ {
				var out bytes.Buffer
				w, err := compress.NewWriterLevel(c.a, c.level, &out, 0)
				if err != nil {
					b.Fatal(err)
				}
				w.Write(in)
				w.Close()
				size = out.Len()
			}
			b.ReportMetric(float64(size)/float64(len(in)), "ratio")
		})
	}
}

// TestMediaTypeAndDetect: each algorithm's media type names it again, Docker
// types included, and what each writer writes is told apart by its magic
// bytes alone and reads back.
func TestMediaTypeAndDetect(t *testing.T) {
	for _, a := range []compress.Algorithm{compress.Gzip, compress.Zstd, compress.None} {
		if got := compress.FromMediaType(a.MediaType()); got != a {
			t.Errorf("%s: media type %s names %s", a, a.MediaType(), got)
		}
		var buf bytes.Buffer
		w, err := compress.NewWriter(a, &buf, 1)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("hello layer"))
		w.Close()
		br := bufio.NewReader(&buf)
		if got := compress.Detect(br); got != a {
			t.Errorf("%s: detected %s", a, got)
		}
		r, err := compress.NewDetectingReader(br)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(r); err != nil || string(b) != "hello layer" {
			t.Errorf("%s: read back %q, %v", a, b, err)
		}
	}
	for mt, want := range map[string]compress.Algorithm{
		"application/vnd.docker.image.rootfs.diff.tar.gzip": compress.Gzip,
		"application/vnd.docker.image.rootfs.diff.tar":      compress.None,
	} {
		if got := compress.FromMediaType(mt); got != want {
			t.Errorf("%s: got %s, want %s", mt, got, want)
		}
	}
}
