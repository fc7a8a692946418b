package regclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/regclient"
)

// failing answers the first `fail` requests with status (0: drop the
// connection) and later ones with 200 and the body they sent.
type failing struct {
	fail   int64
	status int
	header http.Header
	calls  atomic.Int64
	mu     sync.Mutex
	bodies []string
}

func (f *failing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(b))
	f.mu.Unlock()
	if f.calls.Add(1) <= f.fail {
		if f.status == 0 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.status)
		return
	}
	w.Write(b)
}

func client(r regclient.Retry) *http.Client {
	return &http.Client{Transport: regclient.NewTransport(nil, r)}
}

var quick = regclient.Retry{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 5 * time.Second}

// TestRetries: what is retried (and how often) for each kind of failure.
func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		status    int // 0: connection dropped
		fail      int64
		oneShot   bool // a body that cannot be replayed
		wantCalls int64
		wantCode  int // 0: want an error
	}{
		{"503 then ok", 503, 2, false, 3, 200},
		{"500", 500, 1, false, 2, 200},
		{"429", 429, 1, false, 2, 200},
		{"408", 408, 1, false, 2, 200},
		{"connection dropped", 0, 1, false, 2, 200},
		{"404 is an answer", 404, 1, false, 1, 404},
		{"401 is an answer", 401, 1, false, 1, 401},
		{"budget spent", 503, 10, false, 4, 503},
		{"one-shot body tried once", 503, 1, true, 1, 503},
		{"one-shot body, dropped once", 0, 1, true, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &failing{fail: c.fail, status: c.status}
			srv := httptest.NewServer(f)
			defer srv.Close()
			var body io.Reader = strings.NewReader("payload") // NewRequest sets GetBody
			if c.oneShot {
				body = io.NopCloser(strings.NewReader("payload"))
			}
			req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
			resp, err := client(quick).Do(req)
			if c.wantCode == 0 {
				if err == nil {
					t.Fatalf("want an error, got %s", resp.Status)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.wantCode {
					t.Fatalf("status %d, want %d", resp.StatusCode, c.wantCode)
				}
				if c.wantCode == 200 && string(got) != "payload" {
					t.Fatalf("the retried request's body was %q", got)
				}
			}
			if n := f.calls.Load(); n != c.wantCalls {
				t.Fatalf("%d requests, want %d", n, c.wantCalls)
			}
			for i, b := range f.bodies {
				if b != "payload" && !(c.status == 0 && i < int(c.fail)) {
					t.Errorf("try %d sent body %q", i+1, b)
				}
			}
		})
	}
}

// TestRetryAfterCapped: a Retry-After longer than MaxDelay waits MaxDelay.
func TestRetryAfterCapped(t *testing.T) {
	f := &failing{fail: 1, status: 429, header: http.Header{"Retry-After": {"30"}}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	start := time.Now()
	resp, err := client(regclient.Retry{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, Timeout: 5 * time.Second}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode != 200 || took > 5*time.Second {
		t.Fatalf("status %d after %s", resp.StatusCode, took)
	}
}

func TestDelay(t *testing.T) {
	r := regclient.Retry{Attempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second, Timeout: time.Second}
	for attempt, d := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 30: 10 * time.Second} {
		for i := 0; i < 50; i++ {
			if got := r.Delay(attempt, nil); got < d/2 || got > d*3/2 {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, got, d/2, d*3/2)
			}
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {"3"}}}
	if got := r.Delay(1, resp); got != 3*time.Second {
		t.Errorf("Retry-After: 3 gave %s", got)
	}
	resp.Header.Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
	if got := r.Delay(1, resp); got != 0 {
		t.Errorf("a Retry-After date in the past gave %s", got)
	}
	resp.Header.Set("Retry-After", "soon")
	if got := r.Delay(1, resp); got < 50*time.Millisecond || got > 150*time.Millisecond {
		t.Errorf("an unreadable Retry-After gave %s, not the backoff", got)
	}
}

func TestValidate(t *testing.T) {
	if err := regclient.DefaultRetry.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []regclient.Retry{
		{Attempts: 0, Timeout: time.Second},
		{Attempts: 1, BaseDelay: -1, Timeout: time.Second},
		{Attempts: 1, MaxDelay: -1, Timeout: time.Second},
		{Attempts: 1},
	} {
		if r.Validate() == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

// TestStalledBodyIsAbandoned: a response whose body stops moving fails
// after Timeout (the idle watchdog) instead of hanging the build.
func TestStalledBodyIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 100))
		w.(http.Flusher).Flush()
		select { // then nothing, for far longer than the timeout
		case <-release:
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer srv.Close()
	start := time.Now()
	resp, err := client(regclient.Retry{Attempts: 1, Timeout: 200 * time.Millisecond}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatal("a stalled body read to the end")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("gave up after %s, want about 200ms", took)
	}
}

// TestStalledHeadersAreRetried: a server that does not answer the first try
// is given up on after Timeout and asked again.
func TestStalledHeadersAreRetried(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	resp, err := client(regclient.Retry{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: 200 * time.Millisecond}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if calls.Load() != 2 || resp.StatusCode != 200 {
		t.Fatalf("%d calls, status %d", calls.Load(), resp.StatusCode)
	}
}

// TestCancelledWhileWaiting: a cancelled context ends the wait between tries.
func TestCancelledWhileWaiting(t *testing.T) {
	f := &failing{fail: 100, status: 503}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	_, err := client(regclient.Retry{Attempts: 5, BaseDelay: time.Minute, MaxDelay: time.Minute, Timeout: time.Second}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
}

// TestCommitIsReplayedOnlyIfTheBlobIsMissing: the first answer to a blob
// commit (PUT .../blobs/uploads/<id>?digest=) is lost. If the registry has
// the blob (HEAD 200), the commit is answered 201 without being sent again;
// if not, it is sent again, as any replayable request.
func TestCommitIsReplayedOnlyIfTheBlobIsMissing(t *testing.T) {
	// A repository may itself be named .../blobs/uploads/...: the HEAD goes
	// to that repository's blob, not to a shorter one's.
	for _, c := range []struct {
		repo   string
		landed bool
	}{{"app", true}, {"app", false}, {"team/blobs/uploads/app", true}} {
		repo, landed := c.repo, c.landed
		t.Run(fmt.Sprintf("repo=%s,landed=%v", repo, landed), func(t *testing.T) {
			var puts, heads atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodHead && r.URL.Path == "/v2/"+repo+"/blobs/sha256:abc":
					heads.Add(1)
					if !landed {
						w.WriteHeader(http.StatusNotFound)
					}
				case r.Method == http.MethodPut && r.URL.Path == "/v2/"+repo+"/blobs/uploads/1":
					if puts.Add(1) == 1 {
						conn, _, _ := w.(http.Hijacker).Hijack()
						conn.Close()
						return
					}
					w.WriteHeader(http.StatusCreated)
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL)
				}
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v2/"+repo+"/blobs/uploads/1?digest=sha256:abc", nil)
			resp, err := client(quick).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			wantPuts := map[bool]int64{true: 1, false: 2}[landed]
			if resp.StatusCode != http.StatusCreated || puts.Load() != wantPuts || heads.Load() != 1 {
				t.Fatalf("status %d after %d PUTs and %d HEADs; want 201 after %d PUTs and 1 HEAD", resp.StatusCode, puts.Load(), heads.Load(), wantPuts)
			}
		})
	}
}
