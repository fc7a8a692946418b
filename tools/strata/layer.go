package main

import (
	"github.com/strata-build/rules_strata/go/layer"
	"github.com/strata-build/rules_strata/go/spec"
)

func runLayer(args []string) error {
	fs := newFlags("layer")
	specPath := fs.String("spec", "", "layer spec JSON written by the image_layer rule")
	blob := fs.String("blob", "", "output: the compressed layer blob")
	desc := fs.String("descriptor", "", "output: the layer descriptor JSON")
	files := fs.String("files", "", "file list (a param file the image_layer rule's Args write) appended to the spec's files and symlinks")
	if err := parseFlags(fs, args, "spec", "blob", "descriptor"); err != nil {
		return err
	}
	s, err := layer.ReadSpec(*specPath)
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
	return spec.Write(*desc, &d)
}
