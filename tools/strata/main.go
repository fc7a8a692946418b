// Command strata is the rules_strata multitool: Bazel actions call one
// subcommand each. Subcommands parse flags and call the go/ library; no logic
// lives here.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/strata-build/rules_strata/go/redact"
	"github.com/strata-build/rules_strata/go/usererr"
)

type command struct {
	summary string
	run     func(args []string) error
}

// commands is every verb. One verb, one word: verb "a-b" is run by runAB in
// tools/strata/ab.go, and a Bazel action that runs it has the mnemonic
// StrataAB (TestVerbFiles checks both), so an action in a Bazel log leads to
// its file in one step.
var commands = map[string]command{
	"attach-spec":     {"bundle an image's SBOM and provenance for image_push to attach", runAttachSpec},
	"docker-archive":  {"write an image as a docker-archive tarball (docker load)", runDockerArchive},
	"image":           {"assemble an image config, manifest and digest from descriptors", runImage},
	"image-test":      {"check an image against an image_test target's expectations (exit 1 with a report)", runImageTest},
	"index":           {"write a multi-arch image index from child manifests and configs", runIndex},
	"index-layout":    {"write an image index and all its children as one OCI layout", runIndexLayout},
	"index-push-spec": {"bundle what push-index and probe-index need into one small file", runIndexPushSpec},
	"inspect":         {"print an image digest and a table of its layers", runInspect},
	"inspect-index":   {"print an image index digest, its children and their layers", runInspectIndex},
	"layer":           {"build one layer blob and its descriptor from a layer spec", runLayer},
	"layer-listing":   {"list the files (path, sha256, Go build info) of a layer blob for the SBOM", runLayerListing},
	"list-layer":      {"print a layer blob as one JSON line per entry", runListLayer},
	"oci-layout":      {"write an image as an OCI image layout directory", runOCILayout},
	"pin":             {"re-pin image_pull digests to what their tags name now (--check for CI: exit 4 when stale)", runPin},
	"probe":           {"report whether repositories already hold an image (exit 0) or not (exit 3)", runProbe},
	"probe-index":     {"report whether repositories already hold an image index (exit 0) or not (exit 3)", runProbeIndex},
	"provenance":      {"write the in-toto SLSA provenance of an image from its declared inputs", runProvenance},
	"pull":            {"fetch a base image by digest for image_pull", runPull},
	"push":            {"push an image to repositories and tags, uploading only missing blobs", runPush},
	"push-index":      {"push an image index: every child, then the index and its tags", runPushIndex},
	"push-spec":       {"bundle what push and probe need into one small file", runPushSpec},
	"sbom":            {"write the SPDX 2.3 SBOM of an image from its layer listings", runSBOM},
	"tags":            {"expand tag templates from Bazel's workspace status", runTags},
}

// Exit codes, documented in docs/exit_codes.md; CI scripts branch on them,
// so they never change meaning. probeMissing (3) is in probe.go.
const (
	exitOK     = 0
	exitError1 = 1 // the command failed: bad input, refused credentials, network, I/O
	exitUsage  = 2 // unknown command or flag, missing required flag
	// exitInternal is a bug in strata (a recovered panic). It must differ
	// from probeMissing: "not pushed yet" makes CI build and push, and a
	// crash must stop CI instead. 70 is EX_SOFTWARE of sysexits.h.
	exitInternal = 70
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) (code int) {
	defer func() {
		// A panic is a bug in strata, not the user's fault; say so in one
		// line instead of a stack trace, with its own exit code.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "strata: internal error (exit %d; please report it to rules_strata): %s\n", exitInternal, redact.String(fmt.Sprint(r)))
			code = exitInternal
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		return exitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "strata: unknown command %q\n", args[0])
		usage()
		return exitUsage
	}
	if err := cmd.run(args[1:]); err != nil {
		// Every message goes through redact: an error may quote a URL with
		// credentials (a remote cache address), wherever it came from.
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintf(os.Stderr, "strata %s: %s\n", args[0], redact.String(ee.msg))
			return ee.code
		}
		if ue, ok := usererr.As(err); ok {
			fmt.Fprintf(os.Stderr, "ERROR: %s\n", redact.String(ue.Error()))
			return exitError1
		}
		fmt.Fprintf(os.Stderr, "strata %s: %s\n", args[0], redact.String(err.Error()))
		if isUsage(err) {
			return exitUsage
		}
		return exitError1
	}
	return exitOK
}

// isUsage reports errors of the command line itself: a usageError, or one of
// package flag's, which have no type: their words are all there is.
func isUsage(err error) bool {
	var ue usageError
	if errors.Is(err, flag.ErrHelp) || errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined", "bad flag syntax", "flag needs an argument", "invalid value ", "invalid boolean value "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: strata <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-15s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(os.Stderr, b.String())
}

// exitError ends strata with a specific exit code and message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
