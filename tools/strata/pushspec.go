package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/descriptor"
	"github.com/strata-build/rules_strata/go/pushspec"
)

func runPushSpec(args []string) error {
	fs := newFlags("push-spec")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	digest := fs.String("digest", "", "file holding the manifest digest")
	out := fs.String("out", "", "output: push spec JSON")
	var descs, blobs, targets repeated
	fs.Var(&descs, "descriptor", "layer descriptor (repeat)")
	fs.Var(&blobs, "blob", "layer blob's execution-root path, or \"\" (repeat; pairs with --descriptor)")
	fs.Var(&targets, "layer-target", "label of the layer's target (repeat; pairs with --descriptor)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "manifest", "config", "digest", "out"); err != nil {
		return err
	}
	if len(blobs) != len(descs) || len(targets) != len(descs) {
		return fmt.Errorf("%d descriptors, %d blobs, %d layer targets", len(descs), len(blobs), len(targets))
	}
	var s pushspec.Spec
	var err error
	if s.Manifest, err = os.ReadFile(*manifest); err != nil {
		return err
	}
	if s.Config, err = os.ReadFile(*cfg); err != nil {
		return err
	}
	d, err := os.ReadFile(*digest)
	if err != nil {
		return err
	}
	s.Digest = strings.TrimSpace(string(d))
	for i, p := range descs {
		desc, err := descriptor.Read(p)
		if err != nil {
			return err
		}
		s.Layers = append(s.Layers, pushspec.Layer{Descriptor: desc, Blob: blobs[i], Target: targets[i]})
	}
	return pushspec.Write(*out, s)
}
