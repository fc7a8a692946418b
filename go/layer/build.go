package layer

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"runtime/debug"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Build writes the layer blob for spec to blobPath and returns its descriptor.
func Build(s Spec, blobPath string) (spec.Descriptor, error) {
	alg, err := compress.Parse(s.Compression)
	if err != nil {
		return spec.Descriptor{}, usererr.New(s.Target, "", err.Error(), "set compression to \"gzip\", \"zstd\" or \"none\"")
	}
	if err := compress.CheckLevel(alg, s.CompressionLevel); err != nil {
		return spec.Descriptor{}, usererr.New(s.Target, "", err.Error(), "set compression_level to 1..9 for gzip or 1..22 for zstd, or leave it 0 for the default")
	}
	if err := validate(s); err != nil {
		return spec.Descriptor{}, err
	}
	// Only these outlive collect: s itself (with a list of 100,000 files)
	// is not used again, so the garbage collector can free the list.
	mtime, level, label, bazelLabel := time.Unix(s.MTime, 0), s.CompressionLevel, s.Target, s.BazelLabel
	defer limitMemory(len(s.Files))()
	t, err := collect(s)
	defer t.close()
	if err != nil {
		return spec.Descriptor{}, err
	}
	entries, err := t.entries()
	if err != nil {
		return spec.Descriptor{}, err
	}
	limitMemory(len(entries))
	out, err := os.Create(blobPath)
	if err != nil {
		return spec.Descriptor{}, err
	}
	defer out.Close()
	desc, err := WriteLevel(out, entries, mtime, alg, level)
	if err != nil {
		return desc, t.contentError(err)
	}
	// The descriptor names its layer, so no later action needs a list of
	// labels beside its list of descriptors.
	desc.Label, desc.BazelLabel = label, bazelLabel
	if desc.BazelLabel == desc.Label {
		desc.BazelLabel = ""
	}
	return desc, out.Close()
}

// Write streams entries as a compressed layer into w and returns its
// descriptor. It is the single pass that computes both the diffID (of the
// tar) and the digest (of the compressed bytes).
func Write(w io.Writer, entries []canontar.Entry, mtime time.Time, alg compress.Algorithm) (spec.Descriptor, error) {
	return WriteLevel(w, entries, mtime, alg, 0)
}

// WriteLevel is Write at a compression level (0: the pinned default).
func WriteLevel(w io.Writer, entries []canontar.Entry, mtime time.Time, alg compress.Algorithm, level int) (spec.Descriptor, error) {
	digest := &countingHash{Hash: sha256.New()}
	out := newStage(io.MultiWriter(w, digest))
	zw, err := compress.NewWriterLevel(alg, level, out, 0)
	if err != nil {
		out.Close()
		return spec.Descriptor{}, err
	}
	diffID := sha256.New()
	in := newStage(io.MultiWriter(diffID, zw))
	// In this order, each after the one before has written everything: the
	// compressor's goroutines write into out until zw.Close returns.
	closeAll := func() (error, error, error) { return in.Close(), zw.Close(), out.Close() }
	if err := canontar.Write(in, entries, mtime); err != nil {
		closeAll()
		return spec.Descriptor{}, err
	}
	inErr, zErr, outErr := closeAll()
	if err := errors.Join(inErr, zErr); err != nil {
		return spec.Descriptor{}, fmt.Errorf("compressing layer: %w", err)
	}
	if outErr != nil {
		return spec.Descriptor{}, outErr
	}
	return spec.Descriptor{
		MediaType: types.MediaType(alg.MediaType()),
		Digest:    v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", digest.Sum(nil))},
		Size:      digest.n,
		DiffID:    v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diffID.Sum(nil))},
	}, nil
}

type countingHash struct {
	hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.Hash.Write(p)
}

// Memory. Build is a one-shot process whose live heap is its entries (about
// 300 bytes each, paths included) plus the compressor's fixed buffers
// (about 15 MiB). Go lets the heap grow to twice the live heap before it
// collects, which put a 100,000-file layer at 130 MB of RSS. A soft limit
// (debug.SetMemoryLimit) makes the collector run earlier instead, a few
// more times per layer. It never goes below memoryPerEntry per entry, so a
// layer whose entries need more than the floor is collected as usual
// (GOGC) rather than all the time. A GOMEMLIMIT set by the user wins.
const (
	memoryFloor    = 48 << 20
	memoryPerEntry = 512
)

// limitMemory raises the soft memory limit for a layer of n entries (never
// lowering one already set by Build) and returns a function that restores
// the limit Build found.
func limitMemory(n int) func() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(-1)
	limit := max(memoryFloor, int64(n)*memoryPerEntry)
	if prev < math.MaxInt64 { // set by an earlier limitMemory of this Build
		limit = max(limit, prev)
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}
