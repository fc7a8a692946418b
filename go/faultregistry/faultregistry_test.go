package faultregistry

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TestProxyForwardsUpToTheOffsetThenResets: a client sends 100 bytes through
// a proxy that resets at 40; the server receives exactly the first 40, the
// client's connection is reset, and the count says what the client sent.
func TestProxyForwardsUpToTheOffsetThenResets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(c)
		got <- b
	}()
	done := make(chan struct{})
	p, err := NewResetProxy("127.0.0.1:0", ln.Addr().String(), func() { close(done) }, 40)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("x"), 100)
	c.Write(msg)
	<-done
	if b := <-got; len(b) != 40 {
		t.Errorf("the server got %d bytes, want the 40 before the reset", len(b))
	}
	if _, err := c.Read(make([]byte, 1)); err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("client read after the cut: %v, want connection reset", err)
	}
	if p.Resets() != 1 || p.Sent() != 100 {
		t.Errorf("resets %d, sent %d; want 1 and 100", p.Resets(), p.Sent())
	}
}

// TestUploadStatusReportsStoredBytes: after a PATCH of 10 bytes the upload's
// location answers GET with Range 0-9; an unknown upload is a 404, and the
// minimum chunk is announced on POST.
func TestUploadStatusReportsStoredBytes(t *testing.T) {
	s := &UploadStatus{Next: registry.New(registry.Logger(log.New(io.Discard, "", 0))), MinChunk: 1 << 20}
	srv := httptest.NewServer(s)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/v2/app/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusAccepted || loc == "" || res.Header.Get("OCI-Chunk-Min-Length") != "1048576" {
		t.Fatalf("POST: %s, Location %q, headers %v", res.Status, loc, res.Header)
	}
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+loc, strings.NewReader("0123456789"))
	req.Header.Set("Content-Range", "0-9")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for path, want := range map[string]string{loc: "0-9", "/v2/app/blobs/uploads/unknown": ""} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("Range") != want || (want == "") != (res.StatusCode == http.StatusNotFound) {
			t.Errorf("GET %s: %s, Range %q; want %q", path, res.Status, res.Header.Get("Range"), want)
		}
	}
	if p := s.Patches(); len(p) != 1 || p[0] != (Patch{Start: 0, Length: 10}) {
		t.Errorf("patches %v, want [{0 10}]", p)
	}
}

// TestLostAnswerServesThenHangsUp: the first selected request of a path
// reaches the registry but its client gets a closed connection; the same
// request again is answered; requests not selected are never touched.
func TestLostAnswerServesThenHangsUp(t *testing.T) {
	var mu sync.Mutex // (the race detector does not see a socket as a barrier)
	var served []string
	l := &LostAnswer{
		Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			served = append(served, r.Method+" "+r.URL.Path)
			mu.Unlock()
		}),
		Match: func(r *http.Request) bool { return r.Method == http.MethodPut },
	}
	srv := httptest.NewServer(l)
	defer srv.Close()
	do := func(method, path string) error {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		res, err := http.DefaultTransport.RoundTrip(req) // no retry of its own
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	if err := do(http.MethodPut, "/a"); err == nil {
		t.Error("the first PUT /a was answered")
	}
	for _, r := range [][2]string{{http.MethodPut, "/a"}, {http.MethodGet, "/a"}, {http.MethodGet, "/a"}} {
		if err := do(r[0], r[1]); err != nil {
			t.Errorf("%s %s: %v", r[0], r[1], err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "PUT /a,PUT /a,GET /a,GET /a"; strings.Join(served, ",") != want || l.Seen() != 2 {
		t.Errorf("served %v, seen %d; want %s, seen 2", served, l.Seen(), want)
	}
}
