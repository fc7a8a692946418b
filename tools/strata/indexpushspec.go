package main

import (
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/spec"
)

// runIndexPushSpec writes the push spec of an index: the index, and per
// child (an --image-files manifest each, in index order) what push-spec
// records.
func runIndexPushSpec(args []string) error {
	fs := newFlags("index-push-spec")
	idx := fs.String("index", "", "index JSON")
	idxDigest := fs.String("index-digest", "", "file holding the index digest")
	out := fs.String("out", "", "output: index push spec JSON")
	paths := childFlag(fs)
	if err := parseFlags(fs, args, "index", "index-digest", "out"); err != nil {
		return err
	}
	var s spec.IndexPush
	var err error
	if s.Index, err = os.ReadFile(*idx); err != nil {
		return err
	}
	d, err := os.ReadFile(*idxDigest)
	if err != nil {
		return err
	}
	s.Digest = strings.TrimSpace(string(d))
	files, err := readChildFiles(*paths)
	if err != nil {
		return err
	}
	for _, f := range files {
		c, err := blobimage.PushSpec(f)
		if err != nil {
			return err
		}
		s.Children = append(s.Children, c)
	}
	return spec.Write(*out, &s)
}
