// Package push uploads a built image to one or more repositories and tags.
//
// Per repository: one HEAD of the manifest by digest. If the registry has it,
// nothing is uploaded (only tags that point elsewhere are moved). Otherwise
// every blob the registry lacks is uploaded in parallel (HEAD first; mounted
// from an earlier repository on the same registry, or from the base image's
// own repository; streamed from the base's registry otherwise), each upload
// verified against its digest and retried whole on failure; then the manifest
// is put by digest and only then are tags moved. A push that fails leaves no
// tag pointing at an image with missing blobs.
package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/redact"
	"github.com/strata-build/rules_strata/go/regclient"
	"golang.org/x/sync/errgroup"
)

// Target is one repository and the tags to point at the image in it.
type Target struct {
	Repository name.Repository
	Tags       []string
}

// Options tune a push.
type Options struct {
	Retry  regclient.Retry
	Jobs   int       // parallel blob uploads per repository
	DryRun bool      // report what would be uploaded; change nothing
	Log    io.Writer // one line per repository; nil discards
	// Fetchers supply a layer blob that is not on this machine (a
	// --remote_download_minimal build), tried in order: e.g. the remote
	// cache, then rebuilding the layer with Bazel.
	Fetchers []Fetcher
	// Progress, if set, gets a "bytes sent, rate" line every second while
	// blobs upload (the CLI sets it when stderr is a terminal).
	Progress io.Writer
	// ChunkSize: layers bigger than this go up in PATCHes of this size and
	// resume where the registry stands after a failure (upload.go). 0 means
	// DefaultChunkSize; negative, one streamed upload retried whole.
	ChunkSize int64
}

// Result is what happened in one repository.
type Result struct {
	Reference name.Digest // repo@sha256:...
	UpToDate  bool        // the manifest was already there: nothing uploaded
	// Every blob (the config and each layer) is counted once, in one of:
	Uploaded  int   // its bytes were sent
	Mounted   int   // mounted from another repository of the registry
	Present   int   // the repository already had it
	Bytes     int64 // bytes sent, retries included
	TagsMoved []string
	Plan      []Planned // dry run: what each blob the repository lacks would need
}

// What a dry run plans for a blob.
const (
	Upload = "upload"
	Mount  = "mount"
)

// Planned is one blob a dry run found missing, and how the push would get
// it there: uploaded, or mounted From another repository of the registry.
type Planned struct {
	Descriptor v1.Descriptor
	Action     string // Upload or Mount
	From       string // repository mounted from
}

// checkedAccess returns the access of a push to targets: credentials from
// the environment go to their registries only, and each registry is checked
// once, so a web server in place of a registry gets nothing, and a clear
// error.
func checkedAccess(ctx context.Context, targets []Target, r regclient.Retry) (*regclient.Access, error) {
	access := regclient.NewAccess(hosts(targets)...)
	checked := map[string]bool{}
	for _, t := range targets {
		if !checked[t.Repository.RegistryStr()] {
			checked[t.Repository.RegistryStr()] = true
			if err := access.CheckRegistry(ctx, t.Repository.Registry, r); err != nil {
				return nil, fmt.Errorf("%s: %w", t.Repository, err)
			}
		}
	}
	return access, nil
}

// Push uploads img (whose manifest digest is digest) to every target.
func Push(ctx context.Context, img *blobimage.Image, digest v1.Hash, targets []Target, o Options) ([]Result, error) {
	if err := o.Retry.Validate(); err != nil {
		return nil, err
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	access, err := checkedAccess(ctx, targets, o.Retry)
	if err != nil {
		return nil, err
	}
	mounts := &mountLog{seen: map[string]bool{}}
	opts, err := reusing(access.RemoteOptions(ctx, o.Retry, o.Jobs, mounts.wrap))
	if err != nil {
		return nil, err
	}
	var results []Result
	pushed := map[string]name.Repository{} // registry -> first repository written there
	for _, t := range targets {
		r, err := pushOne(ctx, access, img, digest, t, pushed, o, opts, mounts, logw)
		if err != nil {
			return results, redact.Error(fmt.Errorf("%s: %w", t.Repository, err))
		}
		results = append(results, r)
		if _, ok := pushed[t.Repository.RegistryStr()]; !ok {
			pushed[t.Repository.RegistryStr()] = t.Repository
		}
	}
	return results, nil
}

func pushOne(ctx context.Context, access *regclient.Access, img *blobimage.Image, digest v1.Hash, t Target, pushed map[string]name.Repository,
	o Options, opts []remote.Option, mounts *mountLog, logw io.Writer) (Result, error) {
	ref := t.Repository.Digest(digest.String())
	res := Result{Reference: ref}
	if d, err := remote.Head(ref, opts...); err == nil && d.Digest == digest {
		res.UpToDate = true
		fmt.Fprintf(logw, "%s: manifest already present\n", t.Repository)
	} else if o.DryRun {
		missing, err := missingBlobs(img, t.Repository, opts)
		if err != nil {
			return res, err
		}
		res.Plan = plan(img, missing, t.Repository, pushed)
		return res, nil
	} else {
		if err := uploadBlobs(ctx, access, img, t.Repository, pushed, o, opts, mounts, &res, logw); err != nil {
			return res, err
		}
		if err := remote.Put(ref, manifest{img}, opts...); err != nil {
			return res, fmt.Errorf("putting manifest: %w", err)
		}
		d, err := remote.Head(ref, opts...)
		if err != nil || d.Digest != digest {
			return res, fmt.Errorf("registry does not serve the manifest it accepted as %s (%v)", digest, err)
		}
	}
	for _, tag := range t.Tags {
		tr := t.Repository.Tag(tag)
		if d, err := remote.Head(tr, opts...); err == nil && d.Digest == digest {
			continue
		}
		if o.DryRun {
			res.TagsMoved = append(res.TagsMoved, tag)
			continue
		}
		if err := remote.Put(tr, manifest{img}, opts...); err != nil {
			return res, fmt.Errorf("tagging %s: %w", tag, err)
		}
		res.TagsMoved = append(res.TagsMoved, tag)
	}
	return res, nil
}

// hosts are the registries of targets.
func hosts(targets []Target) []string {
	var out []string
	for _, t := range targets {
		out = append(out, t.Repository.RegistryStr())
	}
	return out
}

// manifest is the image's manifest as remote.Put wants it.
type manifest struct{ img *blobimage.Image }

func (m manifest) RawManifest() ([]byte, error)        { return m.img.RawManifest(), nil }
func (m manifest) MediaType() (types.MediaType, error) { return m.img.MediaType(), nil }

func uploadBlobs(ctx context.Context, access *regclient.Access, img *blobimage.Image, repo name.Repository, pushed map[string]name.Repository,
	o Options, opts []remote.Option, mounts *mountLog, res *Result, logw io.Writer) error {
	m := img.Manifest()
	up := newUploader(ctx, access, repo, o, mounts) // big layers: chunked, resumable (upload.go)
	defer up.close()
	var sent atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Jobs, 1))
	layerOpts := append(append([]remote.Option(nil), opts...), remote.WithContext(gctx))
	cfg := &blobLayer{desc: m.Config, config: img.RawConfig(), sent: &sent, log: logw}
	blobs := []*blobLayer{cfg}
	g.Go(func() error { return remote.WriteLayer(repo, mountable(cfg, repo, pushed, ""), layerOpts...) })
	for _, desc := range m.Layers {
		l := &blobLayer{desc: desc, path: img.BlobPath(desc.Digest), source: img.Source(desc.Digest),
			opts: opts, sent: &sent, fetchers: o.Fetchers, log: logw}
		blobs = append(blobs, l)
		g.Go(func() error {
			if err := up.writeLayer(gctx, l, pushed, layerOpts); err != nil {
				return fmt.Errorf("blob %s: %w", desc.Digest, err)
			}
			return nil
		})
	}
	stop := showProgress(o.Progress, repo.String(), &sent, totalSize(m))
	err := g.Wait()
	stop()
	for _, b := range blobs {
		switch {
		case b.opened.Load():
			res.Uploaded++
		case mounts.mounted(repo, b.desc.Digest):
			res.Mounted++
		default:
			res.Present++
		}
	}
	res.Bytes = sent.Load()
	if err == nil {
		fmt.Fprintf(logw, "%s: uploaded %d blobs (%d bytes), mounted %d, already present %d\n", repo, res.Uploaded, res.Bytes, res.Mounted, res.Present)
	}
	return err
}

// mountable wraps l so that the registry may mount it instead of receiving
// its bytes: from a repository of the same registry pushed earlier in this
// run, or else from the base image's own repository (source).
func mountable(l v1.Layer, repo name.Repository, pushed map[string]name.Repository, source string) v1.Layer {
	d, _ := l.Digest()
	if from := mountFrom(repo, pushed, source); from != "" {
		if r, err := name.NewRepository(from); err == nil {
			return &remote.MountableLayer{Layer: l, Reference: r.Digest(d.String())}
		}
	}
	return l
}

// mountFrom is the repository a blob would be mounted from, or "". (A
// source on another registry is no use: go-containerregistry only mounts
// within one registry, and streams the blob otherwise.)
func mountFrom(repo name.Repository, pushed map[string]name.Repository, source string) string {
	if prev, ok := pushed[repo.RegistryStr()]; ok {
		return prev.String()
	}
	if source != "" {
		if r, err := name.NewRepository(source); err == nil && r.RegistryStr() == repo.RegistryStr() {
			return r.String()
		}
	}
	return ""
}

// plan says how each missing blob would reach repo.
func plan(img *blobimage.Image, missing []v1.Descriptor, repo name.Repository, pushed map[string]name.Repository) []Planned {
	var out []Planned
	for _, d := range missing {
		p := Planned{Descriptor: d, Action: Upload}
		if from := mountFrom(repo, pushed, img.Source(d.Digest)); from != "" {
			p.Action, p.From = Mount, from
		}
		out = append(out, p)
	}
	return out
}

// mountLog records the blobs the registry reports mounted (201 Created on
// POST .../blobs/uploads/?mount=DIGEST&from=REPO), so the result can tell a
// mount from a blob the repository already had.
type mountLog struct {
	mu   sync.Mutex
	seen map[string]bool // "registry/repo@digest"
}

func (m *mountLog) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err == nil && req.Method == http.MethodPost && resp.StatusCode == http.StatusCreated {
			if d := req.URL.Query().Get("mount"); d != "" {
				repo := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/blobs/uploads/")
				m.mu.Lock()
				m.seen[req.URL.Host+"/"+repo+"@"+d] = true
				m.mu.Unlock()
			}
		}
		return resp, err
	})
}

func (m *mountLog) mounted(repo name.Repository, d v1.Hash) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[repo.RegistryStr()+"/"+repo.RepositoryStr()+"@"+d.String()]
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// blobLayer is one blob, opened only when the destination lacks it: the
// config from memory; a layer from disk, from its base image's registry, or
// from a Fetcher.
type blobLayer struct {
	desc     v1.Descriptor
	config   []byte // the config blob's bytes; nil for a layer
	path     string // local blob (may be absent after a --remote_download_minimal build), or ""
	source   string // repository holding a pulled base layer, or ""
	opts     []remote.Option
	opened   atomic.Bool // its bytes were sent (at least one try)
	sent     *atomic.Int64
	fetchers []Fetcher
	log      io.Writer
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *blobLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *blobLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{}, fmt.Errorf("push: diffID of %s is not needed to upload it", l.desc.Digest)
}
func (l *blobLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, fmt.Errorf("push: %s is uploaded compressed", l.desc.Digest)
}

// Compressed is called once per upload attempt; each attempt re-opens the
// source and verifies size and digest as the bytes go out.
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.open()
	if err != nil {
		return nil, err
	}
	l.opened.Store(true)
	return &verifyingReader{rc: rc, want: l.desc, h: sha256.New(), sent: l.sent}, nil
}

func (l *blobLayer) open() (io.ReadCloser, error) {
	if l.config != nil {
		return io.NopCloser(bytes.NewReader(l.config)), nil
	}
	if l.path != "" {
		f, err := os.Open(l.path)
		if err == nil {
			return f, nil
		}
		if !os.IsNotExist(err) {
			return nil, err
		}
	}
	if l.source != "" {
		src, err := name.NewRepository(l.source)
		if err != nil {
			return nil, err
		}
		rl, err := remote.Layer(src.Digest(l.desc.Digest.String()), l.opts...)
		if err != nil {
			return nil, fmt.Errorf("fetching base layer from %s: %w", l.source, err)
		}
		rc, err := rl.Compressed()
		if err != nil {
			return nil, fmt.Errorf("fetching base layer from %s: %w", l.source, err)
		}
		return rc, nil
	}
	var tried []string
	for _, f := range l.fetchers {
		rc, err := f.Fetch(context.Background(), l.desc)
		if err == nil {
			return rc, nil
		}
		msg := redact.String(f.Name() + ": " + err.Error())
		fmt.Fprintf(l.log, "blob %s: %s\n", l.desc.Digest, msg)
		tried = append(tried, msg)
	}
	return nil, fmt.Errorf("blob %s is not on this machine (%s) and no other source has it (%s): build without --remote_download_minimal, or set STRATA_REMOTE_CACHE to the remote cache",
		l.desc.Digest, l.path, strings.Join(tried, "; "))
}

// verifyingReader fails the upload at EOF if the bytes do not match the
// descriptor, so a corrupt local blob is never committed.
type verifyingReader struct {
	rc   io.ReadCloser
	want v1.Descriptor
	h    hash.Hash
	n    int64
	sent *atomic.Int64
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	v.sent.Add(int64(n))
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); v.n != v.want.Size || got != v.want.Digest.Hex {
			return n, fmt.Errorf("blob %s is corrupt: read %d bytes with sha256:%s, want %d bytes", v.want.Digest, v.n, got, v.want.Size)
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

func totalSize(m *v1.Manifest) int64 {
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// The progress clock; tests replace both to tick without sleeping.
var (
	progressTicker = func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}
	progressNow = time.Now
)

// showProgress prints sent/total and the rate every second until stop.
func showProgress(w io.Writer, what string, sent *atomic.Int64, total int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	start := progressNow()
	tick, stopTick := progressTicker(time.Second)
	go func() {
		defer stopTick()
		for {
			select {
			case <-done:
				return
			case <-tick:
				n := sent.Load()
				rate := float64(n) / progressNow().Sub(start).Seconds() / (1 << 20)
				fmt.Fprintf(w, "\r%s: %.1f MiB of up to %.1f MiB sent, %.1f MiB/s ", what, float64(n)/(1<<20), float64(total)/(1<<20), rate)
			}
		}
	}()
	return func() { close(done) }
}

// reusing adds one shared Pusher and Puller to opts, so every HEAD, mount and
// upload of a push reuses the same authenticated transports (one token and
// one /v2/ ping per repository instead of one per request).
func reusing(opts []remote.Option) ([]remote.Option, error) {
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, err
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	return append(opts, remote.Reuse(pusher), remote.Reuse(puller)), nil
}
