package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/provenance"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/tagtemplate"
)

// layerFlags collects --layer, --layer-descriptor and --input in command-line
// order: each --layer-descriptor and --input belongs to the last --layer.
type layerFlags struct{ layers []provenance.Layer }

type layerFlag struct {
	l    *layerFlags
	kind string
}

func (f layerFlag) String() string { return "" }
func (f layerFlag) Set(s string) error {
	if f.kind == "layer" {
		f.l.layers = append(f.l.layers, provenance.Layer{Label: s})
		return nil
	}
	if len(f.l.layers) == 0 {
		return fmt.Errorf("--%s before any --layer", f.kind)
	}
	cur := &f.l.layers[len(f.l.layers)-1]
	switch f.kind {
	case "layer-descriptor":
		d, err := spec.ReadDescriptor(s)
		if err != nil {
			return err
		}
		cur.Digest = d.Digest.String()
	case "input":
		name, path, ok := strings.Cut(s, "\t")
		if !ok {
			return fmt.Errorf("--input %q: want NAME<tab>PATH", s)
		}
		cur.Inputs = append(cur.Inputs, provenance.Input{Name: name, Path: path})
	}
	return nil
}

// runProvenance writes the in-toto SLSA provenance of an image
// (StrataProvenance). Its arguments come in a param file, one per line
// (--params=FILE): an image's layers may have many thousand inputs.
func runProvenance(args []string) error {
	if len(args) == 1 && strings.HasPrefix(args[0], "--params=") {
		b, err := os.ReadFile(strings.TrimPrefix(args[0], "--params="))
		if err != nil {
			return err
		}
		args = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	fs := newFlags("provenance")
	target := fs.String("target", "", "label of the image target")
	digest := fs.String("digest", "", "file holding the image digest")
	baseLabel := fs.String("base-label", "", "label of the base")
	baseDigest := fs.String("base-digest", "", "file holding the base digest (none on scratch)")
	out := fs.String("out", "", "output: in-toto statement JSON")
	var status repeated
	fs.Var(&status, "status", "workspace status file (repeat; only when stamping)")
	lf := &layerFlags{}
	fs.Var(layerFlag{lf, "layer"}, "layer", "label of the next layer")
	fs.Var(layerFlag{lf, "layer-descriptor"}, "layer-descriptor", "descriptor of the current layer (for its blob digest)")
	fs.Var(layerFlag{lf, "input"}, "input", "NAME<tab>PATH of an input of the current layer (repeat)")
	if err := parseFlags(fs, args, "target", "digest", "out"); err != nil {
		return err
	}
	img := provenance.Image{Target: *target, BaseLabel: *baseLabel, Layers: lf.layers}
	d, err := os.ReadFile(*digest)
	if err != nil {
		return err
	}
	img.Digest = strings.TrimSpace(string(d))
	if *baseDigest != "" {
		b, err := os.ReadFile(*baseDigest)
		if err != nil {
			return err
		}
		img.BaseDigest = strings.TrimSpace(string(b))
	}
	if len(status) > 0 {
		if img.Status, err = tagtemplate.ReadStatus(status...); err != nil {
			return err
		}
	}
	st, err := provenance.Statement(img)
	if err != nil {
		return err
	}
	b, err := provenance.Marshal(st)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}
