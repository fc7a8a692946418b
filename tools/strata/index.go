package main

import (
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/usererr"
)

// runIndex writes an image index from each child's image files manifest,
// reading only the manifest and config it names (never a layer blob): the
// StrataIndex action of image_index.
func runIndex(args []string) error {
	fs := newFlags("index")
	target := fs.String("target", "", "label of the image_index, for messages")
	files := childFlag(fs)
	docker := fs.Bool("docker", false, "write a Docker manifest list instead of an OCI image index")
	out := fs.String("out", "", "output: index JSON")
	digest := fs.String("digest", "", "output: index digest (sha256:<hex>)")
	platformsOut := fs.String("platforms-out", "", "output: each child's os/arch[/variant], one per line (for image_index_load)")
	if err := parseFlags(fs, args, "out", "digest"); err != nil {
		return err
	}
	children, err := readChildren(*files)
	if err != nil {
		return err
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
		c := index.Child{Name: f.Target}
		if c.Manifest, err = os.ReadFile(f.Manifest); err != nil {
			return nil, err
		}
		if c.Config, err = os.ReadFile(f.Config); err != nil {
			return nil, err
		}
		children[i] = c
	}
	return children, nil
}
