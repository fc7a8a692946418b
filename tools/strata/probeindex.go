package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/push"
)

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
