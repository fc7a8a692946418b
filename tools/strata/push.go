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
	"github.com/strata-build/rules_strata/go/casclient"
	"github.com/strata-build/rules_strata/go/descriptor"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/pushspec"
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
	img     *blobimage.Image
	spec    pushspec.Spec
	digest  v1.Hash
	targets []push.Target
}

// load validates the flags and reads the image and its targets.
func (p *pushFlags) load() (pushJob, error) {
	j, err := p.loadSpec()
	if err == nil {
		j.digest, err = v1.NewHash(j.spec.Digest)
	}
	return j, err
}

// targets validates repositories and tags (plain, from --tags-file, and
// templates filled now from the workspace status) for an image or an index;
// owner names the attribute that sets repositories, for the fix.
func (p *pushFlags) targets(owner string) ([]push.Target, error) {
	repos := p.repos
	if len(repos) == 0 {
		repos = p.defaultRepos
	}
	if len(repos) == 0 {
		return nil, usererr.New(*p.target, "", "no repository given",
			"set repositories on "+owner+", or pass one: bazel run TARGET -- --repository registry.example.com/team/app")
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
	tags = append(tags, stamped...)
	for _, t := range tags {
		if t != tagtemplate.Sanitize(t) || len(t) > tagtemplate.MaxLen {
			return nil, usererr.New(*p.target, t, "not a valid tag", "tags are lowercase [a-z0-9_.-], at most 128 characters; templates like {BRANCH} are sanitized for you")
		}
	}
	var targets []push.Target
	insecure := regclient.InsecureHosts()
	for _, r := range repos {
		repo, err := name.NewRepository(r)
		if err == nil && insecure[repo.RegistryStr()] {
			// The user said this registry is plain HTTP (STRATA_REGISTRY_INSECURE).
			repo, err = name.NewRepository(r, name.Insecure)
		}
		if err != nil {
			return nil, usererr.New(*p.target, r, "not a repository: "+err.Error(), "write repositories as host/path, e.g. \"registry.example.com/team/app\"")
		}
		targets = append(targets, push.Target{Repository: repo, Tags: tags})
	}
	return targets, nil
}

func (p *pushFlags) loadSpec() (pushJob, error) {
	var spec pushspec.Spec
	if err := required(p.fs, "spec"); err != nil {
		return pushJob{}, err
	}
	targets, err := p.targets("the image (push_repositories) or image_push")
	if err != nil {
		return pushJob{}, err
	}
	spec, err = pushspec.Read(*p.spec)
	if err != nil {
		return pushJob{}, err
	}
	img, err := spec.Image(execPath)
	if err != nil {
		return pushJob{}, usererr.New(*p.target, "", fmt.Sprintf("cannot read the image in push spec %s: %v", *p.spec, err),
			"the push spec is written by the push target's build: rebuild it (bazel build TARGET); never edit it by hand")
	}
	return pushJob{img: img, spec: spec, targets: targets}, nil
}

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

func runPush(args []string) error {
	p := newPushFlags("push")
	fs := p.fs
	remoteCache := fs.String("remote-cache", "", "Bazel remote cache to stream missing blobs from (default: $STRATA_REMOTE_CACHE)")
	noRebuild := fs.Bool("no-rebuild", false, "do not run bazel to rebuild blobs the remote cache evicted")
	dryRun := fs.Bool("dry-run", false, "list what would be uploaded and tagged; change nothing")
	refsOut := fs.String("refs-out", "", "write the pushed repo@sha256:... references to this file")
	jobs := fs.Int("jobs", 4, "parallel blob uploads")
	attachF := addAttachFlags(fs)
	if err := fs.Parse(args); err != nil {
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
	tags := targets[0].Tags
	target := p.target
	var refsFile *refsFile
	if *refsOut != "" {
		if refsFile, err = openRefs(*target, *refsOut); err != nil {
			return err
		}
		defer func() {
			if _, statErr := os.Stat(refsFile.tmp.Name()); statErr == nil {
				refsFile.discard()
			}
		}()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	fetchers, closeFetchers, err := blobFetchers(img, *remoteCache, job.spec.Targets(), !*noRebuild)
	if err != nil {
		return err
	}
	defer closeFetchers()
	opts := push.Options{Retry: *p.retry, Jobs: *jobs, DryRun: *dryRun, Log: os.Stderr, Fetchers: fetchers}
	if isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	start := time.Now()
	results, err := push.Push(ctx, img, digest, targets, opts)
	if regclient.Refused(err) {
		return usererr.New(*target, "", "the registry refused access; no tag was moved ("+err.Error()+")", regclient.LoginFix)
	}
	if ue, ok := usererr.As(err); ok {
		if ue.Target == "" {
			ue.Target = *target
		}
		return ue
	}
	if err != nil {
		return fmt.Errorf("push failed, no tag was moved to an incomplete image: %w", err)
	}
	if *dryRun {
		// Nothing was pushed: no repo@digest on stdout, no refs file.
		for _, r := range results {
			reportDryRun(r, tags)
			if !attachJob.empty() {
				fmt.Fprintf(os.Stderr, "%s: would attach: %s\n", r.Reference.Context(), attachJob.what())
			}
		}
		return nil
	}
	var refs []string
	for _, r := range results {
		refs = append(refs, r.Reference.String())
		fmt.Println(r.Reference.String())
	}
	fmt.Fprintf(os.Stderr, "pushed %s to %d repositories in %s\n", digest, len(results), time.Since(start).Round(time.Millisecond))
	if err := attachJob.run(ctx, img.RawManifest(), img.Manifest().MediaType, results, *p.retry, *jobs); err != nil {
		return err
	}
	if refsFile != nil {
		return refsFile.commit(strings.Join(refs, "\n") + "\n")
	}
	return nil
}

// reportDryRun says what a push would do in one repository.
func reportDryRun(r push.Result, tags []string) {
	repo := r.Reference.Context()
	if r.UpToDate {
		fmt.Fprintf(os.Stderr, "%s: up to date; would tag: %s\n", repo, strings.Join(r.TagsMoved, ", "))
		return
	}
	var size int64
	uploads, mounts := 0, 0
	for _, p := range r.Plan {
		if p.Action == push.Mount {
			mounts++
			fmt.Fprintf(os.Stderr, "%s: would mount %s from %s\n", repo, p.Descriptor.Digest, p.From)
			continue
		}
		uploads++
		size += p.Descriptor.Size
		fmt.Fprintf(os.Stderr, "%s: would upload %s (%d bytes)\n", repo, p.Descriptor.Digest, p.Descriptor.Size)
	}
	then := "then put the manifest"
	if len(tags) > 0 {
		then += " and tag: " + strings.Join(tags, ", ")
	}
	fmt.Fprintf(os.Stderr, "%s: would upload %d blobs (%d bytes), mount %d; %s\n", repo, uploads, size, mounts, then)
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

func (r *refsFile) commit(content string) error {
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

func (r *refsFile) discard() {
	r.tmp.Close()
	os.Remove(r.tmp.Name())
}

// blobFetchers returns where to get blobs a --remote_download_minimal build
// left remote: the remote cache, then a local rebuild of their layers.
func blobFetchers(img *blobimage.Image, cacheURL string, layerTargets []string, rebuild bool) ([]push.Fetcher, func(), error) {
	var fetchers []push.Fetcher
	closers := func() {}
	cfg, ok := casclient.FromEnv()
	if cacheURL != "" {
		cfg.URL, ok = cacheURL, true
	}
	if ok {
		c, err := casclient.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		fetchers = append(fetchers, push.CacheFetcher{Client: c, URL: cfg.URL})
		closers = func() { c.Close() }
	}
	ws := os.Getenv("BUILD_WORKSPACE_DIRECTORY")
	if rebuild && ws != "" && len(layerTargets) == len(img.Manifest().Layers) {
		r := &push.Rebuild{Workspace: ws, Bazel: envOr("STRATA_BAZEL", "bazel"), Flags: strings.Fields(os.Getenv("STRATA_REBUILD_FLAGS")),
			Targets: map[v1.Hash]string{}, Paths: map[v1.Hash]string{}, Log: os.Stderr}
		for i, l := range img.Manifest().Layers {
			if img.Source(l.Digest) == "" && layerTargets[i] != "" {
				r.Targets[l.Digest], r.Paths[l.Digest] = layerTargets[i], img.BlobPath(l.Digest)
			}
		}
		fetchers = append(fetchers, r)
	}
	return fetchers, closers, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// execPath finds a file Bazel names by its execution-root path ("bazel-out/...",
// "external/..."): through the workspace's bazel-out symlink, whose parent is
// the execution root.
func execPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	for _, dir := range []string{os.Getenv("BUILD_WORKSPACE_DIRECTORY"), os.Getenv("STRATA_ORIG_PWD")} {
		if dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "bazel-out")); err == nil {
				// Not filepath.Join: it would clean "bazel-out/.." away
				// lexically, but the ".." must go up from the symlink's target.
				return dir + "/bazel-out/../" + p
			}
		}
	}
	return p
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
