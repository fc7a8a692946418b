package main

import (
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/ocilayout"
)

// runIndexLayout writes an index and all its children as one OCI layout.
// Children are given as image files manifests, in index order.
func runIndexLayout(args []string) error {
	fs := newFlags("index-layout")
	idx := fs.String("index", "", "index JSON written by strata index")
	out := fs.String("out", "", "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the index in index.json")
	paths := childFlag(fs)
	if err := parseFlags(fs, args, "index", "out"); err != nil {
		return err
	}
	files, err := readChildFiles(*paths)
	if err != nil {
		return err
	}
	children := map[v1.Hash]v1.Image{}
	for _, f := range files {
		img, err := loadImage(f)
		if err != nil {
			return err
		}
		if err := img.RequireBlobs(); err != nil {
			return err
		}
		v, err := img.V1()
		if err != nil {
			return err
		}
		d, err := v.Digest()
		if err != nil {
			return err
		}
		children[d] = v
	}
	raw, err := os.ReadFile(*idx)
	if err != nil {
		return err
	}
	ii, err := index.V1(raw, children)
	if err != nil {
		return err
	}
	return ocilayout.WriteIndex(*out, ii, *tag)
}
