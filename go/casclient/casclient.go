// Package casclient reads blobs from a Bazel remote cache's content
// addressable store, so push can stream layers that a
// --remote_download_minimal build never downloaded straight to a registry.
//
// A layer blob's OCI digest is the sha256 of its bytes, which is exactly its
// CAS key, so no mapping is needed: the descriptor's digest and size name it.
// gRPC caches are read with the REAPI ByteStream service
// ("{instance}/blobs/{hash}/{size}"); HTTP caches with GET {url}/cas/{hash}.
//
// Why not a REAPI client library (bazelbuild/remote-apis-sdks): push only
// ever reads blobs whose keys it already has, which is one ByteStream Read or
// one GET; the SDK's action execution, upload batching and its own auth and
// retry layers would be a large dependency for two calls.
package casclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/redact"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrNotFound means the cache does not (or no longer) hold the blob.
var ErrNotFound = errors.New("not in the remote cache")

// Config locates a remote cache, as Bazel's --remote_cache does.
type Config struct {
	URL      string            // grpc://, grpcs://, http:// or https://
	Headers  map[string]string // e.g. an API key, like --remote_header
	TLSCA    string            // PEM file of CAs to trust (grpcs/https), like --tls_certificate
	Instance string            // REAPI instance name, like --remote_instance_name
}

// Client reads blobs by digest.
type Client interface {
	Read(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error)
	Close() error
}

// New connects to the cache described by c. c.URL may carry credentials
// (user:password@, as Bazel's --remote_cache accepts); no error or message
// from this package repeats them (see package redact).
func New(c Config) (Client, error) {
	cl, err := newClient(c)
	return cl, redact.Error(err)
}

func newClient(c Config) (Client, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("remote cache %q: %w", redact.URL(c.URL), err)
	}
	tlsConfig, err := tlsFor(c.TLSCA)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "grpc", "grpcs":
		creds := insecure.NewCredentials()
		if u.Scheme == "grpcs" {
			creds = credentials.NewTLS(tlsConfig)
		}
		conn, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(creds))
		if err != nil {
			return nil, err
		}
		return &grpcClient{conn: conn, bs: bytestream.NewByteStreamClient(conn), cfg: c}, nil
	case "http", "https":
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tlsConfig
		return &httpClient{base: strings.TrimSuffix(c.URL, "/"), client: &http.Client{Transport: t}, headers: c.Headers}, nil
	}
	return nil, fmt.Errorf("remote cache %q: scheme must be grpc, grpcs, http or https", redact.URL(c.URL))
}

func tlsFor(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificates", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

type grpcClient struct {
	conn *grpc.ClientConn
	bs   bytestream.ByteStreamClient
	cfg  Config
}

func (g *grpcClient) Close() error { return g.conn.Close() }

func (g *grpcClient) Read(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	name := fmt.Sprintf("blobs/%s/%d", d.Digest.Hex, d.Size)
	if g.cfg.Instance != "" {
		name = g.cfg.Instance + "/" + name
	}
	ctx, cancel := context.WithCancel(ctx)
	for k, v := range g.cfg.Headers {
		ctx = metadata.AppendToOutgoingContext(ctx, strings.ToLower(k), v)
	}
	stream, err := g.bs.Read(ctx, &bytestream.ReadRequest{ResourceName: name})
	if err != nil {
		cancel()
		return nil, grpcErr(err)
	}
	// The first message tells whether the blob exists.
	first, err := stream.Recv()
	if err != nil && err != io.EOF {
		cancel()
		return nil, grpcErr(err)
	}
	return &streamReader{stream: stream, buf: first.GetData(), cancel: cancel, eof: err == io.EOF}, nil
}

func grpcErr(err error) error {
	if status.Code(err) == codes.NotFound {
		return ErrNotFound
	}
	return redact.Error(err)
}

type streamReader struct {
	stream bytestream.ByteStream_ReadClient
	buf    []byte
	cancel context.CancelFunc
	eof    bool
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.eof {
			return 0, io.EOF
		}
		m, err := s.stream.Recv()
		if err == io.EOF {
			s.eof = true
			continue
		}
		if err != nil {
			return 0, grpcErr(err)
		}
		s.buf = m.GetData()
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *streamReader) Close() error { s.cancel(); return nil }

type httpClient struct {
	base    string
	client  *http.Client
	headers map[string]string
}

func (h *httpClient) Close() error { return nil }

func (h *httpClient) Read(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/cas/"+d.Digest.Hex, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// net/http masks the password of a URL in its errors, but not a
		// token given as the user name.
		return nil, redact.Error(err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, ErrNotFound
	}
	resp.Body.Close()
	return nil, fmt.Errorf("remote cache: GET /cas/%s: %s", d.Digest.Hex, resp.Status)
}

// FromEnv reads the cache location from the environment a CI job exports
// next to its --remote_cache flag: STRATA_REMOTE_CACHE (URL),
// STRATA_REMOTE_HEADERS ("Name=Value" pairs separated by newlines or commas),
// STRATA_REMOTE_TLS_CA and STRATA_REMOTE_INSTANCE. ok is false when unset.
func FromEnv() (c Config, ok bool) {
	c.URL = os.Getenv("STRATA_REMOTE_CACHE")
	if c.URL == "" {
		return c, false
	}
	c.TLSCA = os.Getenv("STRATA_REMOTE_TLS_CA")
	c.Instance = os.Getenv("STRATA_REMOTE_INSTANCE")
	c.Headers = map[string]string{}
	for _, kv := range strings.FieldsFunc(os.Getenv("STRATA_REMOTE_HEADERS"), func(r rune) bool { return r == '\n' || r == ',' }) {
		if k, v, found := strings.Cut(strings.TrimSpace(kv), "="); found {
			c.Headers[k] = v
		}
	}
	return c, true
}
