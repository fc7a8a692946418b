// Package faultregistry holds the fault doubles that the push tests
// (go/push) and the push benchmark (bench/faultproxy, bench/resumeregistry)
// need, written once so that what a test proves and what the benchmark
// measures is the same fault:
//
//   - ResetProxy, a TCP proxy that counts the bytes clients send and resets
//     the connection (RST both ways) when that count first crosses given
//     offsets, as a dropped link or a middlebox does;
//   - UploadStatus, an http.Handler in front of go-containerregistry's
//     registry that adds the one endpoint of the OCI upload protocol it
//     lacks: GET on an upload's location, answered with the bytes the
//     registry really stored, so a client can resume a cut upload;
//   - LostAnswer, an http.Handler that lets the registry do what a request
//     asks and then hangs up instead of answering, as when a connection
//     drops, or the answer comes after the client's timeout, once the work
//     is done.
//
// It is test and benchmark support: the strata tool does not compile it.
package faultregistry

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ResetProxy forwards TCP connections to one target, counts the bytes
// clients send (over all connections, retries included), and resets the
// connection each time the running count first crosses one of its offsets
// (each offset fires once, in order). Bytes up to the offset are forwarded
// before the cut.
type ResetProxy struct {
	ln     net.Listener
	target string
	sent   atomic.Int64
	mu     sync.Mutex
	at     []int64
	fired  int
	onDone func()
}

// NewResetProxy listens on listen (host:port; port 0 picks a free one) and
// serves connections to target in the background until Close. at are the
// client-byte offsets to reset at, ascending. onDone, if not nil, runs each
// time a connection ends (the benchmark saves the running count then).
func NewResetProxy(listen, target string, onDone func(), at ...int64) (*ResetProxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p := &ResetProxy{ln: ln, target: target, at: at, onDone: onDone}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *ResetProxy) Addr() string { return p.ln.Addr().String() }

// Sent is the number of bytes clients have sent through the proxy so far.
func (p *ResetProxy) Sent() int64 { return p.sent.Load() }

// Resets is how many connections the proxy has reset so far.
func (p *ResetProxy) Resets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired
}

// Close stops accepting connections.
func (p *ResetProxy) Close() error { return p.ln.Close() }

func (p *ResetProxy) serve(c net.Conn) {
	if p.onDone != nil {
		defer p.onDone()
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	go func() { io.Copy(c, s); c.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if cut := p.cutAt(n); cut >= 0 {
				s.Write(buf[:cut])
				// SO_LINGER 0: close sends RST rather than a clean FIN.
				c.(*net.TCPConn).SetLinger(0)
				s.(*net.TCPConn).SetLinger(0)
				c.Close()
				s.Close()
				return
			}
			if _, werr := s.Write(buf[:n]); werr != nil {
				c.Close()
				return
			}
		}
		if err != nil {
			s.(*net.TCPConn).CloseWrite()
			return
		}
	}
}

// cutAt counts n more client bytes and says how many of them to forward
// before resetting, or -1 to forward them all and go on.
func (p *ResetProxy) cutAt(n int) int {
	before := p.sent.Load()
	total := p.sent.Add(int64(n))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fired < len(p.at) && total > p.at[p.fired] {
		cut := p.at[p.fired] - before
		p.fired++
		return int(max(cut, 0))
	}
	return -1
}

// UploadStatus gives go-containerregistry's registry (Next) GET on an
// upload's location, answered with Range: 0-N where N+1 is the bytes the
// registry really stored for that upload (counted as its PATCH handler
// consumed them: it keeps what it read of a body cut short). Storage, the
// Content-Range check and the digest check at PUT stay the registry's own.
// MinChunk, if set, is sent as OCI-Chunk-Min-Length on POST, and every
// PATCH is recorded (Patches).
type UploadStatus struct {
	Next     http.Handler
	MinChunk int64

	mu      sync.Mutex
	held    map[string]int64 // upload id -> bytes stored
	patches []Patch
}

// Patch is one PATCH sent to an upload: the first byte of its Content-Range
// (-1 without one) and its Content-Length.
type Patch struct{ Start, Length int64 }

// Patches lists every PATCH seen so far, in order.
func (s *UploadStatus) Patches() []Patch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Patch(nil), s.patches...)
}

func (s *UploadStatus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := ""
	if i := strings.Index(r.URL.Path, "/blobs/uploads/"); i >= 0 {
		id = r.URL.Path[i+len("/blobs/uploads/"):]
	}
	switch {
	case r.Method == http.MethodGet && id != "":
		s.mu.Lock()
		n, ok := s.held[id]
		s.mu.Unlock()
		if !ok {
			http.Error(w, `{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Location", r.URL.Path)
		w.Header().Set("Range", fmt.Sprintf("0-%d", max(n-1, 0)))
		w.WriteHeader(http.StatusNoContent)
		return
	case r.Method == http.MethodPatch && id != "":
		s.mu.Lock()
		p := Patch{Start: -1, Length: r.ContentLength}
		fmt.Sscanf(r.Header.Get("Content-Range"), "%d-", &p.Start)
		s.patches = append(s.patches, p)
		s.mu.Unlock()
		r.Body = &consumed{r: r.Body, add: func(n int) { s.hold(id, int64(n)) }}
	case r.Method == http.MethodPost && s.MinChunk > 0:
		w.Header().Set("OCI-Chunk-Min-Length", strconv.FormatInt(s.MinChunk, 10))
	}
	s.Next.ServeHTTP(w, r)
	if r.Method == http.MethodPost && id == "" {
		if loc := w.Header().Get("Location"); loc != "" {
			s.hold(loc[strings.LastIndex(loc, "/")+1:], 0)
		}
	}
}

// hold counts n more bytes stored for upload id (0 opens it).
func (s *UploadStatus) hold(id string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = map[string]int64{}
	}
	s.held[id] += n
}

// consumed counts what a handler reads of a request body.
type consumed struct {
	r   io.ReadCloser
	add func(int)
}

func (c *consumed) Read(p []byte) (int, error) { n, err := c.r.Read(p); c.add(n); return n, err }
func (c *consumed) Close() error               { return c.r.Close() }

// LostAnswer passes every request to Next, but for the requests Match
// selects, the first of each URL path is served into the void: Next does
// what it asks (commits the blob, stores the chunk) and the client gets a
// closed connection instead of the answer. Seen counts the requests Match
// selected, so a test can tell whether the client sent one again.
type LostAnswer struct {
	Next  http.Handler
	Match func(*http.Request) bool

	mu   sync.Mutex
	lost map[string]bool
	seen int
}

// Seen is the number of requests Match has selected so far.
func (l *LostAnswer) Seen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

func (l *LostAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !l.Match(r) {
		l.Next.ServeHTTP(w, r)
		return
	}
	l.mu.Lock()
	l.seen++
	first := !l.lost[r.URL.Path]
	if l.lost == nil {
		l.lost = map[string]bool{}
	}
	l.lost[r.URL.Path] = true
	l.mu.Unlock()
	if !first {
		l.Next.ServeHTTP(w, r)
		return
	}
	l.Next.ServeHTTP(httptest.NewRecorder(), r)
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}
