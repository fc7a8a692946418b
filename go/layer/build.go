package layer

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
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
	t, err := collect(s)
	defer t.close()
	if err != nil {
		return spec.Descriptor{}, err
	}
	entries, err := t.entries()
	if err != nil {
		return spec.Descriptor{}, err
	}
	out, err := os.Create(blobPath)
	if err != nil {
		return spec.Descriptor{}, err
	}
	defer out.Close()
	// Small files are read ahead on other cores while the tar is written and
	// compressed (see prefetch.go); the bytes and their order do not change.
	entries, stop := prefetch(entries, 0)
	defer stop()
	desc, err := WriteLevel(out, entries, time.Unix(s.MTime, 0), alg, s.CompressionLevel)
	if err != nil {
		return desc, t.contentError(err)
	}
	// The descriptor names its layer, so no later action needs a list of
	// labels beside its list of descriptors.
	desc.Label, desc.BazelLabel = s.Target, s.BazelLabel
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
	bw := bufio.NewWriterSize(w, 1<<20)
	digest := &countingHash{Hash: sha256.New()}
	zw, err := compress.NewWriterLevel(alg, level, io.MultiWriter(bw, digest), 0)
	if err != nil {
		return spec.Descriptor{}, err
	}
	diffID := sha256.New()
	if err := canontar.Write(io.MultiWriter(diffID, zw), entries, mtime); err != nil {
		return spec.Descriptor{}, err
	}
	if err := zw.Close(); err != nil {
		return spec.Descriptor{}, fmt.Errorf("compressing layer: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return spec.Descriptor{}, err
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
