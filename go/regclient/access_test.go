package regclient_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

var fast = regclient.Retry{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 5 * time.Second}

// recorder is a server that wants Basic auth and records every
// Authorization header it is sent: a rogue registry, token server or
// redirect target.
type recorder struct {
	mu   sync.Mutex
	seen []string
	next http.Handler // serves requests that carry credentials; nil: 200
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a := r.Header.Get("Authorization"); a != "" {
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Method+" "+r.URL.Path+" "+a)
		rec.mu.Unlock()
		if rec.next != nil {
			rec.next.ServeHTTP(w, r)
		}
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="rogue"`)
	w.WriteHeader(http.StatusUnauthorized)
}

func (rec *recorder) got() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}

var host = registrytest.Host

// serve serves h until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// withEnvCredentials is a machine with no credential files and
// STRATA_REGISTRY_USERNAME/PASSWORD set to ci/secret.
func withEnvCredentials(t *testing.T) {
	noFiles(t)
	t.Setenv(regclient.EnvUsername, "ci")
	t.Setenv(regclient.EnvPassword, "secret")
}

func noFiles(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(regclient.EnvAuthFile, "")
	t.Setenv(regclient.EnvHost, "")
	t.Setenv(regclient.EnvInsecure, "")
}

// TestEnvCredentialsOnlyGoToPushHosts: with STRATA_REGISTRY_USERNAME/PASSWORD
// and no STRATA_REGISTRY_HOST, a registry that is not a push target (a base
// image's registry) and asks for Basic auth gets nothing; a push target does.
func TestEnvCredentialsOnlyGoToPushHosts(t *testing.T) {
	withEnvCredentials(t)
	rogue := &recorder{}
	srv := serve(t, rogue)
	target := serve(t, &recorder{next: registrytest.New()})

	a := regclient.NewAccess(host(target))
	ref, _ := name.ParseReference(host(srv) + "/base/app:latest")
	if _, err := remote.Head(ref, a.RemoteOptions(context.Background(), fast, 1)...); err == nil {
		t.Fatal("the rogue registry accepted an anonymous request; the test proves nothing")
	}
	if got := rogue.got(); len(got) != 0 {
		t.Fatalf("credentials meant for %s went to %s: %q", host(target), host(srv), got)
	}
	// Control: the same server as a push target does get them.
	a = regclient.NewAccess(host(srv))
	remote.Head(ref, a.RemoteOptions(context.Background(), fast, 1)...)
	if got := rogue.got(); len(got) == 0 || !strings.Contains(got[0], "Basic "+base64.StdEncoding.EncodeToString([]byte("ci:secret"))) {
		t.Fatalf("a push target did not get the environment credentials: %q", got)
	}
}

// TestEnvHostStillScopes: STRATA_REGISTRY_HOST names the one registry.
func TestEnvHostStillScopes(t *testing.T) {
	withEnvCredentials(t)
	rogue := &recorder{}
	srv := serve(t, rogue)
	t.Setenv(regclient.EnvHost, "other.example:5000")
	ref, _ := name.ParseReference(host(srv) + "/x:latest")
	remote.Head(ref, regclient.NewAccess(host(srv)).RemoteOptions(context.Background(), fast, 1)...)
	if got := rogue.got(); len(got) != 0 {
		t.Fatalf("STRATA_REGISTRY_HOST=other.example:5000, yet %s got %q", host(srv), got)
	}
}

// TestRedirectAndRealmGetNoCredentials: a push target whose token realm or
// redirect points at a second server on this machine: that server never sees
// an Authorization header.
func TestRedirectAndRealmGetNoCredentials(t *testing.T) {
	withEnvCredentials(t)
	rogue := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"token":"t"}`) })}
	evil := serve(t, rogue)
	for _, mode := range []string{"realm", "redirect"} {
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case mode == "realm":
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="x"`, evil.URL))
				w.WriteHeader(http.StatusUnauthorized)
			case r.Header.Get("Authorization") == "":
				w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
				w.WriteHeader(http.StatusUnauthorized)
			default:
				http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
			}
		}))
		ref, _ := name.ParseReference(host(target) + "/app:latest")
		remote.Head(ref, regclient.NewAccess(host(target)).RemoteOptions(context.Background(), fast, 1)...)
		target.Close()
		if got := rogue.got(); len(got) != 0 {
			t.Fatalf("%s: the second server got credentials: %q", mode, got)
		}
	}
}

// TestCredentialsAllowed is the plain-HTTP rule, by host name.
func TestCredentialsAllowed(t *testing.T) {
	for _, c := range []struct {
		scheme, host string
		insecure     bool
		ok           bool
	}{
		{"https", "registry.example.com", false, true},
		{"http", "127.0.0.1:5000", false, true},
		{"http", "localhost:5000", false, true},
		{"http", "[::1]:5000", false, true},
		{"http", "registry.internal:5000", false, false},
		{"http", "10.0.0.7:5000", false, false},
		{"http", "registry.internal:5000", true, true},
	} {
		err := regclient.CredentialsAllowed(c.scheme, c.host, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("%s://%s (insecure %v): %v", c.scheme, c.host, c.insecure, err)
		}
		if err != nil && !strings.Contains(err.Error(), regclient.EnvInsecure+"="+c.host) {
			t.Errorf("the refusal does not name the fix: %v", err)
		}
	}
}

// TestPlainHTTPToAnotherMachine: a registry reached by a name that is not
// loopback (here: dialled to a local server, so the request is real) asks
// for Basic auth over plain HTTP. Without STRATA_REGISTRY_INSECURE the
// credentials are not sent and the error says how to allow it; with it they
// are.
func TestPlainHTTPToAnotherMachine(t *testing.T) {
	withEnvCredentials(t)
	rec := &recorder{}
	srv := serve(t, rec)
	dial := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, host(srv))
	}}
	const far = "registry.internal:5000"
	ref, _ := name.ParseReference(far+"/app:latest", name.Insecure)
	head := func() error {
		a := regclient.NewAccess(far)
		opts := append(a.RemoteOptions(context.Background(), fast, 1), remote.WithTransport(a.Transport(dial, fast)))
		_, err := remote.Head(ref, opts...)
		return err
	}
	err := head()
	if err == nil || !strings.Contains(err.Error(), "plain HTTP") || !strings.Contains(err.Error(), regclient.EnvInsecure+"="+far) {
		t.Fatalf("want a refusal that names %s, got %v", regclient.EnvInsecure, err)
	}
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("credentials went over plain HTTP to %s: %q", far, got)
	}
	t.Setenv(regclient.EnvInsecure, "other:1, "+far)
	head()
	if got := rec.got(); len(got) == 0 {
		t.Fatalf("%s=%s was not honoured: no credentials sent", regclient.EnvInsecure, far)
	}
}

// authServer is a registry behind a token server on the same host: /token
// hands out "good-token" for Basic ci:secret or for the refresh token
// "refresh-me" (docker's identitytoken); the registry wants that token.
func authServer(t *testing.T) *httptest.Server {
	reg := registrytest.New()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			u, p, ok := r.BasicAuth()
			r.ParseForm()
			if (ok && u == "ci" && p == "secret") || r.Form.Get("refresh_token") == "refresh-me" {
				fmt.Fprint(w, `{"token":"good-token","access_token":"good-token"}`)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Authorization") != "Bearer good-token" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="test"`, srv.URL))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestConfigFiles: docker's config.json and REGISTRY_AUTH_FILE are read with
// docker/cli's loader: auth (base64), username/password, identitytoken,
// credHelpers and credsStore (a fake helper on PATH) all work, in both.
func TestConfigFiles(t *testing.T) {
	srv := authServer(t)
	h := host(srv)
	bin := t.TempDir()
	helper := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread -r server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"ci\",\"Secret\":\"secret\"}'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-stratatest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	b64 := base64.StdEncoding.EncodeToString([]byte("ci:secret"))
	cases := map[string]string{
		"auth":          fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, h, b64),
		"https key":     fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, "https://"+h, b64),
		"user/password": fmt.Sprintf(`{"auths":{%q:{"username":"ci","password":"secret"}}}`, h),
		"identitytoken": fmt.Sprintf(`{"auths":{%q:{"identitytoken":"refresh-me"}}}`, h),
		"credHelpers":   fmt.Sprintf(`{"credHelpers":{%q:"stratatest"}}`, h),
		"credsStore":    `{"credsStore":"stratatest"}`,
	}
	img, _ := random.Image(64, 1)
	for _, where := range []string{"DOCKER_CONFIG", regclient.EnvAuthFile} {
		for what, body := range cases {
			noFiles(t)
			dir := t.TempDir()
			file := filepath.Join(dir, "config.json")
			os.WriteFile(file, []byte(body), 0o600)
			if where == "DOCKER_CONFIG" {
				t.Setenv("DOCKER_CONFIG", dir)
			} else {
				t.Setenv(regclient.EnvAuthFile, file)
			}
			ref, _ := name.ParseReference(h + "/cfg/app:" + strings.NewReplacer(" ", "-", "/", "-").Replace(what))
			a := regclient.NewAccess(h)
			if err := remote.Write(ref, img, a.RemoteOptions(context.Background(), fast, 1)...); err != nil {
				t.Errorf("%s with %s: %v", where, what, err)
			}
		}
	}
	// The keychain itself, as pull uses it, with a repository-specific key.
	noFiles(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, h+"/only/this", b64)), 0o600)
	t.Setenv("DOCKER_CONFIG", dir)
	repo, _ := name.NewRepository(h + "/only/this")
	auth, err := regclient.Keychain().Resolve(repo)
	if err != nil || auth == authn.Anonymous {
		t.Fatalf("repository-specific auths entry not found: %v %v", auth, err)
	}
}
