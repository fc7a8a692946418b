package main

import (
	"context"
	"fmt"
	"os"

	"github.com/strata-build/rules_strata/go/push"
)

func runProbeIndex(args []string) error {
	p := newPushFlags("probe-index")
	if err := parseFlags(p.fs, args); err != nil {
		return err
	}
	idx, targets, closeAll, err := p.loadIndex(nil)
	defer closeAll()
	if err != nil {
		return err
	}
	results, err := push.ProbeIndex(context.Background(), idx, targets, *p.retry)
	if err != nil {
		return err
	}
	fmt.Printf("index digest: %s\n", idx.Digest)
	return probeExit(push.ReportProbe(os.Stdout, results, func(r push.ProbeResult) string {
		return fmt.Sprintf("%d blobs of %d images absent", len(r.MissingBlobs), len(idx.Children))
	}))
}
