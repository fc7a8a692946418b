// Command pushdata writes one image with a single incompressible layer of
// -mib MiB (seeded, so every run is identical) in two forms the push
// benchmark hands to the two clients: an OCI image layout (for crane push)
// and a strata push spec naming the same blob file (for strata push). The
// layer bytes are random, i.e. already compressed as far as any client can
// tell; registries do not look inside layers.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/spec"
)

func main() {
	dir := flag.String("dir", "", "output directory (layout in DIR/layout, spec in DIR/spec.json)")
	mib := flag.Int64("mib", 1024, "layer size in MiB")
	seed := flag.Uint64("seed", 1, "content seed")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	blobs := filepath.Join(*dir, "layout", "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		log.Fatal(err)
	}
	tmp := filepath.Join(blobs, "tmp")
	f, err := os.Create(tmp)
	if err != nil {
		log.Fatal(err)
	}
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(*seed), byte(*seed >> 8), byte(*seed >> 16), byte(*seed >> 24)})
	size := *mib << 20
	if _, err := io.CopyN(io.MultiWriter(f, h), src, size); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	layerDigest := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
	layerPath := filepath.Join(blobs, layerDigest.Hex)
	if err := os.Rename(tmp, layerPath); err != nil {
		log.Fatal(err)
	}
	mt := types.OCIUncompressedLayer // the bytes are the "tar": diffID = digest
	cfg, _ := json.Marshal(v1.ConfigFile{Architecture: "amd64", OS: "linux",
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{layerDigest}}})
	cfgDesc := put(blobs, types.OCIConfigJSON, cfg)
	man, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: cfgDesc,
		Layers: []v1.Descriptor{{MediaType: mt, Digest: layerDigest, Size: size}}})
	manDesc := put(blobs, types.OCIManifestSchema1, man)
	idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{manDesc}})
	write(filepath.Join(*dir, "layout", "index.json"), idx)
	write(filepath.Join(*dir, "layout", "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	s := spec.Push{Digest: manDesc.Digest.String(), Manifest: man, Config: cfg,
		Layers: []spec.PushLayer{{Descriptor: spec.Descriptor{MediaType: mt, Digest: layerDigest, Size: size, DiffID: layerDigest}, Blob: layerPath}}}
	if err := spec.Write(filepath.Join(*dir, "spec.json"), &s); err != nil {
		log.Fatal(err)
	}
	fmt.Println(manDesc.Digest)
}

func put(blobs string, mt types.MediaType, b []byte) v1.Descriptor {
	sum := sha256.Sum256(b)
	d := v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}}
	write(filepath.Join(blobs, d.Digest.Hex), b)
	return d
}

func write(p string, b []byte) {
	if err := os.WriteFile(p, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
