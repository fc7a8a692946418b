package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/spec"
)

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
	s, err := spec.ReadIndexPush(*p.spec)
	if err != nil {
		return idx, nil, closeAll, err
	}
	idx.Raw = s.Index
	if idx.Digest, err = v1.NewHash(s.Digest); err != nil {
		return idx, nil, closeAll, err
	}
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, cs := range s.Children {
		img, err := blobimage.FromPush(cs, push.ExecPath)
		if err != nil {
			return idx, nil, closeAll, err
		}
		c := push.IndexChild{Image: img}
		if c.Digest, err = v1.NewHash(cs.Digest); err != nil {
			return idx, nil, closeAll, err
		}
		if remoteCache != "-" {
			f, cl, err := push.Fetchers(img, remoteCache, cs.Targets(), rebuild)
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
	u := p.addUploadFlags()
	fs := p.fs
	platformTags := fs.Bool("platform-tags", false, "also tag each child {tag}-{arch}{variant}")
	attachF := addAttachFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	attachJob, err := attachF.load(*p.target)
	if err != nil {
		return err
	}
	idx, targets, closeAll, err := p.loadIndex(*u.remoteCache, !*u.noRebuild)
	defer closeAll()
	if err != nil {
		return err
	}
	// As for an image: a --refs-out that cannot be written fails before
	// anything is pushed, and the file appears only after a push succeeded.
	var refsFile *refsFile
	if *u.refsOut != "" {
		if refsFile, err = openRefs(*p.target, *u.refsOut); err != nil {
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
	opts := u.options(*p.retry)
	start := time.Now()
	results, err := push.PushIndex(ctx, idx, targets, *platformTags, opts)
	if err != nil {
		return push.Explain(err, *p.target, "index")
	}
	if *u.dryRun {
		// Nothing was pushed: no repo@digest on stdout, no refs file.
		for i, r := range results {
			push.ReportDryRun(os.Stderr, r, targets[i].Tags)
		}
		return nil
	}
	var refs []string
	for _, r := range results {
		refs = append(refs, r.Reference.String())
		fmt.Println(r.Reference.String())
	}
	fmt.Fprintf(os.Stderr, "pushed index %s (%d images) to %d repositories in %s\n", idx.Digest, len(idx.Children), len(results), time.Since(start).Round(time.Millisecond))
	if err := attachJob.run(ctx, idx.Raw, mediaTypeOf(idx.Raw), results, *p.retry, *u.jobs); err != nil {
		return err
	}
	if refsFile != nil {
		return refsFile.commit(strings.Join(refs, "\n") + "\n")
	}
	return nil
}
