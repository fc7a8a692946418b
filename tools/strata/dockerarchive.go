package main

import (
	"os"

	"github.com/strata-build/rules_strata/go/dockerarchive"
)

func runDockerArchive(args []string) error {
	fs := newFlags("docker-archive")
	in := fs.String("image-files", "", "image files manifest JSON written by the image rule")
	out := fs.String("out", "", "output: docker-archive tar file, or - for standard output (a load streams it into the engine)")
	var tags repeated
	fs.Var(&tags, "tag", "repo:tag to record in the archive (repeat)")
	if err := parseFlags(fs, args, "image-files"); err != nil {
		return err
	}
	img, err := loadImageTo(fs, *in)
	if err != nil {
		return err
	}
	if *out == "-" {
		return dockerarchive.Write(os.Stdout, img, tags)
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
