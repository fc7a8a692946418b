package regclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Retry is the retry budget for one request (and, in package push, for one
// blob upload).
type Retry struct {
	Attempts  int           // total tries, >= 1
	BaseDelay time.Duration // wait before the 2nd try; doubles each time, with ±50% jitter
	MaxDelay  time.Duration // cap on one wait, including Retry-After
	Timeout   time.Duration // a try with no bytes moving for this long is abandoned and retried
}

// DefaultRetry survives flaky CI networks without hiding an outage for long.
var DefaultRetry = Retry{Attempts: 5, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second, Timeout: 60 * time.Second}

// Validate reports options that cannot work.
func (r Retry) Validate() error {
	switch {
	case r.Attempts < 1:
		return fmt.Errorf("retry attempts must be at least 1, got %d", r.Attempts)
	case r.BaseDelay < 0 || r.MaxDelay < 0:
		return errors.New("retry delays must not be negative")
	case r.Timeout <= 0:
		return fmt.Errorf("timeout must be positive, got %s", r.Timeout)
	}
	return nil
}

// Delay is how long to wait before try number attempt+1 (attempt counts from
// 1), given the failed response (may be nil).
func (r Retry) Delay(attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return min(d, r.MaxDelay)
		}
	}
	d := r.BaseDelay << (attempt - 1)
	if d <= 0 || d > r.MaxDelay {
		d = r.MaxDelay
	}
	// Full jitter around d: [d/2, 3d/2), so clients that failed together do
	// not retry together.
	return d/2 + time.Duration(rand.Int64N(int64(d)+1))
}

func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// Retryable reports whether a response status is worth another try.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// NewTransport returns a RoundTripper over inner (nil: a fresh
// http.Transport) that retries requests whose body can be replayed.
// Requests with a one-shot body (blob uploads) are tried once here; package
// push retries the whole upload with a fresh body instead. The body-less PUT
// that commits an upload is sent again only if the blob has not landed
// (committedBlob).
func NewTransport(inner http.RoundTripper, r Retry) http.RoundTripper {
	if inner == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = r.Timeout
		inner = t
	}
	return &retryTransport{inner: inner, retry: r}
}

type retryTransport struct {
	inner http.RoundTripper
	retry Retry
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	blob := committedBlob(req)
	for attempt := 1; ; attempt++ {
		if attempt > 1 && blob != "" {
			if resp := t.landed(req, blob); resp != nil {
				return resp, nil
			}
		}
		try := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(req.Context())
			try.Body = body
		}
		resp, err := t.once(try)
		if attempt > 1 && blob != "" && err == nil && resp.StatusCode >= 400 && resp.StatusCode < 500 {
			// The earlier try's commit may have finished only now (the
			// registry applied it while this one waited its turn).
			if landed := t.landed(req, blob); landed != nil {
				resp.Body.Close()
				return landed, nil
			}
		}
		last := attempt >= t.retry.Attempts || !replayable || req.Context().Err() != nil
		switch {
		case err != nil && (last || !temporary(err)):
			return nil, err
		case err == nil && (last || !Retryable(resp.StatusCode)):
			return resp, nil
		}
		wait := t.retry.Delay(attempt, resp)
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		select {
		case <-time.After(wait):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// committedBlob is the URL of the blob that req commits, if req is the PUT
// that ends a blob upload (.../blobs/uploads/<id>?digest=sha256:...), else
// "". That PUT is not idempotent: once the registry has applied it the
// upload session is gone, and the same PUT again is refused (404
// BLOB_UPLOAD_UNKNOWN on docker-registry, DIGEST_INVALID on
// go-containerregistry's registry) although the blob is there. A try whose
// answer was lost (a dropped connection, or an answer slower than Timeout
// from a registry that did the work) must not fail the push that way.
func committedBlob(req *http.Request) string {
	// The last one: a repository may itself be named .../blobs/uploads/...
	i := strings.LastIndex(req.URL.Path, "/blobs/uploads/")
	d := req.URL.Query().Get("digest")
	if req.Method != http.MethodPut || i < 0 || d == "" {
		return ""
	}
	u := *req.URL
	u.Path, u.RawPath, u.RawQuery = req.URL.Path[:i]+"/blobs/"+d, "", ""
	return u.String()
}

// landed asks the registry (HEAD, with req's credentials) whether blob, which
// an earlier try of the commit req meant to commit, is there: if so, it
// answers req as the registry would have (201 Created); else nil, and req is
// sent again.
func (t *retryTransport) landed(req *http.Request, blob string) *http.Response {
	head, err := http.NewRequestWithContext(req.Context(), http.MethodHead, blob, nil)
	if err != nil {
		return nil
	}
	head.Header = req.Header.Clone()
	head.Header.Del("Content-Type")
	resp, err := t.once(head)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	h := http.Header{}
	h.Set("Location", head.URL.Path)
	h.Set("Docker-Content-Digest", req.URL.Query().Get("digest"))
	return &http.Response{Status: "201 Created", StatusCode: http.StatusCreated, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, Request: req}
}

// once runs one try under an idle watchdog: if neither the request body nor
// the response body moves for Timeout, the try is cancelled.
func (t *retryTransport) once(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{cancel: cancel, timeout: t.retry.Timeout}
	w.timer = time.AfterFunc(t.retry.Timeout, w.fire)
	req = req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &watchedReader{ReadCloser: req.Body, w: w}
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		w.stop()
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			return nil, cause
		}
		return nil, err
	}
	w.kick()
	resp.Body = &watchedReader{ReadCloser: resp.Body, w: w, done: true}
	return resp, nil
}

var errStalled = errors.New("registry connection stalled")

type watchdog struct {
	mu      sync.Mutex
	timer   *time.Timer
	timeout time.Duration
	cancel  context.CancelCauseFunc
	stopped bool
}

func (w *watchdog) fire() {
	w.cancel(fmt.Errorf("%w: no bytes for %s", errStalled, w.timeout))
}

func (w *watchdog) kick() {
	w.mu.Lock()
	if !w.stopped {
		w.timer.Reset(w.timeout)
	}
	w.mu.Unlock()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
	w.cancel(nil)
}

type watchedReader struct {
	io.ReadCloser
	w    *watchdog
	done bool // closing this reader ends the try
}

func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.w.kick()
	return n, err
}

func (r *watchedReader) Close() error {
	err := r.ReadCloser.Close()
	if r.done {
		r.w.stop()
	}
	return err
}

// temporary reports network failures worth another try: resets, refused or
// dropped connections, unexpected EOFs and our own stall timeout.
func temporary(err error) bool {
	var ne net.Error
	return errors.Is(err, errStalled) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne) || isConnErr(err)
}

func isConnErr(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}
