package main

import (
	"fmt"
	"os"
	"time"

	"github.com/strata-build/rules_strata/go/push"
)

func runPushIndex(args []string) error {
	p := newPushFlags("push-index")
	u := p.addUploadFlags()
	platformTags := p.fs.Bool("platform-tags", false, "also tag each child {tag}-{arch}{variant}")
	attachF := addAttachFlags(p.fs)
	if err := parseFlags(p.fs, args); err != nil {
		return err
	}
	attachJob, err := attachF.load(*p.target)
	if err != nil {
		return err
	}
	idx, targets, closeAll, err := p.loadIndex(u.fetch())
	defer closeAll()
	if err != nil {
		return err
	}
	// As for an image: a --refs-out that cannot be written fails before
	// anything is pushed, and the file appears only after a push succeeded.
	ctx, refsFile, done, err := u.start(*p.target)
	defer done()
	if err != nil {
		return err
	}
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
	refs := printRefs(results)
	fmt.Fprintf(os.Stderr, "pushed index %s (%d images) to %d repositories in %s\n", idx.Digest, len(idx.Children), len(results), time.Since(start).Round(time.Millisecond))
	if err := attachJob.run(ctx, idx.Raw, mediaTypeOf(idx.Raw), results, *p.retry, *u.jobs); err != nil {
		return err
	}
	return refsFile.commit(refs)
}
