package push_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/faultregistry"
	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
	"github.com/strata-build/rules_strata/go/spec"
)

// bigImage writes an image of one incompressible layer of size bytes (seeded)
// and loads it; it returns the image, its digest and the blob's path.
func bigImage(t *testing.T, size int64, seed uint64) (*blobimage.Image, v1.Hash, string) {
	t.Helper()
	dir := t.TempDir()
	blob := filepath.Join(dir, "layer.blob")
	f, err := os.Create(blob)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
	cfg, _ := json.Marshal(v1.ConfigFile{Architecture: "amd64", OS: "linux", RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{d}}})
	cfgSum := sha256.Sum256(cfg)
	man, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfg)), Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", cfgSum)}},
		Layers: []v1.Descriptor{{MediaType: types.OCIUncompressedLayer, Size: size, Digest: d}}})
	img, err := blobimage.New(man, cfg, []spec.PushLayer{{Descriptor: spec.Descriptor{MediaType: types.OCIUncompressedLayer, Digest: d, Size: size, DiffID: d}, Blob: blob}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(man)
	return img, v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}, blob
}

// newResetProxy starts a faultregistry.ResetProxy in front of target that
// resets at the client-byte offsets at, closed at the end of the test.
func newResetProxy(t *testing.T, target string, at ...int64) *faultregistry.ResetProxy {
	p, err := faultregistry.NewResetProxy("127.0.0.1:0", target, nil, at...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// checkPushed: the tag points at the manifest and the registry serves every
// layer blob with the bytes of its digest. (The layers are raw bytes, not
// gzip or tar, so validate.Image does not apply.)
func checkPushed(t *testing.T, ref name.Tag, img *blobimage.Image, digest v1.Hash) {
	t.Helper()
	d, err := remote.Head(ref)
	if err != nil || d.Digest != digest {
		t.Fatalf("%s: %v %v, want manifest %s", ref, d, err, digest)
	}
	for _, l := range img.Manifest().Layers {
		if got := blobDigest(t, ref.Context(), l.Digest); got != l.Digest {
			t.Fatalf("the registry serves %s for blob %s", got, l.Digest)
		}
	}
}

// closing closes srv without waiting for connections a proxy still holds.
func closing(srv *httptest.Server) func() {
	return func() { srv.CloseClientConnections(); srv.Close() }
}

// blobDigest fetches the blob from a registry and hashes what it serves.
func blobDigest(t *testing.T, repo name.Repository, d v1.Hash) v1.Hash {
	t.Helper()
	l, err := remote.Layer(repo.Digest(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("reading %s back: %v", d, err)
	}
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
}

var resumeRetry = regclient.Retry{Attempts: 8, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, Timeout: 5 * time.Second}

// TestResumeAfterResets: a 48 MiB layer in 2 MiB chunks through a proxy that
// resets the connection at three offsets (mid-chunk each time). The client
// asks where the upload stands and goes on from there: the blob arrives
// intact and the bytes sent stay under 1.1x the blob (what is lost per
// reset is what was in flight in socket buffers). With chunking off
// (chunk=-1: one streamed PATCH, restarted from the first byte, as
// go-containerregistry does) it is about 2x.
func TestResumeAfterResets(t *testing.T) {
	const size = 48 << 20
	for _, chunk := range []int64{2 << 20, -1} {
		t.Run(fmt.Sprintf("chunk=%d", chunk), func(t *testing.T) {
			store := &faultregistry.UploadStatus{Next: registrytest.New()}
			srv := httptest.NewServer(store)
			defer closing(srv)()
			proxy := newResetProxy(t, registrytest.Host(srv), 11<<20+12345, 25<<20+777, 39<<20+4321)
			img, digest, _ := bigImage(t, size, 7)
			repo := mustRepo(t, proxy.Addr()+"/resume/app")
			res, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo, Tags: []string{"v1"}}},
				push.Options{Retry: resumeRetry, ChunkSize: chunk})
			if err != nil {
				t.Fatal(err)
			}
			direct := mustRepo(t, registrytest.Host(srv)+"/resume/app")
			checkPushed(t, direct.Tag("v1"), img, digest)
			ratio := float64(proxy.Sent()) / size
			t.Logf("chunk %d: %d bytes through the proxy (%.3fx the blob), %d counted by push, %d resets", chunk, proxy.Sent(), ratio, res[0].Bytes, proxy.Resets())
			if proxy.Resets() != 3 {
				t.Fatalf("%d resets fired, want 3", proxy.Resets())
			}
			// A reset loses at most the chunk in flight (the registry keeps
			// only whole PATCHes); how much of it got through first depends
			// on scheduling, so the bound is one chunk per reset, plus 64 KiB
			// for requests and the config blob. A restart from the first byte
			// would send 11+25+39 MiB more (2.6x).
			if limit := size + int64(proxy.Resets())*chunk + 64<<10; chunk > 0 && proxy.Sent() > limit {
				t.Errorf("sent %.3fx the blob; want <= %.3fx (resume, not restart: at most one chunk lost per reset)", ratio, float64(limit)/size)
			}
		})
	}
}

// stallSecondChunk reads 256 KiB of the second PATCH body longer than
// 512 KiB, then reads nothing more and never answers, until release is
// closed: a registry (or a link) that stops taking a chunk midway. The
// stalled request never reaches next, so the registry holds only the
// chunks before it. (The server notices a closed connection only once the
// body has been read, so the handler cannot wait for the client to go.)
type stallSecondChunk struct {
	next    http.Handler
	chunks  atomic.Int32
	release chan struct{}
}

func (s *stallSecondChunk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch && r.ContentLength > 512<<10 && s.chunks.Add(1) == 2 {
		io.CopyN(io.Discard, r.Body, 256<<10)
		<-s.release
		return
	}
	s.next.ServeHTTP(w, r)
}

// TestStalledChunkIsResumed: a file chunk whose PATCH stops moving midway
// is abandoned after the stall timeout (neither the body nor an answer
// moves) and the upload goes on from where the registry stands: the
// stalled chunk is sent again once, and no other. The healthy requests are
// far shorter than the 1 s timeout even under go test -race on a busy
// machine, so none is taken for a stall.
func TestStalledChunkIsResumed(t *testing.T) {
	const size, chunk = 4 << 20, 1 << 20
	store := &faultregistry.UploadStatus{Next: registrytest.New()}
	stall := &stallSecondChunk{next: store, release: make(chan struct{})}
	srv := httptest.NewServer(stall)
	defer closing(srv)()
	defer close(stall.release)
	img, digest, _ := bigImage(t, size, 9)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	retry := resumeRetry
	retry.Timeout = time.Second
	r := repo(t, srv, "stall/app")
	if _, err := push.Push(ctx, img, digest, []push.Target{{Repository: r, Tags: []string{"v1"}}},
		push.Options{Retry: retry, ChunkSize: chunk}); err != nil {
		t.Fatalf("push with a stalled chunk: %v", err)
	}
	if n := stall.chunks.Load(); n < 2 {
		t.Fatalf("%d chunks reached the registry; the second was to stall", n)
	}
	checkPushed(t, r.Tag("v1"), img, digest)
	var starts []int64 // the layer's PATCHes the registry took (the config's is small)
	for _, p := range store.Patches() {
		if p.Length > 1024 {
			starts = append(starts, p.Start)
		}
	}
	if want := []int64{0, chunk, 2 * chunk, 3 * chunk}; fmt.Sprint(starts) != fmt.Sprint(want) {
		t.Fatalf("the registry took the layer's PATCHes at offsets %v; want %v (the stalled chunk once more, nothing else again)", starts, want)
	}
}

// shrinkDuringPush truncates the blob file to half its size when the
// second PATCH of more than 1 KiB arrives (the config's PATCH is smaller).
type shrinkDuringPush struct {
	next    http.Handler
	path    string
	patches atomic.Int32
}

func (s *shrinkDuringPush) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch && r.ContentLength > 1024 && s.patches.Add(1) == 2 {
		fi, err := os.Stat(s.path)
		if err == nil {
			os.Truncate(s.path, fi.Size()/2)
		}
	}
	s.next.ServeHTTP(w, r)
}

// TestBlobShrinkingDuringPushIsNamed: a blob file cut short while its
// chunks go up fails the push with the file's name and sizes, not
// net/http's "ContentLength=N with Body length M" after every retry.
func TestBlobShrinkingDuringPushIsNamed(t *testing.T) {
	const size = 16 << 20
	img, digest, blob := bigImage(t, size, 10)
	srv := httptest.NewServer(&shrinkDuringPush{next: &faultregistry.UploadStatus{Next: registrytest.New()}, path: blob})
	defer closing(srv)()
	_, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "shrink/app")}},
		push.Options{Retry: resumeRetry, ChunkSize: 4 << 20})
	if err == nil || !strings.Contains(err.Error(), "is corrupt: "+blob+" has 8388608 bytes, want 16777216") {
		t.Fatalf("got %v, want the blob named as corrupt with its sizes", err)
	}
}

// TestChunkMinLengthHonoured: the registry's OCI-Chunk-Min-Length (3 MiB)
// overrides a smaller configured chunk (1 MiB): every PATCH is at least that
// long, except one that ends the blob. (Not "exactly 4 PATCHes": a registry
// slower to answer than the client's timeout, as under go test -race, makes
// the client ask where the upload stands and go on from there, which is
// legitimate and changes the count; a chunk below the minimum in the middle
// of the blob is never legitimate.)
func TestChunkMinLengthHonoured(t *testing.T) {
	const size = 10 << 20
	store := &faultregistry.UploadStatus{Next: registrytest.New(), MinChunk: 3 << 20}
	srv := httptest.NewServer(store)
	defer closing(srv)()
	img, digest, _ := bigImage(t, size, 8)
	if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "min/app")}},
		push.Options{Retry: resumeRetry, ChunkSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	patches := store.Patches()
	var layer []faultregistry.Patch // (the config blob goes up in one small PATCH)
	for _, p := range patches {
		if p.Length > 1024 {
			layer = append(layer, p)
		}
	}
	if len(layer) < 4 {
		t.Fatalf("PATCHes %v; want at least 4 for the layer (3+3+3+1 MiB)", patches)
	}
	for _, p := range layer {
		if p.Length < 3<<20 && p.Start+p.Length != size {
			t.Fatalf("PATCHes %v: bytes %d-%d are below the registry's minimum of 3 MiB and do not end the blob", patches, p.Start, p.Start+p.Length-1)
		}
	}
}

// TestLostCommitAnswer: the registry commits each blob (the PUT that ends
// its upload) but the answer never reaches the client (the connection drops
// after the work is done, or the answer comes after the client's timeout:
// what a slow registry under load, or go test -race, shows). The commit is
// not idempotent: sent again, it finds the session gone and the registry
// refuses it (DIGEST_INVALID from go-containerregistry's registry, 404
// BLOB_UPLOAD_UNKNOWN from docker-registry), although the blob is there.
// So the client asks first whether the blob landed, and does not send the
// commit again: one commit PUT per blob, on the chunked path and on
// go-containerregistry's (chunk=-1, the path of the config blob and of
// every layer up to one chunk), and the push succeeds.
func TestLostCommitAnswer(t *testing.T) {
	type registry struct {
		name string
		next http.Handler
	}
	registries := []registry{{"ggcr", registrytest.New()}}
	if addr := dockerRegistry(t); addr != "" {
		registries = append(registries, registry{"docker-registry", httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})})
	}
	for i, reg := range registries {
		for j, chunk := range []int64{1 << 20, -1} {
			t.Run(fmt.Sprintf("%s/chunk=%d", reg.name, chunk), func(t *testing.T) {
				lost := &faultregistry.LostAnswer{Next: reg.next, Match: func(r *http.Request) bool {
					return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/")
				}}
				srv := httptest.NewServer(lost)
				defer closing(srv)()
				img, digest, _ := bigImage(t, 4<<20, uint64(13+2*i+j))
				r := repo(t, srv, fmt.Sprintf("lost/commit%d", j))
				if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: r, Tags: []string{"v1"}}},
					push.Options{Retry: resumeRetry, ChunkSize: chunk}); err != nil {
					t.Fatal(err)
				}
				checkPushed(t, r.Tag("v1"), img, digest)
				if n := lost.Seen(); n != 2 {
					t.Errorf("%d commit PUTs for 2 blobs (config, layer): a commit the registry applied was sent again", n)
				}
			})
		}
	}
}

// TestSessionLostFallsBackToFreshUpload: go-containerregistry's registry as
// it is has no GET on uploads, so after a reset the client cannot learn
// where the upload stands: it starts a fresh one, and the blob still arrives
// intact (the registry checks the digest of what it was sent).
func TestSessionLostFallsBackToFreshUpload(t *testing.T) {
	srv := httptest.NewServer(registrytest.New())
	defer closing(srv)()
	proxy := newResetProxy(t, registrytest.Host(srv), 3<<20+999)
	img, digest, _ := bigImage(t, 8<<20, 9)
	repo := mustRepo(t, proxy.Addr()+"/lost/app")
	if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo, Tags: []string{"v1"}}},
		push.Options{Retry: resumeRetry, ChunkSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	direct := mustRepo(t, registrytest.Host(srv)+"/lost/app")
	checkPushed(t, direct.Tag("v1"), img, digest)
	if proxy.Resets() != 1 || proxy.Sent() < 8<<20+3<<20 {
		t.Fatalf("%d resets, %d bytes: the fault did not force a fresh upload", proxy.Resets(), proxy.Sent())
	}
}

// TestCorruptBigBlobIsNeverCommitted: the chunked path does not hash bytes
// as they go out; the registry rejects the digest at the final PUT, and the
// client then names the corrupt local blob instead of retrying.
func TestCorruptBigBlobIsNeverCommitted(t *testing.T) {
	srv := httptest.NewServer(registrytest.New())
	defer closing(srv)()
	img, digest, blob := bigImage(t, 4<<20, 10)
	b, _ := os.ReadFile(blob)
	b[len(b)/2] ^= 0xff
	os.WriteFile(blob, b, 0o644)
	_, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "c/big"), Tags: []string{"latest"}}},
		push.Options{Retry: fastRetry, ChunkSize: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("want a corrupt-blob error, got %v", err)
	}
	if _, herr := remote.Head(repo(t, srv, "c/big").Tag("latest")); herr == nil {
		t.Fatal("tag moved to an image with a corrupt blob")
	}
}

// TestChunkedPushesThroughFaults: the fault mix of TestFiftyPushesThroughFaults
// (resets, 500/503, 429, stalls) on the chunked path, with tiny chunks so
// every blob takes several PATCHes.
func TestChunkedPushesThroughFaults(t *testing.T) {
	store := &faultregistry.UploadStatus{Next: registrytest.New()}
	f := &faulty{next: store, rate: 0.15, rng: rand.New(rand.NewPCG(5, 6))}
	proxy := httptest.NewServer(f)
	defer closing(proxy)()
	direct := httptest.NewServer(store)
	defer closing(direct)()
	for i := 0; i < 20; i++ {
		img, digest := onDisk(t, 2)
		tag := fmt.Sprintf("build-%d", i)
		if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, proxy, "flaky/chunked"), Tags: []string{tag}}},
			push.Options{Retry: fastRetry, Jobs: 3, ChunkSize: 700}); err != nil {
			t.Fatalf("push %d failed despite retries: %v", i, err)
		}
		verify(t, repo(t, direct, "flaky/chunked").Tag(tag), digest)
	}
	if f.fired.Load() < 20 {
		t.Errorf("only %d faults were injected", f.fired.Load())
	}
}

// TestResumeAgainstDockerRegistry runs the reset scenario against Debian's
// docker-registry (the CNCF distribution registry) when it is installed.
// Its chunked uploads and status GETs work, but it cancels a session whose
// signed state no longer matches the bytes it holds, which is the case
// after a reset mid-chunk: the client then falls back to a fresh upload. The
// blob must arrive intact either way.
func TestResumeAgainstDockerRegistry(t *testing.T) {
	addr := dockerRegistry(t)
	if addr == "" {
		t.Skip("docker-registry is not installed")
	}
	const size = 16 << 20
	for _, tc := range []struct {
		name string
		at   []int64
	}{{"no faults", nil}, {"resets mid-chunk", []int64{3<<20 + 1, 9<<20 + 77}}} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := newResetProxy(t, addr, tc.at...)
			img, digest, _ := bigImage(t, size, 11+uint64(len(tc.at)))
			repo := mustRepo(t, proxy.Addr()+"/dr/"+strings.ReplaceAll(tc.name, " ", "-"))
			if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: repo, Tags: []string{"v1"}}},
				push.Options{Retry: resumeRetry, ChunkSize: 2 << 20}); err != nil {
				t.Fatal(err)
			}
			direct := mustRepo(t, addr+"/"+repo.RepositoryStr())
			checkPushed(t, direct.Tag("v1"), img, digest)
			t.Logf("%s: %d bytes through the proxy (%.3fx the blob), %d resets", tc.name, proxy.Sent(), float64(proxy.Sent())/size, proxy.Resets())
			if proxy.Resets() != len(tc.at) {
				t.Fatalf("%d resets fired, want %d", proxy.Resets(), len(tc.at))
			}
			if len(tc.at) == 0 && float64(proxy.Sent())/size > 1.01 {
				t.Errorf("a clean chunked upload sent %.3fx the blob", float64(proxy.Sent())/size)
			}
		})
	}
}

// dockerRegistry starts Debian's docker-registry (the CNCF distribution
// registry) on a free port for the rest of the test and returns its
// address, or "" when it is not installed.
func dockerRegistry(t *testing.T) string {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return ""
	}
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: %s\n", dir, addr)
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		if i > 100 {
			t.Fatal("docker-registry did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blobGets counts the blob downloads (GET .../blobs/sha256:...) a registry serves.
type blobGets struct {
	next http.Handler
	n    atomic.Int64
}

func (c *blobGets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
		c.n.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// TestStreamedBlobIsReadOnce: a big layer that is not on this machine (a
// base layer streamed from another registry, as a remote-cache blob is) goes
// up in chunks read on from one stream: the source serves the blob once
// plus once per failed try, not once per chunk, and after a reset the
// upload still resumes.
func TestStreamedBlobIsReadOnce(t *testing.T) {
	const size = 16 << 20
	origin := &blobGets{next: registrytest.New()}
	base := httptest.NewServer(origin)
	defer closing(base)()
	img, digest, blob := bigImage(t, size, 12)
	l := img.Manifest().Layers[0]
	b, _ := os.ReadFile(blob)
	baseRepo := repo(t, base, "base/os")
	if err := remote.WriteLayer(baseRepo, staticLayer{b, l}); err != nil {
		t.Fatal(err)
	}
	origin.n.Store(0)
	cfg, _ := v1.ParseConfigFile(strings.NewReader(string(img.RawConfig())))
	img, err := blobimage.New(img.RawManifest(), img.RawConfig(),
		[]spec.PushLayer{{Descriptor: spec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, DiffID: cfg.RootFS.DiffIDs[0], Source: baseRepo.String()}}})
	if err != nil {
		t.Fatal(err)
	}
	store := &faultregistry.UploadStatus{Next: registrytest.New()}
	srv := httptest.NewServer(store)
	defer closing(srv)()
	proxy := newResetProxy(t, registrytest.Host(srv), 9<<20+5)
	if _, err := push.Push(context.Background(), img, digest, []push.Target{{Repository: mustRepo(t, proxy.Addr()+"/app"), Tags: []string{"v1"}}},
		push.Options{Retry: resumeRetry, ChunkSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	checkPushed(t, mustRepo(t, registrytest.Host(srv)+"/app").Tag("v1"), img, digest)
	gets := origin.n.Load()
	t.Logf("the base registry served the blob %d times for 16 chunks; %.3fx went to the target, %d reset", gets, float64(proxy.Sent())/size, proxy.Resets())
	// Once, plus a re-open after each failed try (the reset, and at
	// most one more if the registry disagreed on the offset).
	if gets > 3 {
		t.Errorf("the base registry served the blob %d times: the stream is re-opened per chunk", gets)
	}
	if float64(proxy.Sent())/size > 1.1 {
		t.Errorf("sent %.3fx the blob to the target", float64(proxy.Sent())/size)
	}
}

// TestCorruptStreamedBlobIsNamed: a layer streamed from a base registry that
// serves corrupt bytes and then holds the stream open a moment before its
// end. The push's PATCH has sent every byte when the verifying reader sees
// the end (and the bad digest), and the target registry has already
// answered 202: net/http returns that answer, the reader's error is lost,
// and the commit gets DIGEST_INVALID. (The same happens by chance with a
// local file under load: TestCorruptBlobIsNeverCommitted failed so under
// go test -race.) The push must still say that the source's bytes do not
// match the digest, and commit nothing.
func TestCorruptStreamedBlobIsNamed(t *testing.T) {
	img, digest, blob := bigImage(t, 1<<20, 14)
	l := img.Manifest().Layers[0]
	b, _ := os.ReadFile(blob)
	b[len(b)/2] ^= 0xff
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/blobs/"+l.Digest.String()) {
			return // 200 to the /v2/ ping
		}
		w.Write(b)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // the end of the stream comes later
	}))
	defer closing(base)()
	cfg, _ := v1.ParseConfigFile(strings.NewReader(string(img.RawConfig())))
	img, err := blobimage.New(img.RawManifest(), img.RawConfig(),
		[]spec.PushLayer{{Descriptor: spec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, DiffID: cfg.RootFS.DiffIDs[0], Source: repo(t, base, "base/os").String()}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registrytest.New())
	defer closing(srv)()
	_, err = push.Push(context.Background(), img, digest, []push.Target{{Repository: repo(t, srv, "c/streamed"), Tags: []string{"v1"}}},
		push.Options{Retry: resumeRetry})
	// What the source really holds is named (our check says "read N bytes
	// with sha256:X", go-containerregistry's stream check "got sha256:X"),
	// not the registry's bare DIGEST_INVALID.
	if bad := fmt.Sprintf("%x", sha256.Sum256(b)); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("want an error naming the corrupt bytes' digest sha256:%s, got %v", bad, err)
	}
	if _, herr := remote.Head(repo(t, srv, "c/streamed").Tag("v1")); herr == nil {
		t.Fatal("tag moved to an image with a corrupt blob")
	}
}

// staticLayer is a blob in memory, to seed a registry.
type staticLayer struct {
	b []byte
	d v1.Descriptor
}

func (s staticLayer) Digest() (v1.Hash, error)            { return s.d.Digest, nil }
func (s staticLayer) DiffID() (v1.Hash, error)            { return s.d.Digest, nil }
func (s staticLayer) Size() (int64, error)                { return s.d.Size, nil }
func (s staticLayer) MediaType() (types.MediaType, error) { return s.d.MediaType, nil }
func (s staticLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(string(s.b))), nil
}
func (s staticLayer) Uncompressed() (io.ReadCloser, error) { return s.Compressed() }
