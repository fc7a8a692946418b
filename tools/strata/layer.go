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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "spec", "blob", "descriptor"); err != nil {
		return err
	}
	s, err := layer.ReadSpec(*specPath)
	if err != nil {
		return err
	}
	d, err := layer.Build(s, *blob)
	if err != nil {
		return err
	}
	return spec.Write(*desc, &d)
}
