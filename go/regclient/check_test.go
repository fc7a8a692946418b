package regclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

func registryOf(t *testing.T, srv *httptest.Server) name.Registry {
	t.Helper()
	reg, err := name.NewRegistry(host(srv))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestCheckRegistry: real registries (open, and behind a token server) pass;
// a 404 or an HTML page fails naming the host and the fix; anything else is
// left to the push to report.
func TestCheckRegistry(t *testing.T) {
	html := func(status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprint(w, "<html><body>Welcome</body></html>")
		})
	}
	cases := []struct {
		name    string
		handler http.Handler
		want    string // "" for no error
	}{
		{"a registry", registrytest.New(), ""},
		{"a 404", http.NotFoundHandler(), "answered 404 Not Found"},
		{"an HTML page", html(200), "answered 200 OK with an HTML page"},
		{"an HTML 401 (a login page before a registry)", html(401), ""},
		{"a 500 (the push reports it)", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			err := regclient.NewAccess().CheckRegistry(context.Background(), registryOf(t, srv), fast)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range []string{host(srv), "is not an OCI registry", c.want, regclient.NotRegistryFix} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
		})
	}
	t.Run("behind a token server", func(t *testing.T) {
		noFiles(t)
		if err := regclient.NewAccess().CheckRegistry(context.Background(), registryOf(t, authServer(t)), fast); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nothing listening (the push reports it)", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		reg := registryOf(t, srv)
		srv.Close()
		if err := regclient.NewAccess().CheckRegistry(context.Background(), reg, fast); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRefusedAndNotFound read go-containerregistry's own errors from real
// registries, also when wrapped.
func TestRefusedAndNotFound(t *testing.T) {
	noFiles(t)
	open := httptest.NewServer(registrytest.New())
	defer open.Close()
	missing, _ := name.ParseReference(host(open) + "/no/such:tag")
	_, errMissing := remote.Head(missing, remote.WithTransport(regclient.NewTransport(nil, fast)))
	locked, _ := name.ParseReference(host(authServer(t)) + "/private/app:tag")
	_, errLocked := remote.Head(locked, remote.WithTransport(regclient.NewTransport(nil, fast)))
	for _, c := range []struct {
		name              string
		err               error
		refused, notFound bool
	}{
		{"missing manifest", errMissing, false, true},
		{"wrapped missing manifest", fmt.Errorf("pull: %w", errMissing), false, true},
		{"no credentials", errLocked, true, false},
		{"wrapped no credentials", fmt.Errorf("push: %w", errLocked), true, false},
		{"a plain error", errors.New("401 Unauthorized 404"), false, false},
		{"nil", nil, false, false},
	} {
		if c.err == nil && c.name != "nil" {
			t.Fatalf("%s: the registry gave no error", c.name)
		}
		if got := regclient.Refused(c.err); got != c.refused {
			t.Errorf("%s: Refused = %v (%v)", c.name, got, c.err)
		}
		if got := regclient.NotFound(c.err); got != c.notFound {
			t.Errorf("%s: NotFound = %v (%v)", c.name, got, c.err)
		}
	}
}
