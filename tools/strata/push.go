package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/tagtemplate"
	"github.com/strata-build/rules_strata/go/usererr"
)

func addRetryFlags(fs *flag.FlagSet) *regclient.Retry {
	r := regclient.DefaultRetry
	fs.IntVar(&r.Attempts, "attempts", r.Attempts, "tries per request and per blob upload")
	fs.DurationVar(&r.BaseDelay, "retry-base-delay", r.BaseDelay, "wait before the first retry; doubles each retry, with jitter")
	fs.DurationVar(&r.MaxDelay, "retry-max-delay", r.MaxDelay, "longest single wait, including a server's Retry-After")
	fs.DurationVar(&r.Timeout, "timeout", r.Timeout, "abandon and retry a try that moves no bytes for this long")
	return &r
}

func runPush(args []string) error {
	fs := newFlags("push")
	manifest := fs.String("manifest", "", "image manifest JSON")
	cfg := fs.String("config", "", "image config JSON")
	digestFile := fs.String("digest", "", "file holding the manifest digest")
	target := fs.String("target", "", "label of the push target, for messages")
	var descs, blobs, defaultRepos, repos, tags, tagFiles repeated
	fs.Var(&descs, "descriptor", "layer descriptor (repeat; pairs with --blob)")
	fs.Var(&blobs, "blob", "layer blob, or \"\" for a base layer left in its registry (repeat)")
	fs.Var(&defaultRepos, "default-repository", "repository from the BUILD file; replaced by any --repository")
	fs.Var(&repos, "repository", "repository to push to, e.g. registry.example.com/team/app (repeat)")
	fs.Var(&tags, "tag", "tag to point at the image in every repository (repeat)")
	fs.Var(&tagFiles, "tags-file", "file with one tag per line (repeat)")
	dryRun := fs.Bool("dry-run", false, "list what would be uploaded and tagged; change nothing")
	refsOut := fs.String("refs-out", "", "write the pushed repo@sha256:... references to this file")
	jobs := fs.Int("jobs", 4, "parallel blob uploads")
	retry := addRetryFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "manifest", "config", "digest"); err != nil {
		return err
	}
	if len(repos) == 0 {
		repos = defaultRepos
	}
	if len(repos) == 0 {
		return usererr.New(*target, "", "no repository to push to",
			"set repositories on the image (push_repositories) or image_push, or pass one: bazel run TARGET -- --repository registry.example.com/team/app")
	}
	for _, f := range tagFiles {
		lines, err := readLines(f)
		if err != nil {
			return err
		}
		tags = append(tags, lines...)
	}
	var targets []push.Target
	for _, r := range repos {
		repo, err := name.NewRepository(r)
		if err != nil {
			return usererr.New(*target, r, "not a repository: "+err.Error(), "write repositories as host/path, e.g. \"registry.example.com/team/app\"")
		}
		targets = append(targets, push.Target{Repository: repo, Tags: tags})
	}
	for _, t := range tags {
		if t != tagtemplate.Sanitize(t) || len(t) > tagtemplate.MaxLen {
			return usererr.New(*target, t, "not a valid tag", "tags are lowercase [a-z0-9_.-], at most 128 characters; templates like {BRANCH} are sanitized for you")
		}
	}
	d, err := os.ReadFile(*digestFile)
	if err != nil {
		return err
	}
	digest, err := v1.NewHash(strings.TrimSpace(string(d)))
	if err != nil {
		return err
	}
	img, err := blobimage.Load(*manifest, *cfg, descs, blobs)
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	opts := push.Options{Retry: *retry, Jobs: *jobs, DryRun: *dryRun, Log: os.Stderr}
	if isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	start := time.Now()
	results, err := push.Push(ctx, img, digest, targets, opts)
	if regclient.Refused(err) {
		return usererr.New(*target, "", "the registry refused access; no tag was moved ("+err.Error()+")", regclient.LoginFix)
	}
	if err != nil {
		return fmt.Errorf("push failed, no tag was moved to an incomplete image: %w", err)
	}
	var refs []string
	for _, r := range results {
		switch {
		case *dryRun && r.UpToDate:
			fmt.Fprintf(os.Stderr, "%s: up to date; would tag: %s\n", r.Reference.Context(), strings.Join(r.TagsMoved, ", "))
		case *dryRun:
			var size int64
			for _, b := range r.WouldWrite {
				size += b.Size
				fmt.Fprintf(os.Stderr, "%s: would upload %s (%d bytes)\n", r.Reference.Context(), b.Digest, b.Size)
			}
			fmt.Fprintf(os.Stderr, "%s: would upload %d blobs, %d bytes, then tag: %s\n", r.Reference.Context(), len(r.WouldWrite), size, strings.Join(tags, ", "))
		}
		refs = append(refs, r.Reference.String())
		fmt.Println(r.Reference.String())
	}
	if !*dryRun {
		fmt.Fprintf(os.Stderr, "pushed %s to %d repositories in %s\n", digest, len(results), time.Since(start).Round(time.Millisecond))
	}
	if *refsOut != "" {
		return os.WriteFile(userPath(*refsOut), []byte(strings.Join(refs, "\n")+"\n"), 0o644)
	}
	return nil
}

func runTags(args []string) error {
	fs := newFlags("tags")
	var templates, status repeated
	fs.Var(&templates, "template", "tag template such as pr-{PR_NUMBER}-{SHORT_SHA} (repeat)")
	fs.Var(&status, "status", "Bazel workspace status file (repeat; later ones win)")
	out := fs.String("out", "", "output: one tag per line")
	target := fs.String("target", "", "label of the push target, for messages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
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

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// userPath resolves a path the user typed relative to where they ran
// `bazel run`, not the runfiles directory the push script runs in.
func userPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if wd := os.Getenv("BUILD_WORKING_DIRECTORY"); wd != "" {
		return filepath.Join(wd, p)
	}
	return p
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
