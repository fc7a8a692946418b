package casclient_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/casclient"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestAgainstBazelRemote reads blobs through both protocols of a real
// bazel-remote (scripts/test.sh builds it and sets STRATA_BAZEL_REMOTE).
func TestAgainstBazelRemote(t *testing.T) {
	bin := os.Getenv("STRATA_BAZEL_REMOTE")
	if bin == "" {
		t.Skip("STRATA_BAZEL_REMOTE is not set (scripts/test.sh sets it)")
	}
	httpPort, grpcPort := freePort(t), freePort(t)
	cmd := exec.Command(bin, "--dir", t.TempDir(), "--max_size", "1",
		"--http_address", fmt.Sprintf("127.0.0.1:%d", httpPort), "--grpc_address", fmt.Sprintf("127.0.0.1:%d", grpcPort))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/status"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			t.Fatal("bazel-remote did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	blob := bytes.Repeat([]byte("layer bytes "), 300000) // several ByteStream chunks
	sum := sha256.Sum256(blob)
	desc := v1.Descriptor{Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, Size: int64(len(blob))}
	req, _ := http.NewRequest(http.MethodPut, base+"/cas/"+desc.Digest.Hex, bytes.NewReader(blob))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	missing := v1.Descriptor{Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(make([]byte, 32))}, Size: 3}
	for _, url := range []string{fmt.Sprintf("grpc://127.0.0.1:%d", grpcPort), base} {
		c, err := casclient.New(casclient.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := c.Read(context.Background(), desc)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("%s: read %d bytes (%v), want the %d uploaded", url, len(got), err, len(blob))
		}
		if _, err := c.Read(context.Background(), missing); err != casclient.ErrNotFound {
			t.Errorf("%s: missing blob gave %v, want ErrNotFound", url, err)
		}
		c.Close()
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("STRATA_REMOTE_CACHE", "grpcs://cache.example:443")
	t.Setenv("STRATA_REMOTE_HEADERS", "x-api-key=abc,x-team=build")
	c, ok := casclient.FromEnv()
	if !ok || c.URL != "grpcs://cache.example:443" || c.Headers["x-api-key"] != "abc" || c.Headers["x-team"] != "build" {
		t.Fatalf("%+v %v", c, ok)
	}
	if _, err := casclient.New(casclient.Config{URL: "ftp://x"}); err == nil {
		t.Error("accepted an ftp cache")
	}
}

// TestCredentialsNeverInErrors: a cache URL may carry credentials (Bazel
// accepts grpc://user:password@host and https://token@host); no error this
// package returns may repeat them, whatever fails.
func TestCredentialsNeverInErrors(t *testing.T) {
	closed := freePort(t)
	blob := v1.Descriptor{Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(make([]byte, 32))}, Size: 3}
	for _, url := range []string{
		"grpc://ci:secret@127.0.0.1:notaport",
		"ftp://ci:secret@127.0.0.1:1",
		"http://ci:secret@127.0.0.1:notaport",
		fmt.Sprintf("http://secret@127.0.0.1:%d", closed), // a token as the user name
		fmt.Sprintf("http://ci:secret@127.0.0.1:%d", closed),
		fmt.Sprintf("grpc://ci:secret@127.0.0.1:%d", closed),
	} {
		c, err := casclient.New(casclient.Config{URL: url})
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = c.Read(ctx, blob)
			cancel()
			c.Close()
		}
		if err == nil {
			t.Errorf("%s: no error", url)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error repeats the credentials of the cache URL: %v", err)
		}
	}
}
