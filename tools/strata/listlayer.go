package main

import (
	"os"

	"github.com/strata-build/rules_strata/go/compress"
	"github.com/strata-build/rules_strata/go/tarlisting"
)

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
