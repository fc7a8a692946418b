package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/strata-build/rules_strata/go/push"
)

// exitError ends strata with a specific exit code and message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// probeMissing is the exit code for "something needs pushing", distinct from
// 1 (an error), so CI can branch on it.
const probeMissing = 3

func runProbe(args []string) error {
	p := newPushFlags("probe")
	if err := p.fs.Parse(args); err != nil {
		return err
	}
	job, err := p.load()
	if err != nil {
		return err
	}
	img, digest := job.img, job.digest
	results, err := push.Probe(context.Background(), img, digest, job.targets, *p.retry)
	if err != nil {
		return err
	}
	fmt.Printf("image digest: %s\n", digest)
	complete := true
	for _, r := range results {
		repo := r.Target.Repository.String()
		switch {
		case r.Complete():
			fmt.Printf("%s: present, tags up to date\n", repo)
		case r.Manifest:
			fmt.Printf("%s: present; tags to move: %s\n", repo, strings.Join(r.StaleTags, ", "))
		default:
			n := len(img.Manifest().Layers) + 1
			fmt.Printf("%s: missing (%d of %d blobs absent)\n", repo, len(r.MissingBlobs), n)
		}
		complete = complete && r.Complete()
	}
	if !complete {
		return exitError{probeMissing, "not everything is pushed yet (exit 3): build, test and push"}
	}
	fmt.Fprintln(os.Stderr, "everything is pushed (exit 0): skip build, test and push")
	return nil
}
