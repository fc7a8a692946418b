package main

import "github.com/strata-build/rules_strata/go/ocilayout"

func runOCILayout(args []string) error {
	fs := newFlags("oci-layout")
	in := addImageFlags(fs, "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the image in index.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	img, err := in.load(fs)
	if err != nil {
		return err
	}
	return ocilayout.Write(*in.out, img, *tag)
}
