package main

import (
	"context"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/pull"
	"github.com/strata-build/rules_strata/go/usererr"
)

func runPull(args []string) error {
	fs := newFlags("pull")
	req := pull.Request{}
	fs.StringVar(&req.Name, "name", "", "image_pull repository name, for messages")
	fs.StringVar(&req.Image, "image", "", "repository, e.g. registry.example.com/team/base")
	fs.StringVar(&req.Digest, "digest", "", "sha256:... of the manifest or index")
	fs.StringVar(&req.Tag, "tag", "", "tag (documentation; used to suggest the digest)")
	platform := fs.String("platform", "linux/amd64", "os/arch[/variant] to pick from an index")
	fs.BoolVar(&req.Layers, "layers", false, "download and verify every layer blob")
	fs.StringVar(&req.Out, "out", "", "output directory")
	retry := addRetryFlags(fs)
	if err := parseFlags(fs, args, "image", "out"); err != nil {
		return err
	}
	p, err := v1.ParsePlatform(*platform)
	if err != nil {
		return usererr.New(fmt.Sprintf("image_pull(name = %q)", req.Name), *platform, "not a platform", "write platform as os/arch[/variant], e.g. \"linux/arm64/v8\"")
	}
	req.Platform = *p
	s, err := pull.Pull(context.Background(), req, *retry)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "pulled %s@%s (%d layers, blobs downloaded: %v)\n", s.Image, s.ManifestDigest, s.Layers, s.Blobs)
	return nil
}
