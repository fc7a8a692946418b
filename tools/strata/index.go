package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/ocilayout"
	"github.com/strata-build/rules_strata/go/usererr"
)

// runIndex writes an image index from child manifests and configs (never a
// layer blob): the StrataIndex action of image_index.
func runIndex(args []string) error {
	fs := newFlags("index")
	target := fs.String("target", "", "label of the image_index, for messages")
	var manifests, configs, names repeated
	fs.Var(&manifests, "manifest", "child image manifest JSON (repeat, in index order)")
	fs.Var(&configs, "config", "child image config JSON (repeat; pairs with --manifest)")
	fs.Var(&names, "name", "label of the child image, for messages (repeat; pairs with --manifest)")
	docker := fs.Bool("docker", false, "write a Docker manifest list instead of an OCI image index")
	out := fs.String("out", "", "output: index JSON")
	digest := fs.String("digest", "", "output: index digest (sha256:<hex>)")
	platformsOut := fs.String("platforms-out", "", "output: each child's os/arch[/variant], one per line (for image_index_load)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "out", "digest"); err != nil {
		return err
	}
	if len(configs) != len(manifests) || len(names) != len(manifests) {
		return fmt.Errorf("%d manifests, %d configs, %d names", len(manifests), len(configs), len(names))
	}
	children := make([]index.Child, len(manifests))
	for i := range manifests {
		var err error
		if children[i], err = readChild(names[i], manifests[i], configs[i]); err != nil {
			return err
		}
	}
	res, err := index.Build(children, index.Options{Docker: *docker})
	if ie, ok := err.(*index.Error); ok {
		return usererr.New(*target, ie.Child, ie.Problem, ie.Fix)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, res.Index, 0o644); err != nil {
		return err
	}
	if *platformsOut != "" {
		var b strings.Builder
		for _, d := range res.Parsed.Manifests {
			b.WriteString(index.PlatformString(*d.Platform) + "\n")
		}
		if err := os.WriteFile(*platformsOut, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(*digest, []byte(res.Digest.String()), 0o644)
}

// readChildren reads the manifest and config bytes of each child an image
// files manifest names (never a descriptor or a blob), named by its target.
func readChildren(paths []string) ([]index.Child, error) {
	files, err := readChildFiles(paths)
	if err != nil {
		return nil, err
	}
	children := make([]index.Child, len(files))
	for i, f := range files {
		if children[i], err = readChild(f.Target, f.Manifest, f.Config); err != nil {
			return nil, err
		}
	}
	return children, nil
}

// readChild reads one child's manifest and config bytes.
func readChild(name, manifest, config string) (index.Child, error) {
	c := index.Child{Name: name}
	var err error
	if c.Manifest, err = os.ReadFile(manifest); err == nil {
		c.Config, err = os.ReadFile(config)
	}
	return c, err
}

// runIndexLayout writes an index and all its children as one OCI layout.
// Children are given as image files manifests, in index order.
func runIndexLayout(args []string) error {
	fs := newFlags("index-layout")
	idx := fs.String("index", "", "index JSON written by strata index")
	out := fs.String("out", "", "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the index in index.json")
	paths := childFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "index", "out"); err != nil {
		return err
	}
	files, err := readChildFiles(*paths)
	if err != nil {
		return err
	}
	children := map[v1.Hash]v1.Image{}
	for _, f := range files {
		img, err := loadImage(f)
		if err != nil {
			return err
		}
		if err := img.RequireBlobs(); err != nil {
			return err
		}
		v, err := img.V1()
		if err != nil {
			return err
		}
		d, err := v.Digest()
		if err != nil {
			return err
		}
		children[d] = v
	}
	raw, err := os.ReadFile(*idx)
	if err != nil {
		return err
	}
	ii, err := index.V1(raw, children)
	if err != nil {
		return err
	}
	return ocilayout.WriteIndex(*out, ii, *tag)
}

// Registered here, not in main.go's table, so the index verbs stay in one file.
func init() {
	commands["index"] = command{"write a multi-arch image index from child manifests and configs", runIndex}
	commands["index-layout"] = command{"write an image index and all its children as one OCI layout", runIndexLayout}
	commands["describe-index"] = command{"print an image index digest, its children and their layers", runDescribeIndex}
}

// runDescribeIndex prints an index and its children (the image_index_inspect
// action): manifests and configs only.
func runDescribeIndex(args []string) error {
	fs := newFlags("describe-index")
	idxPath := fs.String("index", "", "index JSON")
	digest := fs.String("digest", "", "index digest file")
	out := fs.String("out", "", "write here instead of stdout")
	files := childFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "index", "digest"); err != nil {
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
