package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-build/rules_strata/go/pin"
	"github.com/strata-build/rules_strata/go/regclient"
)

// pinStale is the exit code of `strata pin --check` when a pin is stale,
// distinct from 1 (an error) so CI can tell "update the pins" from "broken".
const pinStale = 4

// pinDefaultFiles are pinned when no file is named: those of them that exist
// in the workspace root.
var pinDefaultFiles = []string{"WORKSPACE", "WORKSPACE.bazel", "MODULE.bazel"}

func runPin(args []string) error {
	fs := newFlags("pin")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: strata pin [--check] [--dry-run] [FILE...]\n\n"+
			"Resolves the tag of every image_pull (and strata.pull in MODULE.bazel) to the\n"+
			"registry's current digest and rewrites its digest = \"...\" in place.\n"+
			"FILE defaults to %s in the workspace root.\n"+
			"Exit 0: every pin current or rewritten; 1: a pull could not be resolved; %d: --check found stale pins.\n\n",
			strings.Join(pinDefaultFiles, ", "), pinStale)
		fs.PrintDefaults()
	}
	check := fs.Bool("check", false, "write nothing; list stale pins and exit 4 if there are any (for CI)")
	dryRun := fs.Bool("dry-run", false, "write nothing; print the unified diff pinning would apply")
	retry := addRetryFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check && *dryRun {
		return fmt.Errorf("--check and --dry-run exclude each other")
	}
	if err := retry.Validate(); err != nil {
		return err
	}
	files, err := pinFiles(fs.Args())
	if err != nil {
		return err
	}
	res, err := pin.Run(context.Background(), files, pin.Options{
		Check:  *check,
		DryRun: *dryRun,
		Remote: regclient.RemoteOptions(context.Background(), *retry, 4),
		Out:    os.Stdout,
	})
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		fmt.Fprintf(os.Stderr, "ERROR: %v\n", p)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	verb := "rewritten"
	if *check || *dryRun {
		verb = "stale"
	}
	fmt.Fprintf(os.Stderr, "strata pin: %d pulls in %s: %d current, %d %s, %d could not be resolved\n",
		res.Pulls, strings.Join(names, ", "), res.Current, res.Stale, verb, len(res.Problems))
	switch {
	case len(res.Problems) > 0:
		return exitError{1, fmt.Sprintf("%d pulls could not be pinned (see the ERROR lines above)", len(res.Problems))}
	case *check && res.Stale > 0:
		return exitError{pinStale, fmt.Sprintf("%d stale pins (exit %d): run strata pin (bazel run @rules_strata//rules:pin) and commit the result", res.Stale, pinStale)}
	}
	return nil
}

// pinFiles resolves the files to pin. Under `bazel run`, named files are
// relative to where the user ran it (BUILD_WORKING_DIRECTORY) and the
// defaults are those of the workspace (BUILD_WORKSPACE_DIRECTORY); messages
// name them relative to the workspace root.
func pinFiles(args []string) ([]pin.File, error) {
	root := os.Getenv("BUILD_WORKSPACE_DIRECTORY")
	if root == "" {
		root = "."
	}
	display := func(p string) string {
		if abs, err := filepath.Abs(root); err == nil {
			if rel, err := filepath.Rel(abs, p); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
		return p
	}
	var files []pin.File
	for _, a := range args {
		p, err := filepath.Abs(userPath(a))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		files = append(files, pin.File{Path: p, Name: display(p)})
	}
	if len(args) > 0 {
		return files, nil
	}
	for _, n := range pinDefaultFiles {
		p, err := filepath.Abs(filepath.Join(root, n))
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			files = append(files, pin.File{Path: p, Name: n})
		}
	}
	if len(files) == 0 {
		abs, _ := filepath.Abs(root)
		return nil, fmt.Errorf("no %s in %s (name the files to pin: strata pin FILE...)", strings.Join(pinDefaultFiles, ", "), abs)
	}
	return files, nil
}
