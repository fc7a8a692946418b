package main

import (
	"bytes"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/image"
	"github.com/strata-build/rules_strata/go/spec"
)

func runInspect(args []string) error {
	fs := newFlags("inspect")
	in := fs.String("image-files", "", "image files manifest JSON written by the image rule (reads its manifest, config and digest)")
	out := fs.String("out", "", "write here instead of stdout (the image_inspect action)")
	if err := parseFlags(fs, args, "image-files"); err != nil {
		return err
	}
	files, err := spec.ReadImageFiles(*in)
	if err != nil {
		return err
	}
	d, err := os.ReadFile(files.Digest)
	if err != nil {
		return err
	}
	mf, err := os.Open(files.Manifest)
	if err != nil {
		return err
	}
	defer mf.Close()
	m, err := v1.ParseManifest(mf)
	if err != nil {
		return imageFileError(files.Target, files.Manifest, files.Config, fmt.Errorf("manifest: %w", err))
	}
	cf, err := os.Open(files.Config)
	if err != nil {
		return err
	}
	defer cf.Close()
	c, err := v1.ParseConfigFile(cf)
	if err != nil {
		return imageFileError(files.Target, files.Manifest, files.Config, fmt.Errorf("config: %w", err))
	}
	if *out == "" {
		image.Describe(os.Stdout, string(d), m, c)
		return nil
	}
	var b bytes.Buffer
	image.Describe(&b, string(d), m, c)
	return os.WriteFile(*out, b.Bytes(), 0o644)
}
