package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/descriptor"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/pushspec"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/usererr"
)

func init() {
	commands["index-push-spec"] = command{"bundle what push-index and probe-index need into one small file", runIndexPushSpec}
	commands["push-index"] = command{"push an image index: every child, then the index and its tags", runPushIndex}
	commands["probe-index"] = command{"report whether repositories already hold an image index (exit 0) or not (exit 3)", runProbeIndex}
}

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

// loadIndex reads the index push spec and the targets (checked as for an
// image, by pushFlags.targets).
func (p *pushFlags) loadIndex(remoteCache string, rebuild bool) (push.Index, []push.Target, func(), error) {
	var idx push.Index
	closeAll := func() {}
	if err := required(p.fs, "spec"); err != nil {
		return idx, nil, closeAll, err
	}
	targets, err := p.targets("the index (push_repositories) or image_index_push")
	if err != nil {
		return idx, nil, closeAll, err
	}
	spec, err := pushspec.ReadIndex(*p.spec)
	if err != nil {
		return idx, nil, closeAll, err
	}
	idx.Raw = spec.Index
	if idx.Digest, err = v1.NewHash(spec.Digest); err != nil {
		return idx, nil, closeAll, err
	}
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, cs := range spec.Children {
		img, err := cs.Image(execPath)
		if err != nil {
			return idx, nil, closeAll, err
		}
		c := push.IndexChild{Image: img}
		if c.Digest, err = v1.NewHash(cs.Digest); err != nil {
			return idx, nil, closeAll, err
		}
		if remoteCache != "-" {
			f, cl, err := blobFetchers(img, remoteCache, cs.Targets(), rebuild)
			if err != nil {
				return idx, nil, closeAll, err
			}
			c.Fetchers = f
			closers = append(closers, cl)
		}
		idx.Children = append(idx.Children, c)
	}
	return idx, targets, closeAll, nil
}

func runPushIndex(args []string) error {
	p := newPushFlags("push-index")
	fs := p.fs
	remoteCache := fs.String("remote-cache", "", "Bazel remote cache to stream missing blobs from (default: $STRATA_REMOTE_CACHE)")
	noRebuild := fs.Bool("no-rebuild", false, "do not run bazel to rebuild blobs the remote cache evicted")
	dryRun := fs.Bool("dry-run", false, "list what would be uploaded and tagged; change nothing")
	refsOut := fs.String("refs-out", "", "write the pushed repo@sha256:... references to this file")
	jobs := fs.Int("jobs", 4, "parallel blob uploads")
	platformTags := fs.Bool("platform-tags", false, "also tag each child {tag}-{arch}{variant}")
	attachF := addAttachFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	attachJob, err := attachF.load(*p.target)
	if err != nil {
		return err
	}
	idx, targets, closeAll, err := p.loadIndex(*remoteCache, !*noRebuild)
	defer closeAll()
	if err != nil {
		return err
	}
	// As for an image: a --refs-out that cannot be written fails before
	// anything is pushed, and the file appears only after a push succeeded.
	var refsFile *refsFile
	if *refsOut != "" {
		if refsFile, err = openRefs(*p.target, *refsOut); err != nil {
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
	opts := push.Options{Retry: *p.retry, Jobs: *jobs, DryRun: *dryRun, Log: os.Stderr}
	if isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	start := time.Now()
	results, err := push.PushIndex(ctx, idx, targets, *platformTags, opts)
	if regclient.Refused(err) {
		return usererr.New(*p.target, "", "the registry refused access; no tag was moved ("+err.Error()+")", regclient.LoginFix)
	}
	if ue, ok := usererr.As(err); ok {
		if ue.Target == "" {
			ue.Target = *p.target
		}
		return ue
	}
	if err != nil {
		return fmt.Errorf("push failed, no tag was moved to an incomplete index: %w", err)
	}
	if *dryRun {
		// Nothing was pushed: no repo@digest on stdout, no refs file.
		for i, r := range results {
			reportDryRun(r, targets[i].Tags)
		}
		return nil
	}
	var refs []string
	for _, r := range results {
		refs = append(refs, r.Reference.String())
		fmt.Println(r.Reference.String())
	}
	fmt.Fprintf(os.Stderr, "pushed index %s (%d images) to %d repositories in %s\n", idx.Digest, len(idx.Children), len(results), time.Since(start).Round(time.Millisecond))
	if err := attachJob.run(ctx, idx.Raw, mediaTypeOf(idx.Raw), results, *p.retry, *jobs); err != nil {
		return err
	}
	if refsFile != nil {
		return refsFile.commit(strings.Join(refs, "\n") + "\n")
	}
	return nil
}

func runProbeIndex(args []string) error {
	p := newPushFlags("probe-index")
	if err := p.fs.Parse(args); err != nil {
		return err
	}
	idx, targets, closeAll, err := p.loadIndex("-", false)
	defer closeAll()
	if err != nil {
		return err
	}
	results, err := push.ProbeIndex(context.Background(), idx, targets, *p.retry)
	if err != nil {
		return err
	}
	fmt.Printf("index digest: %s\n", idx.Digest)
	complete := true
	for _, r := range results {
		repo := r.Target.Repository.String()
		switch {
		case r.Complete():
			fmt.Printf("%s: present, tags up to date\n", repo)
		case r.Manifest:
			fmt.Printf("%s: present; tags to move: %s\n", repo, strings.Join(r.StaleTags, ", "))
		default:
			fmt.Printf("%s: missing (%d blobs of %d images absent)\n", repo, len(r.MissingBlobs), len(idx.Children))
		}
		complete = complete && r.Complete()
	}
	if !complete {
		return exitError{probeMissing, "not everything is pushed yet (exit 3): build, test and push"}
	}
	fmt.Fprintln(os.Stderr, "everything is pushed (exit 0): skip build, test and push")
	return nil
}
