package main

import (
	"errors"
	"os"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/dockerarchive"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/ocilayout"
)

func errUsage(s string) error { return errors.New("usage: " + s) }

func runImage(args []string) error {
	fs := newFlags("image")
	spec := fs.String("spec", "", "image spec JSON written by the image rule")
	cfg := fs.String("config", "", "output: config JSON")
	manifest := fs.String("manifest", "", "output: manifest JSON")
	digest := fs.String("digest", "", "output: manifest digest (sha256:<hex>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "spec", "config", "manifest", "digest"); err != nil {
		return err
	}
	s, err := image.ReadSpec(*spec)
	if err != nil {
		return err
	}
	res, err := image.Build(s)
	if err != nil {
		return err
	}
	for path, data := range map[string][]byte{*cfg: res.Config, *manifest: res.Manifest, *digest: []byte(res.Digest.String())} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func runOCILayout(args []string) error {
	fs := newFlags("oci-layout")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	out := fs.String("out", "", "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the image in index.json")
	var descs, blobs repeated
	fs.Var(&descs, "descriptor", "layer descriptor (repeat; pairs with --blob)")
	fs.Var(&blobs, "blob", "layer blob (repeat; pairs with --descriptor)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "manifest", "config", "out"); err != nil {
		return err
	}
	img, err := blobimage.Load(*manifest, *cfg, descs, blobs)
	if err != nil {
		return err
	}
	return ocilayout.Write(*out, img, *tag)
}

func runTarball(args []string) error {
	fs := newFlags("tarball")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	out := fs.String("out", "", "output: docker-archive tar file")
	var descs, blobs, tags repeated
	fs.Var(&descs, "descriptor", "layer descriptor (repeat; pairs with --blob)")
	fs.Var(&blobs, "blob", "layer blob (repeat; pairs with --descriptor)")
	fs.Var(&tags, "tag", "repo:tag to record in the archive (repeat)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "manifest", "config", "out"); err != nil {
		return err
	}
	img, err := blobimage.Load(*manifest, *cfg, descs, blobs)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := dockerarchive.Write(f, img, tags); err != nil {
		return err
	}
	return f.Close()
}
