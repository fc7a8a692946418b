package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/casclient"
	"github.com/strata-build/rules_strata/go/redact"
)

// Fetcher supplies blob bytes that are not on this machine.
type Fetcher interface {
	Name() string
	Fetch(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error)
}

// CacheFetcher streams blobs from a Bazel remote cache.
type CacheFetcher struct {
	Client casclient.Client
	URL    string // may carry credentials: printed only through redact.URL
}

func (c CacheFetcher) Name() string { return "remote cache " + redact.URL(c.URL) }

func (c CacheFetcher) Fetch(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	return c.Client.Read(ctx, d)
}

// Rebuild recovers blobs the remote cache evicted: it runs Bazel once for
// every layer target whose blob is missing, with remote cache hits refused so
// the layers are built here (the actions are deterministic, so the bytes and
// digests are the same), then reads the fresh files.
type Rebuild struct {
	Workspace string             // where to run bazel (BUILD_WORKSPACE_DIRECTORY)
	Bazel     string             // the bazel command
	Flags     []string           // extra build flags
	Targets   map[v1.Hash]string // layer digest -> label of its image_layer
	Paths     map[v1.Hash]string // layer digest -> where the build writes it
	Log       io.Writer          // Bazel's output goes here, redacted (its flags may name a cache URL with credentials)

	once sync.Once
	err  error
}

func (r *Rebuild) Name() string { return "rebuild with bazel" }

func (r *Rebuild) Fetch(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	if r.Targets[d.Digest] == "" || r.Workspace == "" {
		return nil, errors.New("no layer target to rebuild")
	}
	r.once.Do(func() { r.err = r.build(ctx) })
	if r.err != nil {
		return nil, r.err
	}
	return os.Open(r.Paths[d.Digest])
}

func (r *Rebuild) build(ctx context.Context) error {
	seen := map[string]bool{}
	var labels []string
	for h, label := range r.Targets {
		if _, err := os.Stat(r.Paths[h]); err != nil && !seen[label] {
			seen[label] = true
			labels = append(labels, label)
		}
	}
	sort.Strings(labels)
	fmt.Fprintf(r.Log, "the remote cache no longer has some layer blobs; rebuilding %v here to recover them\n", labels)
	args := append(append([]string{"build", "--noremote_accept_cached"}, r.Flags...), labels...)
	out := redact.NewWriter(r.Log)
	defer out.Flush()
	cmd := exec.CommandContext(ctx, r.Bazel, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = r.Workspace, out, out
	if err := cmd.Run(); err != nil {
		return redact.Error(fmt.Errorf("rebuilding %v with bazel failed: %w", labels, err))
	}
	return nil
}
