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

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
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

// pushFlags are the flags push and probe share: the image (a push spec) and
// where it goes.
type pushFlags struct {
	fs                                  *flag.FlagSet
	spec, target                        *string
	defaultRepos, repos, tags, tagFiles repeated
	retry                               *regclient.Retry
	stamp                               stampFlags
}

func newPushFlags(name string) *pushFlags {
	p := &pushFlags{fs: newFlags(name)}
	fs := p.fs
	p.spec = fs.String("spec", "", "push spec JSON written by the push target (see strata push-spec)")
	p.target = fs.String("target", "", "label of the Bazel target, for messages")
	fs.Var(&p.defaultRepos, "default-repository", "repository from the BUILD file; replaced by any --repository")
	fs.Var(&p.repos, "repository", "repository, e.g. registry.example.com/team/app (repeat)")
	fs.Var(&p.tags, "tag", "tag to point at the image in every repository (repeat)")
	fs.Var(&p.tagFiles, "tags-file", "file with one tag per line (repeat)")
	p.retry = addRetryFlags(fs)
	p.stamp.add(fs)
	return p
}

// pushJob is a loaded push spec and where it goes.
type pushJob struct {
	img          *blobimage.Image
	digest       v1.Hash
	layerTargets []string // for push.Fetchers
	targets      []push.Target
}

// load checks --spec and reads the image and its targets.
func (p *pushFlags) load() (pushJob, error) {
	targets, err := p.specTargets("the image (push_repositories) or image_push")
	if err != nil {
		return pushJob{}, err
	}
	j := pushJob{targets: targets}
	j.img, j.digest, j.layerTargets, err = push.LoadImage(*p.target, *p.spec)
	return j, err
}

// loadIndex reads the index and its targets, checked as for an image; with
// fetch, each child gets the fetchers of its blobs. Call close when done.
func (p *pushFlags) loadIndex(fetch *push.Fetch) (push.Index, []push.Target, func(), error) {
	targets, err := p.specTargets("the index (push_repositories) or image_index_push")
	if err != nil {
		return push.Index{}, nil, func() {}, err
	}
	idx, closeAll, err := push.LoadIndex(*p.spec, fetch)
	return idx, targets, closeAll, err
}

// specTargets checks that --spec was given, then gathers the targets.
func (p *pushFlags) specTargets(owner string) ([]push.Target, error) {
	if err := required(p.fs, "spec"); err != nil {
		return nil, err
	}
	return p.targets(owner)
}

// targets gathers repositories and tags (plain, from --tags-file, and
// templates filled now from the workspace status) for an image or an index;
// owner names the attribute that sets repositories, for the fix.
func (p *pushFlags) targets(owner string) ([]push.Target, error) {
	repos := p.repos
	if len(repos) == 0 {
		repos = p.defaultRepos
	}
	tags := p.tags
	for _, f := range p.tagFiles {
		lines, err := readLines(f)
		if err != nil {
			return nil, err
		}
		tags = append(tags, lines...)
	}
	stamped, err := p.stamp.expand(*p.target)
	if err != nil {
		return nil, err
	}
	return push.Targets(*p.target, owner, repos, append(tags, stamped...))
}

// uploadFlags are the flags push and push-index add to pushFlags.
type uploadFlags struct {
	remoteCache, refsOut *string
	noRebuild, dryRun    *bool
	jobs                 *int
	chunkSize            *int64
}

func (p *pushFlags) addUploadFlags() *uploadFlags {
	fs := p.fs
	return &uploadFlags{
		remoteCache: fs.String("remote-cache", "", "Bazel remote cache to stream missing blobs from (default: $STRATA_REMOTE_CACHE)"),
		noRebuild:   fs.Bool("no-rebuild", false, "do not run bazel to rebuild blobs the remote cache evicted"),
		dryRun:      fs.Bool("dry-run", false, "list what would be uploaded and tagged; change nothing"),
		refsOut:     fs.String("refs-out", "", "write the pushed repo@sha256:... references to this file"),
		jobs:        fs.Int("jobs", 4, "parallel blob uploads"),
		chunkSize:   fs.Int64("chunk-size", push.DefaultChunkSize, "layers bigger than this go up in chunks of this many bytes and resume after a failure; -1: one streamed upload, retried whole"),
	}
}

// options are the push options the flags give (progress on a terminal).
func (u *uploadFlags) options(retry regclient.Retry) push.Options {
	opts := push.Options{Retry: retry, Jobs: *u.jobs, DryRun: *u.dryRun, Log: os.Stderr, ChunkSize: *u.chunkSize}
	if isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	return opts
}

// fetch is where push and push-index find the blobs the build left remote.
func (u *uploadFlags) fetch() *push.Fetch {
	return &push.Fetch{RemoteCache: *u.remoteCache, Rebuild: !*u.noRebuild}
}

// start readies a push: it opens --refs-out first (so a path that cannot
// be written fails before anything is pushed) and a context an interrupt
// cancels. Call done when the verb ends: it removes a refs file that was
// never committed.
func (u *uploadFlags) start(target string) (ctx context.Context, refs *refsFile, done func(), err error) {
	if *u.refsOut != "" {
		if refs, err = openRefs(target, *u.refsOut); err != nil {
			return nil, nil, func() {}, err
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	return ctx, refs, func() { cancel(); refs.discardUncommitted() }, nil
}

// printRefs prints every pushed repo@sha256:... on stdout, for scripts, and
// returns them as the --refs-out file's content.
func printRefs(results []push.Result) string {
	var refs []string
	for _, r := range results {
		refs = append(refs, r.Reference.String())
		fmt.Println(r.Reference.String())
	}
	return strings.Join(refs, "\n") + "\n"
}

func runPush(args []string) error {
	p := newPushFlags("push")
	u := p.addUploadFlags()
	attachF := addAttachFlags(p.fs)
	if err := parseFlags(p.fs, args); err != nil {
		return err
	}
	job, err := p.load()
	if err != nil {
		return err
	}
	attachJob, err := attachF.load(*p.target)
	if err != nil {
		return err
	}
	img, digest, targets := job.img, job.digest, job.targets
	ctx, refsFile, done, err := u.start(*p.target)
	defer done()
	if err != nil {
		return err
	}
	fetch := u.fetch()
	fetchers, closeFetchers, err := push.Fetchers(img, fetch.RemoteCache, job.layerTargets, fetch.Rebuild)
	if err != nil {
		return err
	}
	defer closeFetchers()
	opts := u.options(*p.retry)
	opts.Fetchers = fetchers
	start := time.Now()
	results, err := push.Push(ctx, img, digest, targets, opts)
	if err != nil {
		return push.Explain(err, *p.target, "image")
	}
	if *u.dryRun {
		// Nothing was pushed: no repo@digest on stdout, no refs file.
		for _, r := range results {
			push.ReportDryRun(os.Stderr, r, targets[0].Tags)
			if !attachJob.empty() {
				fmt.Fprintf(os.Stderr, "%s: would attach: %s\n", r.Reference.Context(), attachJob.what())
			}
		}
		return nil
	}
	refs := printRefs(results)
	fmt.Fprintf(os.Stderr, "pushed %s to %d repositories in %s\n", digest, len(results), time.Since(start).Round(time.Millisecond))
	if err := attachJob.run(ctx, img.RawManifest(), img.Manifest().MediaType, results, *p.retry, *u.jobs); err != nil {
		return err
	}
	return refsFile.commit(refs)
}

// refsFile is the --refs-out file, created (as a temporary file beside it)
// before anything is pushed, so a path that cannot be written fails first,
// and renamed into place only after a push succeeded.
type refsFile struct {
	tmp  *os.File
	path string
}

func openRefs(target, path string) (*refsFile, error) {
	p := userPath(path)
	tmp, err := os.CreateTemp(filepath.Dir(p), ".refs-out-*")
	if err != nil {
		return nil, usererr.New(target, p, "--refs-out cannot be written here ("+err.Error()+"); nothing was pushed",
			"pass a file in an existing, writable directory (relative paths are resolved from where you ran bazel)")
	}
	return &refsFile{tmp: tmp, path: p}, nil
}

// commit writes and renames the refs file into place; nil (no --refs-out)
// writes nothing.
func (r *refsFile) commit(content string) error {
	if r == nil {
		return nil
	}
	if _, err := r.tmp.WriteString(content); err != nil {
		r.discard()
		return err
	}
	if err := r.tmp.Close(); err != nil {
		os.Remove(r.tmp.Name())
		return err
	}
	os.Chmod(r.tmp.Name(), 0o644)
	return os.Rename(r.tmp.Name(), r.path)
}

// discardUncommitted removes the temporary file unless commit renamed it.
func (r *refsFile) discardUncommitted() {
	if r == nil {
		return
	}
	if _, err := os.Stat(r.tmp.Name()); err == nil {
		r.discard()
	}
}

func (r *refsFile) discard() {
	r.tmp.Close()
	os.Remove(r.tmp.Name())
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
