package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/descriptor"
	"github.com/strata-build/rules_strata/go/pushspec"
)

// runIndexPushSpec writes the push spec of an index: the index, and per child
// (given in order as --manifest, --config, --digest, then its
// --descriptor/--blob/--layer-target triples) what push-spec records.
func runIndexPushSpec(args []string) error {
	fs := newFlags("index-push-spec")
	idx := fs.String("index", "", "index JSON")
	idxDigest := fs.String("index-digest", "", "file holding the index digest")
	out := fs.String("out", "", "output: index push spec JSON")
	var seq ordered
	for _, n := range []string{"manifest", "config", "digest", "descriptor", "blob", "layer-target"} {
		fs.Var(seq.flag(n), n, n+" of a child (repeat, in order)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "index", "index-digest", "out"); err != nil {
		return err
	}
	var s pushspec.Index
	var err error
	if s.Index, err = os.ReadFile(*idx); err != nil {
		return err
	}
	d, err := os.ReadFile(*idxDigest)
	if err != nil {
		return err
	}
	s.Digest = strings.TrimSpace(string(d))
	var layer *pushspec.Layer
	for _, kv := range seq {
		if kv.name == "manifest" {
			s.Children = append(s.Children, pushspec.Spec{})
		}
		if len(s.Children) == 0 {
			return fmt.Errorf("--%s before any --manifest", kv.name)
		}
		c := &s.Children[len(s.Children)-1]
		switch kv.name {
		case "manifest":
			c.Manifest, err = os.ReadFile(kv.value)
		case "config":
			c.Config, err = os.ReadFile(kv.value)
		case "digest":
			var b []byte
			b, err = os.ReadFile(kv.value)
			c.Digest = strings.TrimSpace(string(b))
		case "descriptor":
			c.Layers = append(c.Layers, pushspec.Layer{})
			layer = &c.Layers[len(c.Layers)-1]
			layer.Descriptor, err = descriptor.Read(kv.value)
		case "blob", "layer-target":
			if len(c.Layers) == 0 {
				return fmt.Errorf("--%s before any --descriptor", kv.name)
			}
			layer = &c.Layers[len(c.Layers)-1]
			if kv.name == "blob" {
				layer.Blob = kv.value
			} else {
				layer.Target = kv.value
			}
		}
		if err != nil {
			return err
		}
	}
	return pushspec.WriteIndex(*out, s)
}
