package push_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

// oncePerPhase fails the first request of each phase of a push (the /v2/
// ping, blob HEAD, upload POST, PATCH and PUT, manifest HEAD and PUT) with
// one kind of fault and passes every other request to next, so each phase's
// retry path runs exactly once, the same way on every run.
type oncePerPhase struct {
	next  http.Handler
	kind  fault
	mu    sync.Mutex
	fired map[string]bool
}

func phase(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.Contains(p, "/blobs/uploads/"):
		p = "blobs/uploads"
	case strings.Contains(p, "/blobs/"):
		p = "blobs"
	case strings.Contains(p, "/manifests/"):
		p = "manifests"
	}
	return r.Method + " " + p
}

func (f *oncePerPhase) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ph := phase(r)
	f.mu.Lock()
	first := !f.fired[ph]
	f.fired[ph] = true
	f.mu.Unlock()
	if first {
		inject(f.kind, w, r)
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *oncePerPhase) phases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ps []string
	for p := range f.fired {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// TestEachFaultKindIsSurvived: for each kind of fault, a push whose every
// phase fails once (blob uploads, whose bodies are one-shot and are retried
// whole by push, and the replayable manifest PUT, retried by the transport)
// still lands the image and its tag. The random-fault soak is soak_test.go.
func TestEachFaultKindIsSurvived(t *testing.T) {
	for k := fault(0); k < faultKinds; k++ {
		t.Run(k.String(), func(t *testing.T) {
			// One registry, two doors: the faulty one for push, the direct one to verify.
			store := registrytest.New()
			f := &oncePerPhase{next: store, kind: k, fired: map[string]bool{}}
			proxy := httptest.NewServer(f)
			defer proxy.Close()
			direct := httptest.NewServer(store)
			defer direct.Close()
			retry := fastRetry
			retry.Timeout = 150 * time.Millisecond // each stall costs one timeout
			img, digest := onDisk(t, 2)
			_, err := push.Push(context.Background(), img, digest,
				[]push.Target{{Repository: repo(t, proxy, "flaky/app"), Tags: []string{"v1"}}},
				push.Options{Retry: retry, Jobs: 2})
			if err != nil {
				t.Fatalf("push failed despite retries (phases faulted: %v): %v", f.phases(), err)
			}
			verify(t, repo(t, direct, "flaky/app").Tag("v1"), digest)
			got := strings.Join(f.phases(), ", ")
			for _, want := range []string{"PATCH blobs/uploads", "PUT blobs/uploads", "PUT manifests"} {
				if !strings.Contains(got, want) {
					t.Errorf("no %s fault was injected (phases: %s); the test proves less than it says", want, got)
				}
			}
			t.Logf("one %s in each phase: %s", k, got)
		})
	}
}
