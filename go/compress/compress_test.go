package compress_test

import (
	"bytes"
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/strata-build/rules_strata/go/compress"
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
