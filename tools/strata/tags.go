package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/tagtemplate"
	"github.com/strata-build/rules_strata/go/usererr"
)

// stampFlags are the tag templates of a push target, expanded when push (or
// probe) runs, not when it is built: Bazel does not re-run an action when
// only volatile-status.txt changed, so a tag expanded at build time from a
// volatile key (any key without the STABLE_ prefix) would keep the value of
// an earlier run. The status files sit in the target's runfiles as links to
// the files Bazel rewrites on every stamped build.
type stampFlags struct {
	templates, status repeated
	skip              bool
}

func (s *stampFlags) add(fs *flag.FlagSet) {
	fs.Var(&s.templates, "tag-template", "tag template such as pr-{PR_NUMBER}-{SHORT_SHA}, expanded now from --status (repeat)")
	fs.Var(&s.status, "status", "Bazel workspace status file (repeat; later ones win); none: the build was not stamped")
	fs.BoolVar(&s.skip, "skip-tag-templates", false, "push only the plain tags of an unstamped target")
}

// expand returns the tags the templates give now.
func (s *stampFlags) expand(target string) ([]string, error) {
	if len(s.templates) == 0 || s.skip {
		return nil, nil
	}
	if len(s.status) == 0 {
		return nil, usererr.New(target, strings.Join(s.templates, ", "),
			"these tag templates need the workspace status, and this run is not stamped",
			fmt.Sprintf("run it stamped: bazel run --stamp --workspace_status_command=PATH/TO/status.sh %s; or push only the plain tags: bazel run %s -- --skip-tag-templates", target, target))
	}
	vars, err := tagtemplate.ReadStatus(s.status...)
	if err != nil {
		return nil, fmt.Errorf("reading the workspace status (build the target with --stamp): %w", err)
	}
	var tags []string
	for _, t := range s.templates {
		tag, err := tagtemplate.Expand(t, vars)
		if err != nil {
			return nil, usererr.New(target, t, err.Error(), "")
		}
		tags = append(tags, tag)
	}
	return tags, nil
}

func runTags(args []string) error {
	fs := newFlags("tags")
	var templates, status repeated
	fs.Var(&templates, "template", "tag template such as pr-{PR_NUMBER}-{SHORT_SHA} (repeat)")
	fs.Var(&status, "status", "Bazel workspace status file (repeat; later ones win)")
	out := fs.String("out", "", "output: one tag per line")
	target := fs.String("target", "", "label of the push target, for messages")
	if err := parseFlags(fs, args, "out"); err != nil {
		return err
	}
	vars, err := tagtemplate.ReadStatus(status...)
	if err != nil {
		return err
	}
	var lines []string
	for _, t := range templates {
		tag, err := tagtemplate.Expand(t, vars)
		if err != nil {
			return usererr.New(*target, t, err.Error(), "")
		}
		lines = append(lines, tag)
	}
	return os.WriteFile(*out, []byte(strings.Join(lines, "\n")), 0o644)
}
