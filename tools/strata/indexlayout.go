package main

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/index"
	"github.com/strata-build/rules_strata/go/ocilayout"
)

// runIndexLayout writes an index and all its children as one OCI layout.
// Children are given in order, each as --manifest M --config C followed by
// its --descriptor/--blob pairs.
func runIndexLayout(args []string) error {
	fs := newFlags("index-layout")
	var seq ordered
	idx := fs.String("index", "", "index JSON written by strata index")
	out := fs.String("out", "", "output: OCI layout directory")
	tag := fs.String("tag", "latest", "ref name of the index in index.json")
	for _, n := range []string{"manifest", "config", "descriptor", "blob"} {
		fs.Var(seq.flag(n), n, n+" of a child (repeat; see the command's doc)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "index", "out"); err != nil {
		return err
	}
	type childFiles struct {
		manifest, config string
		descs, blobs     []string
	}
	var cs []*childFiles
	for _, kv := range seq {
		if kv.name == "manifest" {
			cs = append(cs, &childFiles{manifest: kv.value})
			continue
		}
		if len(cs) == 0 {
			return fmt.Errorf("--%s before any --manifest", kv.name)
		}
		c := cs[len(cs)-1]
		switch kv.name {
		case "config":
			c.config = kv.value
		case "descriptor":
			c.descs = append(c.descs, kv.value)
		case "blob":
			c.blobs = append(c.blobs, kv.value)
		}
	}
	children := map[v1.Hash]v1.Image{}
	for _, c := range cs {
		img, err := blobimage.Load(c.manifest, c.config, c.descs, c.blobs)
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

// ordered records flags of several names in the order they were given.
type ordered []struct{ name, value string }

type orderedFlag struct {
	name string
	seq  *ordered
}

func (s *ordered) flag(name string) *orderedFlag { return &orderedFlag{name, s} }

func (f *orderedFlag) String() string { return "" }

func (f *orderedFlag) Set(v string) error {
	*f.seq = append(*f.seq, struct{ name, value string }{f.name, v})
	return nil
}
