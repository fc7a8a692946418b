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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
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
}

// Result is what happened in one repository.
type Result struct {
	Reference  name.Digest // repo@sha256:...
	UpToDate   bool        // the manifest was already there: nothing uploaded
	Uploaded   int         // blobs whose bytes were sent
	Bytes      int64       // bytes sent
	TagsMoved  []string
	WouldWrite []v1.Descriptor // dry run: blobs the registry lacks
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
	// Credentials from the environment go to these registries only.
	access := regclient.NewAccess(hosts(targets)...)
	opts, err := reusing(access.RemoteOptions(ctx, o.Retry, o.Jobs))
	if err != nil {
		return nil, err
	}
	var results []Result
	pushed := map[string]name.Repository{} // registry -> first repository written there
	for _, t := range targets {
		r, err := pushOne(ctx, access, img, digest, t, pushed, o, opts, logw)
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
	o Options, opts []remote.Option, logw io.Writer) (Result, error) {
	ref := t.Repository.Digest(digest.String())
	res := Result{Reference: ref}
	if d, err := remote.Head(ref, opts...); err == nil && d.Digest == digest {
		res.UpToDate = true
		fmt.Fprintf(logw, "%s: manifest already present\n", t.Repository)
	} else if o.DryRun {
		missing, err := missingBlobs(ctx, access, img, t.Repository, o)
		if err != nil {
			return res, err
		}
		res.WouldWrite = missing
		return res, nil
	} else {
		if err := uploadBlobs(ctx, img, t.Repository, pushed, o, opts, &res, logw); err != nil {
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

func (m manifest) RawManifest() ([]byte, error) { return m.img.RawManifest(), nil }
func (m manifest) MediaType() (types.MediaType, error) {
	if mt := m.img.Manifest().MediaType; mt != "" {
		return mt, nil
	}
	return types.OCIManifestSchema1, nil
}

func uploadBlobs(ctx context.Context, img *blobimage.Image, repo name.Repository, pushed map[string]name.Repository,
	o Options, opts []remote.Option, res *Result, logw io.Writer) error {
	m := img.Manifest()
	var uploaded, sent atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Jobs, 1))
	layerOpts := append(append([]remote.Option(nil), opts...), remote.WithContext(gctx))
	var cfg v1.Layer = static.NewLayer(img.RawConfig(), m.Config.MediaType)
	if prev, ok := pushed[repo.RegistryStr()]; ok {
		cfg = &remote.MountableLayer{Layer: cfg, Reference: prev.Digest(m.Config.Digest.String())}
	}
	g.Go(func() error { return remote.WriteLayer(repo, cfg, layerOpts...) })
	for _, desc := range m.Layers {
		l := layerFor(img, desc, repo, pushed, &uploaded, &sent, opts, o.Fetchers, logw)
		g.Go(func() error {
			if err := remote.WriteLayer(repo, l, layerOpts...); err != nil {
				return fmt.Errorf("blob %s: %w", desc.Digest, err)
			}
			return nil
		})
	}
	stop := showProgress(o.Progress, repo.String(), &sent, totalSize(m))
	err := g.Wait()
	stop()
	res.Uploaded, res.Bytes = int(uploaded.Load()), sent.Load()
	if err == nil {
		fmt.Fprintf(logw, "%s: uploaded %d blobs (%d bytes)\n", repo, res.Uploaded, res.Bytes)
	}
	return err
}

// layerFor returns the v1.Layer to write for desc: the local blob, or the
// base's blob in its source repository. Either is mountable from an earlier
// repository on the same registry.
func layerFor(img *blobimage.Image, desc v1.Descriptor, repo name.Repository, pushed map[string]name.Repository,
	uploaded, sent *atomic.Int64, opts []remote.Option, fetchers []Fetcher, logw io.Writer) v1.Layer {
	var l v1.Layer = &blobLayer{desc: desc, path: img.BlobPath(desc.Digest), source: img.Source(desc.Digest),
		opts: opts, uploaded: uploaded, sent: sent, fetchers: fetchers, log: logw}
	if prev, ok := pushed[repo.RegistryStr()]; ok {
		return &remote.MountableLayer{Layer: l, Reference: prev.Digest(desc.Digest.String())}
	}
	if src := img.Source(desc.Digest); src != "" {
		if srcRepo, err := name.NewRepository(src); err == nil {
			return &remote.MountableLayer{Layer: l, Reference: srcRepo.Digest(desc.Digest.String())}
		}
	}
	return l
}

// blobLayer is one layer blob, opened only when the destination lacks it:
// from disk, from its base image's registry, or from a Fetcher.
type blobLayer struct {
	desc     v1.Descriptor
	path     string // local blob (may be absent after a --remote_download_minimal build), or ""
	source   string // repository holding a pulled base layer, or ""
	opts     []remote.Option
	uploaded *atomic.Int64
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
	l.uploaded.Add(1)
	return &verifyingReader{rc: rc, want: l.desc, h: sha256.New(), sent: l.sent}, nil
}

func (l *blobLayer) open() (io.ReadCloser, error) {
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

// showProgress prints sent/total and the rate every second until stop.
func showProgress(w io.Writer, what string, sent *atomic.Int64, total int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				n := sent.Load()
				rate := float64(n) / time.Since(start).Seconds() / (1 << 20)
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
