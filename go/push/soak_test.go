//go:build soak

package push_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

// The soak: 50 pushes through a registry that fails 15% of requests with a
// random kind of fault (seeded, so a failure replays). It takes ~15 s, so it
// is behind the soak build tag; scripts/test.sh runs it once:
//
//	go test -tags soak -run TestFiftyPushesThroughFaults ./go/push
//
// TestEachFaultKindIsSurvived covers each kind deterministically in every
// plain go test.
func TestFiftyPushesThroughFaults(t *testing.T) {
	// One registry, two doors: the faulty one for push, the direct one to verify.
	store := registrytest.New()
	f := &faulty{next: store, rate: 0.15, rng: rand.New(rand.NewPCG(1, 2))}
	proxy := httptest.NewServer(f)
	defer proxy.Close()
	direct := httptest.NewServer(store)
	defer direct.Close()
	for i := 0; i < 50; i++ {
		img, digest := onDisk(t, 2)
		tag := fmt.Sprintf("build-%d", i)
		_, err := push.Push(context.Background(), img, digest,
			[]push.Target{{Repository: repo(t, proxy, "flaky/app"), Tags: []string{tag}}}, push.Options{Retry: fastRetry, Jobs: 3})
		if err != nil {
			t.Fatalf("push %d failed despite retries: %v", i, err)
		}
		verify(t, repo(t, direct, "flaky/app").Tag(tag), digest)
	}
	if f.fired.Load() < 50 {
		t.Errorf("only %d faults were injected; the test proves little", f.fired.Load())
	}
	t.Logf("%d faults injected over 50 pushes", f.fired.Load())
}
