package push_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/blobimage/blobimagetest"
	"github.com/strata-build/rules_strata/go/casclient"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
	"github.com/strata-build/rules_strata/go/spec"
)

var fastRetry = regclient.Retry{Attempts: 8, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: 300 * time.Millisecond}

// onDisk writes a random image the way Bazel outputs look (manifest, config,
// descriptor + blob per layer) and loads it.
func onDisk(t *testing.T, layers int) (*blobimage.Image, v1.Hash) {
	t.Helper()
	return onDiskFrom(t, layers, "")
}

// onDiskFrom is onDisk with the first layer pulled from base (a repository):
// not on this machine, to be mounted or streamed from there.
func onDiskFrom(t *testing.T, layers int, base string) (*blobimage.Image, v1.Hash) {
	t.Helper()
	return writeOnDisk(t, registrytest.Image(t, 2048, int64(layers)), base)
}

// writeOnDisk writes img as the build leaves an image (blobimagetest.Files)
// and loads it back through its image files manifest; a base repository
// holds the first layer instead of a local blob.
func writeOnDisk(t *testing.T, img v1.Image, base string) (*blobimage.Image, v1.Hash) {
	t.Helper()
	if base != "" {
		ls, _ := img.Layers()
		if err := remote.WriteLayer(mustRepo(t, base), ls[0]); err != nil {
			t.Fatal(err)
		}
	}
	bi, err := blobimage.Load(blobimagetest.Files(t, img, base))
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	return bi, digest
}

// counter records the requests a registry sees.
type counter struct {
	mu   sync.Mutex
	reqs []string
}

func (c *counter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *counter) count(method, pathPart string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, pathPart) {
			n++
		}
	}
	return n
}

func (c *counter) reset() { c.mu.Lock(); c.reqs = nil; c.mu.Unlock() }

func mustRepo(t *testing.T, s string) name.Repository {
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func repo(t *testing.T, srv *httptest.Server, path string) name.Repository {
	r, err := name.NewRepository(registrytest.Host(srv) + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func verify(t *testing.T, ref name.Reference, want v1.Hash) {
	t.Helper()
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if d, _ := img.Digest(); d != want {
		t.Fatalf("%s has digest %s, want %s", ref, d, want)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("%s: invalid content: %v", ref, err)
	}
}

func TestPushThenRepushUploadsNothing(t *testing.T) {
	var c counter
	srv := httptest.NewServer(c.wrap(registrytest.New()))
	defer srv.Close()
	img, digest := onDisk(t, 3)
	targets := []push.Target{
		{Repository: repo(t, srv, "org-a/app"), Tags: []string{"v1", "pr-7-abc1234"}},
		{Repository: repo(t, srv, "org-b/app"), Tags: []string{"v1"}},
	}
	res, err := push.Push(context.Background(), img, digest, targets, push.Options{Retry: fastRetry, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, targets[0].Repository.Tag("pr-7-abc1234"), digest)
	verify(t, targets[1].Repository.Tag("v1"), digest)
	if res[0].Uploaded != 4 || res[1].Uploaded != 0 {
		t.Errorf("blob uploads: org-a %d, org-b %d; want 4 (config + 3 layers) and 0 (org-b mounts from org-a)", res[0].Uploaded, res[1].Uploaded)
	}
	// (This in-process registry shares blobs across repositories, so org-b
	// finds them by HEAD; e2e/push_test.sh checks real cross-repo mounts.)
	if got := c.count("PATCH", "/v2/org-b/") + c.count("PUT", "/v2/org-b/app/blobs/"); got != 0 {
		t.Errorf("org-b: %d blob uploads, want 0", got)
	}

	c.reset()
	res, err = push.Push(context.Background(), img, digest, targets, push.Options{Retry: fastRetry, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.UpToDate || r.Uploaded != 0 || len(r.TagsMoved) != 0 {
			t.Errorf("re-push of %s: %+v; want up to date, nothing uploaded or tagged", r.Reference, r)
		}
	}
	if n := c.count("POST", "") + c.count("PATCH", "") + c.count("PUT", ""); n != 0 {
		t.Errorf("re-push wrote %d times: %q", n, c.reqs)
	}
	if n := c.count("HEAD", "/manifests/sha256:"); n != 2 {
		t.Errorf("re-push made %d manifest checks by digest, want one per repository (2)", n)
	}
}

func TestDryRunListsMissingBlobs(t *testing.T) {
	var c counter
	srv := httptest.NewServer(c.wrap(registrytest.New()))
	defer srv.Close()
	img, digest := onDisk(t, 2)
	res, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "x"), Tags: []string{"t"}}},
		push.Options{Retry: fastRetry, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Plan) != 3 {
		t.Errorf("dry run lists %d blobs, want 3 (config + 2 layers)", len(res[0].Plan))
	}
	if n := c.count("POST", "") + c.count("PUT", ""); n != 0 {
		t.Errorf("dry run wrote to the registry %d times", n)
	}
}

// faulty injects failures before the registry sees a request: connection
// resets, 500/503, 429 with Retry-After, and stalls longer than the client's
// timeout. Rate is the share of requests that fail.
type faulty struct {
	next  http.Handler
	rate  float64
	mu    sync.Mutex
	rng   *rand.Rand
	fired atomic.Int64
	only  func(*http.Request) bool // restrict faults to these requests
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	roll, kind := f.rng.Float64(), f.rng.IntN(faultKinds)
	f.mu.Unlock()
	if roll >= f.rate || (f.only != nil && !f.only(r)) {
		f.next.ServeHTTP(w, r)
		return
	}
	f.fired.Add(1)
	inject(fault(kind), w, r)
}

// fault is one kind of failure a flaky registry or network shows.
type fault int

const (
	connReset  fault = iota // the connection drops before an answer
	status500               // Internal Server Error
	status503               // Service Unavailable
	status429               // Too Many Requests with Retry-After: 0
	stall                   // no answer until the client gives up
	faultKinds = 5
)

func (k fault) String() string {
	return [...]string{"connection reset", "500", "503", "429 Retry-After", "stall"}[k]
}

// inject fails r the way k says.
func inject(k fault, w http.ResponseWriter, r *http.Request) {
	switch k {
	case connReset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case status500:
		http.Error(w, "injected", http.StatusInternalServerError)
	case status503:
		http.Error(w, "injected", http.StatusServiceUnavailable)
	case status429:
		w.Header().Set("Retry-After", "0")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case stall: // until the client gives up
		// Read the body first: only then does the server notice the client
		// hanging up, and end the request rather than hold it for 5 s.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
}

func TestBeyondRetryBudgetFailsWithoutTag(t *testing.T) {
	store := registrytest.New()
	f := &faulty{next: store, rate: 1, rng: rand.New(rand.NewPCG(3, 4)),
		only: func(r *http.Request) bool {
			return r.Method == http.MethodPatch || r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/")
		}}
	proxy := httptest.NewServer(f)
	defer proxy.Close()
	direct := httptest.NewServer(store)
	defer direct.Close()
	img, digest := onDisk(t, 1)
	budget := regclient.Retry{Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 200 * time.Millisecond}
	_, err := push.Push(context.Background(), img, digest,
		[]push.Target{{Repository: repo(t, proxy, "down/app"), Tags: []string{"latest"}}}, push.Options{Retry: budget})
	if err == nil {
		t.Fatal("push succeeded although every blob upload failed")
	}
	if _, herr := remote.Head(repo(t, direct, "down/app").Tag("latest")); herr == nil {
		t.Fatal("the tag points at an image whose blobs failed to upload")
	}
	if _, herr := remote.Head(repo(t, direct, "down/app").Digest(digest.String())); herr == nil {
		t.Fatal("the manifest was put although its blobs failed to upload")
	}
}

func TestCorruptBlobIsNeverCommitted(t *testing.T) {
	srv := registrytest.Serve(t)
	img, digest := onDisk(t, 1)
	blob := img.BlobPath(img.Manifest().Layers[0].Digest)
	b, _ := os.ReadFile(blob)
	b[len(b)/2] ^= 0xff
	os.WriteFile(blob, b, 0o644)
	_, err := push.Push(context.Background(), img, digest,
		[]push.Target{{Repository: repo(t, srv, "c/app"), Tags: []string{"latest"}}},
		push.Options{Retry: regclient.Retry{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: time.Second}})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("want a corrupt-blob error, got %v", err)
	}
	if _, herr := remote.Head(repo(t, srv, "c/app").Tag("latest")); herr == nil {
		t.Fatal("tag moved to an image with a corrupt blob")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	client := &http.Client{Transport: regclient.NewTransport(nil, regclient.Retry{Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second, Timeout: 5 * time.Second})}
	start := time.Now()
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || calls.Load() != 2 {
		t.Fatalf("status %d after %d calls", resp.StatusCode, calls.Load())
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %s, before the server's Retry-After of 1s", waited)
	}
}

func TestProbe(t *testing.T) {
	srv := registrytest.Serve(t)
	img, digest := onDisk(t, 2)
	targets := []push.Target{{Repository: repo(t, srv, "p/app"), Tags: []string{"v1"}}}
	res, err := push.Probe(context.Background(), img, digest, targets, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Complete() || res[0].Manifest || len(res[0].MissingBlobs) != 3 || len(res[0].StaleTags) != 1 {
		t.Fatalf("before push: %+v", res[0])
	}
	if _, err := push.Push(context.Background(), img, digest, targets, push.Options{Retry: fastRetry}); err != nil {
		t.Fatal(err)
	}
	res, err = push.Probe(context.Background(), img, digest, targets, fastRetry)
	if err != nil || !res[0].Complete() {
		t.Fatalf("after push: %+v %v", res, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestProgress: while blobs upload, each tick of the progress clock prints
// bytes sent of the total and the rate over the clock's elapsed time. The
// test owns the ticker and the clock, and holds the last blob's upload open
// until the line is printed, so nothing depends on sleeping.
func TestProgress(t *testing.T) {
	tick := make(chan time.Time)
	t0 := time.Unix(1000, 0)
	var calls atomic.Int64
	push.SetProgressClock(t, tick, func() time.Time {
		if calls.Add(1) == 1 {
			return t0 // the start
		}
		return t0.Add(time.Microsecond)
	})
	store := registrytest.New()
	var puts atomic.Int64
	inUpload, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The 2nd blob upload to finish (config first, then the layer: Jobs 1)
		// waits until the test has seen the progress line.
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && puts.Add(1) == 2 {
			close(inUpload)
			<-release
		}
		store.ServeHTTP(w, r)
	}))
	defer srv.Close()
	img, digest := onDisk(t, 1)
	lines := make(chan string, 16)
	type result struct {
		res []push.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "slow/app")}},
			push.Options{Retry: fastRetry, Jobs: 1, Progress: writerFunc(func(p []byte) { lines <- string(p) })})
		done <- result{res, err}
	}()
	timeout := time.After(30 * time.Second)
	select {
	case <-inUpload:
	case r := <-done:
		t.Fatalf("push ended before its last blob upload was held: %v", r.err)
	case <-timeout:
		t.Fatal("the last blob upload never started")
	}
	select {
	case tick <- t0:
	case <-timeout:
		t.Fatal("no progress loop took the tick")
	}
	var line string
	select {
	case line = <-lines:
	case <-timeout:
		t.Fatal("a tick during an upload printed nothing")
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Every byte was read before the last upload was held: sent = Bytes.
	m := img.Manifest()
	total := m.Config.Size + m.Layers[0].Size
	sent := float64(r.res[0].Bytes)
	want := fmt.Sprintf("\r%s: %.1f MiB of up to %.1f MiB sent, %.1f MiB/s ", repo(t, srv, "slow/app"),
		sent/(1<<20), float64(total)/(1<<20), sent/1e-6/(1<<20))
	if line != want {
		t.Fatalf("progress line %q, want %q", line, want)
	}
	if len(lines) != 0 {
		t.Errorf("one tick printed more than one line: %q", <-lines)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(append([]byte(nil), p...)); return len(p), nil }

// TestCacheCredentialsNeverPrinted: a blob that is not on this machine is
// looked up in a remote cache whose URL carries credentials; the cache
// misses, and neither the log nor the error repeats the credentials.
func TestCacheCredentialsNeverPrinted(t *testing.T) {
	reg := registrytest.Serve(t)
	cache := httptest.NewServer(http.NotFoundHandler()) // a cache that has nothing
	defer cache.Close()
	img, digest := onDisk(t, 1)
	os.Remove(img.BlobPath(img.Manifest().Layers[0].Digest))
	url := strings.Replace(cache.URL, "http://", "http://ci:secret@", 1)
	c, err := casclient.New(casclient.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	_, err = push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, reg, "miss/app")}},
		push.Options{Retry: fastRetry, Log: &log, Fetchers: []push.Fetcher{push.CacheFetcher{Client: c, URL: url}}})
	if err == nil {
		t.Fatal("push succeeded without the blob")
	}
	if !strings.Contains(log.String()+err.Error(), registrytest.Host(cache)) {
		t.Errorf("the cache's address is not named at all: %q / %v", log.String(), err)
	}
	if strings.Contains(log.String(), "secret") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("the cache credentials were printed:\nlog: %s\nerror: %v", log.String(), err)
	}
}

// TestEnvCredentialsNeverReachTheBaseRegistry: credentials from
// STRATA_REGISTRY_USERNAME/PASSWORD (no STRATA_REGISTRY_HOST) are for the
// registry pushed to. A base layer streamed from another registry that asks
// for Basic auth must not get them.
func TestEnvCredentialsNeverReachTheBaseRegistry(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("STRATA_REGISTRY_HOST", "")
	store := registrytest.New()
	open := httptest.NewServer(store) // to seed the base layer
	defer open.Close()
	var mu sync.Mutex
	var stolen []string
	rogue := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			mu.Lock()
			stolen = append(stolen, r.Method+" "+r.URL.Path+": "+a)
			mu.Unlock()
			store.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="base"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer rogue.Close()
	target := registrytest.Serve(t)
	img, digest := onDiskFrom(t, 2, registrytest.Host(open)+"/base/os")
	// Make the image name the rogue door as the base's repository.
	img, digest = withSource(t, img, digest, registrytest.Host(rogue)+"/base/os")
	t.Setenv("STRATA_REGISTRY_USERNAME", "ci")
	t.Setenv("STRATA_REGISTRY_PASSWORD", "secret")
	push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, target, "app")}}, push.Options{Retry: fastRetry})
	mu.Lock()
	defer mu.Unlock()
	if len(stolen) != 0 {
		t.Fatalf("the base image's registry got the push credentials: %q", stolen)
	}
}

// withSource reloads img with every pulled layer's source set to base.
func withSource(t *testing.T, img *blobimage.Image, digest v1.Hash, base string) (*blobimage.Image, v1.Hash) {
	t.Helper()
	var layers []spec.PushLayer
	m := img.Manifest()
	cfg, _ := v1.ParseConfigFile(bytes.NewReader(img.RawConfig()))
	for i, l := range m.Layers {
		d := spec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, DiffID: cfg.RootFS.DiffIDs[i]}
		if img.Source(l.Digest) != "" {
			d.Source = base
		}
		layers = append(layers, spec.PushLayer{Descriptor: d, Blob: img.BlobPath(l.Digest)})
	}
	out, err := blobimage.New(img.RawManifest(), img.RawConfig(), layers)
	if err != nil {
		t.Fatal(err)
	}
	return out, digest
}

// TestNotARegistry: pushing to a web server that is not a registry (404 or
// an HTML page on /v2/) fails with an error that names the host, says it is
// not an OCI registry and what to check; nothing is written there.
func TestNotARegistry(t *testing.T) {
	for what, h := range map[string]http.HandlerFunc{
		"404": func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>Welcome to our website</body></html>")
		},
	} {
		var c counter
		srv := httptest.NewServer(c.wrap(h))
		img, digest := onDisk(t, 1)
		_, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "team/app"), Tags: []string{"v1"}}},
			push.Options{Retry: fastRetry})
		srv.Close()
		if err == nil {
			t.Errorf("%s: push to a web server succeeded", what)
			continue
		}
		for _, want := range []string{registrytest.Host(srv), "not an OCI registry", "fix:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error does not say %q: %v", what, want, err)
			}
		}
		if n := c.count("POST", "") + c.count("PUT", "") + c.count("PATCH", ""); n != 0 {
			t.Errorf("%s: %d writes to a server that is not a registry", what, n)
		}
	}
}

// TestCountsAreTrue: the config blob counts as an upload; a second
// repository on the same registry needs none (this in-process registry
// shares blobs across repositories, so they are present; e2e/push_test.sh
// sees real mounts); the log line says all three numbers.
func TestCountsAreTrue(t *testing.T) {
	srv := registrytest.Serve(t)
	img, digest := onDisk(t, 2)
	var log syncBuffer
	res, err := push.Push(context.Background(), img, digest,
		[]push.Target{{Repository: repo(t, srv, "a/app")}, {Repository: repo(t, srv, "b/app")}},
		push.Options{Retry: fastRetry, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Uploaded != 3 || r.Mounted != 0 || r.Present != 0 {
		t.Errorf("first repository: uploaded %d, mounted %d, present %d; want 3, 0, 0 (config + 2 layers)", r.Uploaded, r.Mounted, r.Present)
	}
	if r := res[1]; r.Uploaded != 0 || r.Mounted+r.Present != 3 {
		t.Errorf("second repository: uploaded %d, mounted %d, present %d; want 0 and 3 not uploaded", r.Uploaded, r.Mounted, r.Present)
	}
	if !strings.Contains(log.String(), "a/app: uploaded 3 blobs") || !strings.Contains(log.String(), "mounted 0, already present 0") {
		t.Errorf("log: %q", log.String())
	}
}

// TestDryRunReportsMounts: a dry run to two repositories of one registry
// plans uploads to the first and mounts from it into the second, as the
// real push would do.
func TestDryRunReportsMounts(t *testing.T) {
	var c counter
	srv := httptest.NewServer(c.wrap(registrytest.New()))
	defer srv.Close()
	img, digest := onDisk(t, 2)
	a, b := repo(t, srv, "a/app"), repo(t, srv, "b/app")
	res, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: a}, {Repository: b}},
		push.Options{Retry: fastRetry, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	count := func(r push.Result, action string) int {
		n := 0
		for _, p := range r.Plan {
			if p.Action == action {
				n++
			}
		}
		return n
	}
	if count(res[0], push.Upload) != 3 || count(res[1], push.Mount) != 3 || count(res[1], push.Upload) != 0 {
		t.Errorf("plans: %+v / %+v; want 3 uploads to a/app, 3 mounts into b/app", res[0].Plan, res[1].Plan)
	}
	for _, p := range res[1].Plan {
		if p.From != a.String() {
			t.Errorf("mount from %q, want %q", p.From, a)
		}
	}
	if n := c.count("POST", "") + c.count("PUT", "") + c.count("PATCH", ""); n != 0 {
		t.Errorf("dry run wrote %d times", n)
	}
}

// TestProbeOfAWebServerIsAnError: probe must not answer "missing" (exit 3,
// "go push") for a host that is not a registry.
func TestProbeOfAWebServerIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	img, digest := onDisk(t, 1)
	_, err := push.Probe(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "x/app")}}, fastRetry)
	if err == nil || !strings.Contains(err.Error(), "not an OCI registry") {
		t.Fatalf("probe of a web server: %v", err)
	}
}
