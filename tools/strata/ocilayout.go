package main

import "github.com/strata-build/rules_strata/go/ocilayout"

func runOCILayout(args []string) error {
	fs := newFlags("oci-layout")
	in := fs.String("image-files", "", "image files manifest JSON written by the image rule")
	out := fs.String("out", "", "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the image in index.json")
	if err := parseFlags(fs, args, "image-files"); err != nil {
		return err
	}
	img, err := loadImageTo(fs, *in)
	if err != nil {
		return err
	}
	return ocilayout.Write(*out, img, *tag)
}
