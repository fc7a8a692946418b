// Package compress is all strata knows about layer compression: the
// compressors, pinned so that the same tar stream always compresses to the
// same bytes on every machine; the media type of each (and the compression a
// media type names); and telling compressed input from plain by its magic
// bytes. The file extensions of layer blobs (`.tar.gz`, `.tar.zst`, `.tar`)
// are chosen in rules/private/layer.bzl, where Bazel declares the outputs
// before any of this runs; no reader depends on them.
//
// Library, level and block size are constants of this package. Only the
// number of goroutines follows the CPU count, and the tests prove it does not
// change the output (pgzip and the zstd streaming encoder split input at fixed
// block boundaries, whatever the concurrency).
package compress

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Algorithm names a layer compression as users write it in BUILD files.
type Algorithm string

const (
	Gzip Algorithm = "gzip"
	Zstd Algorithm = "zstd"
	None Algorithm = "none"
)

// Pinned parameters. Changing any of them changes every layer digest.
const (
	GzipLevel     = 6       // gzip.DefaultCompression, what docker and crane use
	GzipBlockSize = 1 << 20 // pgzip block size; output depends on it
	ZstdLevel     = zstd.SpeedDefault
)

// CheckLevel validates a user-supplied level for a: 0 means the pinned
// default; gzip takes 1..9, zstd 1..22 (zstd's own scale, which the encoder
// maps onto its four speeds: 1-2 fastest, 3-5 default, 6-9 better, 10+
// best); an uncompressed layer takes none.
func CheckLevel(a Algorithm, level int) error {
	switch {
	case level == 0:
		return nil
	case a == Gzip && level >= 1 && level <= 9:
		return nil
	case a == Zstd && level >= 1 && level <= 22:
		return nil
	case a == None:
		return fmt.Errorf("compression_level %d given for an uncompressed layer", level)
	}
	return fmt.Errorf("compression_level %d is outside %s's range (gzip: 1..9, zstd: 1..22)", level, a)
}

// Parse validates a user-supplied compression name.
func Parse(s string) (Algorithm, error) {
	switch a := Algorithm(s); a {
	case Gzip, Zstd, None:
		return a, nil
	}
	return "", fmt.Errorf("unknown compression %q: use \"gzip\", \"zstd\" or \"none\"", s)
}

// MediaType is the OCI layer media type of a blob compressed with a.
func (a Algorithm) MediaType() string {
	switch a {
	case Gzip:
		return "application/vnd.oci.image.layer.v1.tar+gzip"
	case Zstd:
		return "application/vnd.oci.image.layer.v1.tar+zstd"
	}
	return "application/vnd.oci.image.layer.v1.tar"
}

// FromMediaType is the compression a layer media type names: OCI and Docker
// types alike (`...tar+gzip`, `...tar.gzip`, `...tar+zstd`); None for
// anything else.
func FromMediaType(mediaType string) Algorithm {
	switch {
	case strings.HasSuffix(mediaType, "gzip"):
		return Gzip
	case strings.HasSuffix(mediaType, "zstd"):
		return Zstd
	}
	return None
}

// Magic numbers that start a compressed stream (RFC 1952, RFC 8878).
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Detect tells a gzip or zstd stream from a plain one by its first bytes,
// without consuming them: what `tars` inputs and pulled or built blobs are
// read with, whatever their file names say.
func Detect(r *bufio.Reader) Algorithm {
	head, _ := r.Peek(len(zstdMagic))
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip
	case bytes.HasPrefix(head, zstdMagic):
		return Zstd
	}
	return None
}

// NewDetectingReader decompresses r, whose compression Detect tells.
func NewDetectingReader(r *bufio.Reader) (io.ReadCloser, error) {
	return NewReader(Detect(r), r)
}

// NewWriter returns a compressing writer into w at the pinned level, using
// concurrency goroutines (0 means GOMAXPROCS). Close flushes it but does not
// close w.
func NewWriter(a Algorithm, w io.Writer, concurrency int) (io.WriteCloser, error) {
	return NewWriterLevel(a, 0, w, concurrency)
}

// NewWriterLevel is NewWriter at level (0: the pinned default; see
// CheckLevel). The output still depends only on the input and the level.
func NewWriterLevel(a Algorithm, level int, w io.Writer, concurrency int) (io.WriteCloser, error) {
	if err := CheckLevel(a, level); err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	switch a {
	case Gzip:
		gzipLevel := GzipLevel
		if level != 0 {
			gzipLevel = level
		}
		gw, err := pgzip.NewWriterLevel(w, gzipLevel)
		if err != nil {
			return nil, err
		}
		// pgzip wants at least two blocks in flight to overlap work.
		if err := gw.SetConcurrency(GzipBlockSize, max(2, concurrency)); err != nil {
			return nil, err
		}
		return gw, nil
	case Zstd:
		zstdLevel := ZstdLevel
		if level != 0 {
			zstdLevel = zstd.EncoderLevelFromZstd(level)
		}
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(concurrency))
	case None:
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown compression %q", a)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// NewReader decompresses a blob compressed with a.
func NewReader(a Algorithm, r io.Reader) (io.ReadCloser, error) {
	switch a {
	case Gzip:
		return pgzip.NewReader(r)
	case Zstd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	case None:
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("unknown compression %q", a)
}
