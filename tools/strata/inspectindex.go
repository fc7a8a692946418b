package main

import (
	"bytes"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/index"
)

// runInspectIndex prints an index and its children (the image_index_inspect
// action): manifests and configs only.
func runInspectIndex(args []string) error {
	fs := newFlags("inspect-index")
	idxPath := fs.String("index", "", "index JSON")
	digest := fs.String("digest", "", "index digest file")
	out := fs.String("out", "", "write here instead of stdout")
	files := childFlag(fs)
	if err := parseFlags(fs, args, "index", "digest"); err != nil {
		return err
	}
	raws, err := readChildren(*files)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(*idxPath)
	if err != nil {
		return err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	d, err := os.ReadFile(*digest)
	if err != nil {
		return err
	}
	var children []index.Described
	for _, rc := range raws {
		m, err := v1.ParseManifest(bytes.NewReader(rc.Manifest))
		if err != nil {
			return err
		}
		c, err := v1.ParseConfigFile(bytes.NewReader(rc.Config))
		if err != nil {
			return err
		}
		children = append(children, index.Described{Manifest: m, Config: c})
	}
	var b bytes.Buffer
	index.Describe(&b, idx, string(d), children)
	if *out == "" {
		_, err := os.Stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(*out, b.Bytes(), 0o644)
}
