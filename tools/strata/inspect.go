package main

import (
	"bytes"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/image"
)

func runInspect(args []string) error {
	fs := newFlags("inspect")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	digest := fs.String("digest", "", "image digest file")
	out := fs.String("out", "", "write here instead of stdout (the image_inspect action)")
	target := fs.String("target", "", "label of the image target, for error messages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "manifest", "config", "digest"); err != nil {
		return err
	}
	d, err := os.ReadFile(*digest)
	if err != nil {
		return err
	}
	mf, err := os.Open(*manifest)
	if err != nil {
		return err
	}
	defer mf.Close()
	m, err := v1.ParseManifest(mf)
	if err != nil {
		return imageFileError(*target, *manifest, *cfg, fmt.Errorf("manifest: %w", err))
	}
	cf, err := os.Open(*cfg)
	if err != nil {
		return err
	}
	defer cf.Close()
	c, err := v1.ParseConfigFile(cf)
	if err != nil {
		return imageFileError(*target, *manifest, *cfg, fmt.Errorf("config: %w", err))
	}
	if *out == "" {
		image.Describe(os.Stdout, string(d), m, c)
		return nil
	}
	var b bytes.Buffer
	image.Describe(&b, string(d), m, c)
	return os.WriteFile(*out, b.Bytes(), 0o644)
}
