package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/spec"
)

// runAttachSpec bundles an image's SBOM and provenance into the push
// target's NAME.attach.json (the StrataAttachSpec action, see attach.bzl).
func runAttachSpec(args []string) error {
	fs := newFlags("attach-spec")
	target := fs.String("target", "", "label of the push target, for messages")
	out := fs.String("out", "", "output: the attach spec JSON")
	var sboms, provs repeated
	fs.Var(&sboms, "sbom", "SPDX JSON document (at most one)")
	fs.Var(&provs, "provenance", "in-toto statement (at most one)")
	if err := parseFlags(fs, args, "out"); err != nil {
		return err
	}
	if len(sboms) > 1 || len(provs) > 1 {
		return fmt.Errorf("%s: %d SBOMs and %d provenance documents; want at most one of each", *target, len(sboms), len(provs))
	}
	var s spec.Attach
	for _, f := range []struct {
		paths []string
		dst   *[]byte
	}{{sboms, &s.SBOM}, {provs, &s.Provenance}} {
		if len(f.paths) == 0 {
			continue
		}
		b, err := os.ReadFile(f.paths[0])
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return fmt.Errorf("%s: %s is not JSON", *target, f.paths[0])
		}
		*f.dst = b
	}
	return spec.Write(*out, &s)
}
