package push

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/strata-build/rules_strata/go/regclient"
)

// DefaultChunkSize is the PATCH size of a chunked upload (Options.ChunkSize
// 0). Large enough that per-request costs (one round trip, and on
// docker-registry one hash-state save per chunk) vanish next to the bytes;
// small enough that a blob's progress is known to the registry every few
// hundred milliseconds on a fast link.
const DefaultChunkSize = 64 << 20

// Resumable uploads. go-containerregistry's writer sends a blob in one
// streamed PATCH and, when that fails, starts again from the first byte. A
// layer bigger than one chunk is uploaded here instead:
//
//	POST   /v2/<repo>/blobs/uploads/           (mount=&from= when a mount may work)
//	PATCH  <location>  Content-Range: a-b      (one per chunk; Content-Length b-a+1)
//	PUT    <location>?digest=sha256:...        (the registry checks the digest)
//
// After a reset, a stall or a 5xx mid-upload, the client asks the registry
// where the upload stands (GET <location> -> Range: 0-N) and goes on from
// byte N+1. A registry that no longer knows the session (404, or any answer
// without a Range: docker-registry 2.8 cancels a session whose signed state
// no longer matches the bytes it holds, so it cannot resume after a chunk it
// received only part of; go-containerregistry's in-process registry has no
// GET on uploads) gets a fresh upload from the first byte. Either way the
// registry verifies the whole blob against its digest at the final PUT, so
// the client does not hash the bytes as they go out (a second sha256 pass
// over every byte); only when the registry rejects the digest does the
// client hash its source, to say whether the local blob is corrupt.

// uploader uploads the big blobs of one repository, chunk by chunk.
type uploader struct {
	ctx    context.Context
	access *regclient.Access
	repo   name.Repository
	o      Options
	wrap   func(http.RoundTripper) http.RoundTripper // counts mounts
	chunk  int64

	mu      sync.Mutex
	clients map[string]*http.Client // by the repository mounted from ("" for none)
	closers []func()
}

func newUploader(ctx context.Context, access *regclient.Access, repo name.Repository, o Options, mounts *mountLog) *uploader {
	chunk := o.ChunkSize
	if chunk == 0 {
		chunk = DefaultChunkSize
	}
	return &uploader{ctx: ctx, access: access, repo: repo, o: o, wrap: mounts.wrap, chunk: chunk, clients: map[string]*http.Client{}}
}

// writeLayer is the one place push.go sends a layer: chunked and resumable
// when it is bigger than one chunk, else go-containerregistry's writer.
func (u *uploader) writeLayer(ctx context.Context, l *blobLayer, pushed map[string]name.Repository, opts []remote.Option) error {
	if u.chunk < 0 || l.config != nil || l.desc.Size <= u.chunk {
		err := remote.WriteLayer(u.repo, mountable(l, u.repo, pushed, l.source), opts...)
		if rejected(err) {
			// The verifying reader (Compressed) usually fails a corrupt
			// blob's PATCH first, but its error comes at EOF, after every
			// byte went out: net/http may take the registry's 202 to the
			// complete body before it, and the PUT then gets DIGEST_INVALID.
			// Name the corrupt local blob either way.
			var ce *corruptError
			if cerr := l.checkContent(); errors.As(cerr, &ce) {
				return cerr
			} else if cerr != nil {
				return errors.Join(err, cerr) // the source could not be re-read: keep the registry's answer first
			}
		}
		return err
	}
	return u.upload(ctx, l, mountFrom(u.repo, pushed, l.source))
}

// close releases the idle connections of the uploader's clients.
func (u *uploader) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.closers {
		c()
	}
}

// client is an HTTP client authenticated (go-containerregistry's transport:
// token exchange, basic auth, the keychain of Access) for pushing to the
// repository and, if from is set, pulling from the repository mounted from.
func (u *uploader) client(ctx context.Context, from string) (*http.Client, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c, ok := u.clients[from]; ok {
		return c, nil
	}
	auth, err := authn.Resolve(ctx, u.access.Keychain(), u.repo)
	if err != nil {
		return nil, err
	}
	scopes := []string{u.repo.Scope(transport.PushScope)}
	if from != "" {
		if r, err := name.NewRepository(from); err == nil {
			scopes = append(scopes, r.Scope(transport.PullScope))
		}
	}
	inner := http.DefaultTransport.(*http.Transport).Clone()
	inner.ResponseHeaderTimeout = u.o.Retry.Timeout
	// Bigger socket buffers than net/http's 4 KiB: fewer syscalls per GiB.
	inner.WriteBufferSize, inner.ReadBufferSize = 256<<10, 64<<10
	rt, err := transport.NewWithContext(ctx, u.repo.Registry, auth, u.wrap(u.access.Transport(inner, u.o.Retry)), scopes)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Transport: rt}
	u.clients[from] = c
	u.closers = append(u.closers, inner.CloseIdleConnections)
	return c, nil
}

func (u *uploader) url(path string) *url.URL {
	return &url.URL{Scheme: u.repo.Registry.Scheme(), Host: u.repo.RegistryStr(), Path: path}
}

// errSessionLost: the registry does not know the upload any more.
var errSessionLost = errors.New("the registry lost the upload session")

// upload sends l to the repository unless it is there already or can be
// mounted from the repository from.
func (u *uploader) upload(ctx context.Context, l *blobLayer, from string) error {
	c, err := u.client(ctx, from)
	if err != nil {
		return err
	}
	if u.present(ctx, c, l) {
		return nil
	}
	if err := l.checkSize(); err != nil {
		return err
	}
	loc, minChunk, mounted, err := u.start(ctx, c, l, from)
	if err != nil || mounted {
		return err
	}
	chunk := max(u.chunk, minChunk)
	var off int64
	failures := 0
	src := &source{l: l}
	defer src.close()
	// fail counts one failed try; it returns the error once the budget is spent.
	fail := func(err error, resp *http.Response) error {
		failures++
		if failures >= u.o.Retry.Attempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(u.o.Retry.Delay(failures, resp)):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// restart begins a fresh session from the first byte.
	restart := func() error {
		var err error
		loc, minChunk, _, err = u.start(ctx, c, l, "")
		chunk, off = max(u.chunk, minChunk), 0
		return err
	}
	for {
		for off < l.desc.Size {
			n := min(chunk, l.desc.Size-off)
			next, got, resp, err := u.patch(ctx, c, l, src, loc, off, n)
			if err == nil {
				loc, off = next, got
				failures = 0
				continue
			}
			if !retryable(err) {
				return err
			}
			if ferr := fail(err, resp); ferr != nil {
				return fmt.Errorf("uploading bytes %d-%d: %w", off, off+n-1, ferr)
			}
			// Ask the registry where the upload stands.
			next, got, err = u.status(ctx, c, loc)
			switch {
			case errors.Is(err, errSessionLost):
				if err := restart(); err != nil {
					return err
				}
			case err != nil:
				return fmt.Errorf("asking the registry where the upload stands after %w", err)
			case got > l.desc.Size:
				return fmt.Errorf("the registry says it holds %d bytes of a %d-byte blob", got, l.desc.Size)
			default:
				loc, off = next, got
			}
		}
		err := u.finish(ctx, c, l, loc)
		if err == nil {
			return nil
		}
		// The registry may have committed the blob and lost only the answer.
		if u.present(ctx, c, l) {
			return nil
		}
		if rejected(err) {
			// The registry got bytes that do not match the digest: a
			// corrupt local blob fails here; bytes mangled on the way (or a
			// session the registry resumed wrongly) are sent again whole.
			if cerr := l.checkContent(); cerr != nil {
				return cerr
			}
		} else if !retryable(err) && !errors.Is(err, errSessionLost) {
			return err
		}
		if ferr := fail(err, nil); ferr != nil {
			return fmt.Errorf("completing the upload: %w", ferr)
		}
		if err := restart(); err != nil {
			return err
		}
	}
}

// present reports whether the repository has the blob (HEAD).
func (u *uploader) present(ctx context.Context, c *http.Client, l *blobLayer) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.url("/v2/"+u.repo.RepositoryStr()+"/blobs/"+l.desc.Digest.String()).String(), nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// start opens an upload session (POST), or mounts the blob from another
// repository of the registry (201). It returns the session's location and
// the registry's smallest accepted chunk (OCI-Chunk-Min-Length), if any.
func (u *uploader) start(ctx context.Context, c *http.Client, l *blobLayer, from string) (loc string, minChunk int64, mounted bool, err error) {
	target := u.url("/v2/" + u.repo.RepositoryStr() + "/blobs/uploads/")
	if from != "" {
		if r, err := name.NewRepository(from); err == nil {
			target.RawQuery = url.Values{"mount": {l.desc.Digest.String()}, "from": {r.RepositoryStr()}}.Encode()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		return "", 0, false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, false, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusAccepted); err != nil {
		if from != "" {
			return u.start(ctx, c, l, "") // some registries refuse a mount outright
		}
		return "", 0, false, err
	}
	if resp.StatusCode == http.StatusCreated {
		return "", 0, true, nil
	}
	loc, err = location(resp)
	if err != nil {
		return "", 0, false, err
	}
	if v := resp.Header.Get("OCI-Chunk-Min-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			minChunk = n
		}
	}
	return loc, minChunk, false, nil
}

// patch sends bytes [off, off+n) of l. It returns the next location and
// the offset the registry says it now holds up to.
func (u *uploader) patch(ctx context.Context, c *http.Client, l *blobLayer, src *source, loc string, off, n int64) (next string, got int64, resp *http.Response, err error) {
	rc, err := src.at(off)
	if err != nil {
		return "", 0, nil, &sourceError{err}
	}
	l.opened.Store(true)
	var body io.Reader
	var counted *countingReader
	if f, ok := rc.(*os.File); ok {
		// A file section, copied through user space. Sent with sendfile(2)
		// (what net/http does with a body that is a file), the same 1 GiB
		// cost docker-registry on loopback 4.7-5.0 CPU-s to receive instead
		// of 3.7-4.1, and the push 5.6-6.3 s instead of 4.9-5.2 s
		// (bench/README.md, "Push without sendfile(2)"); the copy costs the
		// client 0.3-0.4 CPU-s per GiB. A chunk is counted in the bytes sent
		// once the registry has taken it.
		body = io.NopCloser(io.NewSectionReader(f, off, n))
		defer src.close() // a file is re-opened per chunk
	} else {
		counted = &countingReader{r: io.LimitReader(rc, n), sent: l.sent}
		body = io.NopCloser(counted)
		defer func() {
			if err != nil {
				// net/http may still be reading a failed request's body:
				// the next try re-opens the stream.
				src.close()
			} else {
				src.pos += counted.n
			}
		}()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, loc, body)
	if err != nil {
		return "", 0, nil, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("%d-%d", off, off+n-1))
	resp, err = c.Do(req)
	if err != nil {
		if counted == nil {
			// A file that shrank during the push ends the chunk early
			// (net/http: "ContentLength=N with Body length M"): name it.
			if cerr := l.checkSize(); cerr != nil {
				return "", 0, nil, cerr
			}
		}
		return "", 0, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", 0, resp, errSessionLost
	}
	if err := transport.CheckError(resp, http.StatusAccepted, http.StatusNoContent, http.StatusCreated); err != nil {
		return "", 0, resp, err
	}
	if counted != nil && counted.n != n {
		// The source ended early: the blob is shorter than its descriptor.
		return "", 0, resp, l.checkContent()
	}
	if counted == nil {
		l.sent.Add(n)
	}
	next, lerr := location(resp)
	if lerr != nil {
		next = loc
	}
	got = off + n
	if end, ok := rangeEnd(resp.Header.Get("Range")); ok && end < got {
		got = end // the registry holds less than was sent: go on from there
	}
	return next, got, resp, nil
}

// status asks where the upload stands: the next location and the number of
// bytes the registry holds.
func (u *uploader) status(ctx context.Context, c *http.Client, loc string) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 500 {
		return "", 0, transport.CheckError(resp)
	}
	got, ok := rangeEnd(resp.Header.Get("Range"))
	if resp.StatusCode >= 300 || !ok {
		// 404 (the session expired or was cancelled), or a registry that
		// cannot tell (no GET on uploads): start again.
		return "", 0, errSessionLost
	}
	next, err := location(resp)
	if err != nil {
		next = loc
	}
	return next, got, nil
}

// finish commits the upload: the registry checks the digest.
func (u *uploader) finish(ctx context.Context, c *http.Client, l *blobLayer, loc string) error {
	target, err := url.Parse(loc)
	if err != nil {
		return err
	}
	q := target.Query()
	q.Set("digest", l.desc.Digest.String())
	target.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return errSessionLost
	}
	return transport.CheckError(resp, http.StatusCreated, http.StatusAccepted, http.StatusNoContent)
}

// location is the absolute URL of a response's Location header.
func location(resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New("the registry sent no upload location")
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// rangeEnd parses a Range header "0-N" (or "bytes=0-N") into N+1, the number
// of bytes held. docker-registry says "0-0" for an empty upload too: read
// as 0 (if it really held one byte, the digest check catches it).
func rangeEnd(v string) (int64, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "bytes=")
	start, end, ok := strings.Cut(v, "-")
	if !ok || start != "0" {
		return 0, false
	}
	n, err := strconv.ParseInt(end, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	return n + 1, true
}

// retryable: network failures, stalls, 408/429/5xx, a range the registry
// disagrees with (416), and a lost session.
func retryable(err error) bool {
	if errors.Is(err, errSessionLost) {
		return true
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return regclient.Retryable(te.StatusCode) || te.StatusCode == http.StatusRequestedRangeNotSatisfiable ||
			isCode(err, transport.BlobUploadUnknownErrorCode) || isCode(err, transport.BlobUploadInvalidErrorCode)
	}
	var ce *corruptError
	var se *sourceError
	return !errors.As(err, &ce) && !errors.As(err, &se) && !errors.Is(err, context.Canceled)
}

// sourceError: the blob's bytes could not be read here (not the registry's
// fault; trying again does not help).
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// rejected: the registry refused the bytes it got as not the blob's digest
// or size.
func rejected(err error) bool {
	return isCode(err, transport.DigestInvalidErrorCode) || isCode(err, transport.SizeInvalidErrorCode)
}

func isCode(err error, code transport.ErrorCode) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// corruptError: the local blob does not match its descriptor.
type corruptError struct{ msg string }

func (e *corruptError) Error() string { return e.msg }

// checkSize fails early when a local blob's size is wrong.
func (l *blobLayer) checkSize() error {
	if l.path == "" {
		return nil
	}
	if fi, err := os.Stat(l.path); err == nil && fi.Size() != l.desc.Size {
		return &corruptError{fmt.Sprintf("blob %s is corrupt: %s has %d bytes, want %d", l.desc.Digest, l.path, fi.Size(), l.desc.Size)}
	}
	return nil
}

// checkContent hashes the blob's source: a corruptError if it does not
// match the descriptor, nil if it does.
func (l *blobLayer) checkContent() error {
	rc, err := l.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, bufio.NewReaderSize(rc, 1<<20))
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != l.desc.Size || got != l.desc.Digest.Hex {
		return &corruptError{fmt.Sprintf("blob %s is corrupt: read %d bytes with sha256:%s, want %d bytes", l.desc.Digest, n, got, l.desc.Size)}
	}
	return nil
}

// source is the blob's bytes for one upload: a stream (remote cache, base
// registry) is read on from chunk to chunk, and re-opened only when the
// upload must go on from another offset than where it stands.
type source struct {
	l   *blobLayer
	rc  io.ReadCloser
	pos int64
}

func (s *source) at(off int64) (io.ReadCloser, error) {
	if s.rc != nil && s.pos == off {
		return s.rc, nil
	}
	s.close()
	rc, err := s.l.openAt(off)
	if err != nil {
		return nil, err
	}
	s.rc, s.pos = rc, off
	return rc, nil
}

func (s *source) close() {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
}

// openAt opens the blob's bytes from offset off: a seek for a local file; a
// stream (remote cache, base registry) is re-opened and read up to off.
func (l *blobLayer) openAt(off int64) (io.ReadCloser, error) {
	rc, err := l.open()
	if err != nil {
		return nil, err
	}
	if f, ok := rc.(*os.File); ok {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		// patch reads a file chunk with ReadAt (io.SectionReader); the
		// seek is for a caller that reads on with Read.
		return f, nil
	}
	if _, err := io.CopyN(io.Discard, rc, off); err != nil {
		rc.Close()
		return nil, fmt.Errorf("re-reading blob %s up to byte %d: %w", l.desc.Digest, off, err)
	}
	return rc, nil
}

// countingReader adds the bytes read to the push's sent counter.
type countingReader struct {
	r    io.Reader
	n    int64
	sent interface{ Add(int64) int64 }
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.sent.Add(int64(n))
	return n, err
}
