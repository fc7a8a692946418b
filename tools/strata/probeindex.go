package main

import (
	"context"
	"fmt"
	"os"

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
	complete := push.ReportProbe(os.Stdout, results, func(r push.ProbeResult) string {
		return fmt.Sprintf("%d blobs of %d images absent", len(r.MissingBlobs), len(idx.Children))
	})
	if !complete {
		return exitError{probeMissing, "not everything is pushed yet (exit 3): build, test and push"}
	}
	fmt.Fprintln(os.Stderr, "everything is pushed (exit 0): skip build, test and push")
	return nil
}
