package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/index"
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
	if err := parseFlags(fs, args, "out", "digest"); err != nil {
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
