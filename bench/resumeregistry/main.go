// Command resumeregistry serves go-containerregistry's registry (blobs on
// disk) with the one part of the OCI upload protocol it lacks: GET on an
// upload's location, answered with Range: 0-N, N+1 being the bytes the
// registry really stored for that upload (counted as its PATCH handler
// consumed them; it keeps what it read of a body cut short). Storage, the
// Content-Range check and the digest check at PUT stay the registry's own.
//
// The push benchmark uses it beside docker-registry 2.8, which cannot resume
// after a reset mid-chunk (it cancels a session whose signed state no longer
// matches the bytes it holds), to measure resuming the way registries that
// keep the session (the OCI distribution spec's "resume" flow) allow.
// go/push/upload_test.go tests against the same adapter.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "address to listen on")
	dir := flag.String("dir", "", "blob directory")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	s := &statusAdapter{next: registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(*dir)),
		registry.Logger(log.New(io.Discard, "", 0))), held: map[string]int64{}}
	log.Fatal(http.Serve(ln, s))
}

type statusAdapter struct {
	next http.Handler
	mu   sync.Mutex
	held map[string]int64 // upload id -> bytes stored
}

func (s *statusAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		r.Body = &consumed{r: r.Body, add: func(n int) { s.mu.Lock(); s.held[id] += int64(n); s.mu.Unlock() }}
	}
	s.next.ServeHTTP(w, r)
	if r.Method == http.MethodPost && id == "" {
		if loc := w.Header().Get("Location"); loc != "" {
			s.mu.Lock()
			s.held[loc[strings.LastIndex(loc, "/")+1:]] = 0
			s.mu.Unlock()
		}
	}
}

type consumed struct {
	r   io.ReadCloser
	add func(int)
}

func (c *consumed) Read(p []byte) (int, error) { n, err := c.r.Read(p); c.add(n); return n, err }
func (c *consumed) Close() error               { return c.r.Close() }
