package main

import (
	"os"

	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/descriptor"
	"github.com/strata-build/rules_strata/go/layer"
	"github.com/strata-build/rules_strata/go/tarlisting"
)

func runLayer(args []string) error {
	fs := newFlags("layer")
	spec := fs.String("spec", "", "layer spec JSON written by the image_layer rule")
	blob := fs.String("blob", "", "output: the compressed layer blob")
	desc := fs.String("descriptor", "", "output: the layer descriptor JSON")
	files := fs.String("files", "", "file list (a param file the image_layer rule's Args write) appended to the spec's files and symlinks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "spec", "blob", "descriptor"); err != nil {
		return err
	}
	s, err := layer.ReadSpec(*spec)
	if err != nil {
		return err
	}
	if *files != "" {
		if err := layer.AddFileList(&s, *files); err != nil {
			return err
		}
	}
	d, err := layer.Build(s, *blob)
	if err != nil {
		return err
	}
	return descriptor.Write(*desc, d)
}

func runListLayer(args []string) error {
	fs := newFlags("list-layer")
	alg := fs.String("compression", "gzip", "compression of the blob: gzip, zstd or none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errUsage("strata list-layer [--compression gzip|zstd|none] BLOB")
	}
	a, err := compress.Parse(*alg)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := compress.NewReader(a, f)
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := tarlisting.List(r)
	if err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(out)
	return err
}
