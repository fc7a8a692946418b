package main

import (
	"context"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/push"
)

// probeMissing is the exit code for "something needs pushing", distinct from
// 1 (an error), so CI can branch on it.
const probeMissing = 3

func runProbe(args []string) error {
	p := newPushFlags("probe")
	if err := parseFlags(p.fs, args); err != nil {
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
	return probeExit(push.ReportProbe(os.Stdout, results, func(r push.ProbeResult) string {
		return fmt.Sprintf("%d of %d blobs absent", len(r.MissingBlobs), len(img.Manifest().Layers)+1)
	}))
}

// probeExit ends probe and probe-index: exit 0 when every repository holds
// everything, probeMissing otherwise, so CI can branch on it.
func probeExit(complete bool) error {
	if !complete {
		return exitError{probeMissing, "not everything is pushed yet (exit 3): build, test and push"}
	}
	fmt.Fprintln(os.Stderr, "everything is pushed (exit 0): skip build, test and push")
	return nil
}
