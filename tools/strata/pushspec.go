package main

import (
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/spec"
)

func runPushSpec(args []string) error {
	fs := newFlags("push-spec")
	in := fs.String("image-files", "", "image files manifest JSON written by the image rule")
	out := fs.String("out", "", "output: push spec JSON")
	if err := parseFlags(fs, args, "image-files"); err != nil {
		return err
	}
	files, err := readImageFilesTo(fs, *in)
	if err != nil {
		return err
	}
	s, err := blobimage.PushSpec(files)
	if err != nil {
		return err
	}
	return spec.Write(*out, &s)
}
