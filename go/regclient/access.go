package regclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Access decides where one command's credentials may go.
//
//   - Credentials from STRATA_REGISTRY_USERNAME/PASSWORD go only to the
//     registries the command was asked to push to (or to
//     STRATA_REGISTRY_HOST), never to a base image's registry.
//   - A request carrying credentials (an Authorization header) to a host
//     that is not a registry of this command (a redirect target, a token
//     server) keeps them only over HTTPS to a public host name or address;
//     to anything else the header is dropped.
//   - Credentials never go over plain HTTP to a host that is not this
//     machine (loopback), unless STRATA_REGISTRY_INSECURE names it: such a
//     request fails with the fix instead.
type Access struct {
	hosts    map[string]bool // nil: the registries the keychain resolves
	insecure map[string]bool
	mu       sync.Mutex
	talked   map[string]bool
}

// NewAccess returns the Access of a command that pushes to hosts
// (registry host[:port] each). With no hosts, environment credentials go to
// whatever registry the command resolves credentials for, which is right
// only for a command that talks to one registry (pull).
func NewAccess(hosts ...string) *Access {
	a := &Access{insecure: InsecureHosts(), talked: map[string]bool{}}
	if len(hosts) > 0 {
		a.hosts = map[string]bool{}
		for _, h := range hosts {
			a.hosts[h] = true
		}
	}
	return a
}

// InsecureHosts reads STRATA_REGISTRY_INSECURE.
func InsecureHosts() map[string]bool {
	m := map[string]bool{}
	for _, h := range strings.FieldsFunc(os.Getenv(EnvInsecure), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		m[h] = true
	}
	return m
}

func (a *Access) talkTo(host string) {
	a.mu.Lock()
	a.talked[host] = true
	a.mu.Unlock()
}

func (a *Access) known(host string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hosts[host] || a.talked[host]
}

func (a *Access) envCredentialsFor(registry string) bool {
	if h := os.Getenv(EnvHost); h != "" {
		return h == registry
	}
	return a.hosts == nil || a.hosts[registry]
}

// Transport returns the retrying transport (NewTransport over inner, nil
// for a fresh one) behind a guard that applies the rules of Access to every
// request go-containerregistry's authenticating transports send.
func (a *Access) Transport(inner http.RoundTripper, r Retry) http.RoundTripper {
	return &guard{a: a, next: NewTransport(inner, r)}
}

// RemoteOptions configures go-containerregistry's remote package with a's
// keychain and transport and the retry budget for whole-blob uploads (whose
// bodies the transport cannot replay). wrap, if given, wraps the transport
// (push counts mounts with it).
func (a *Access) RemoteOptions(ctx context.Context, r Retry, jobs int, wrap ...func(http.RoundTripper) http.RoundTripper) []remote.Option {
	t := a.Transport(nil, r)
	for _, w := range wrap {
		t = w(t)
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(a.Keychain()),
		remote.WithTransport(t),
		remote.WithRetryBackoff(remote.Backoff{Duration: r.BaseDelay, Factor: 2, Jitter: 0.5, Steps: r.Attempts, Cap: r.MaxDelay}),
		remote.WithRetryStatusCodes(408, 429, 500, 502, 503, 504),
		remote.WithJobs(max(jobs, 1)),
		remote.WithUserAgent("rules_strata"),
	}
}

type guard struct {
	a    *Access
	next http.RoundTripper
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") == "" {
		return g.next.RoundTrip(req)
	}
	host := req.URL.Host
	if !g.a.known(host) && (req.URL.Scheme != "https" || local(req.URL.Hostname())) {
		// Not a registry of this command, and no public HTTPS host either:
		// it gets no credentials.
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
		return g.next.RoundTrip(req)
	}
	if err := CredentialsAllowed(req.URL.Scheme, host, g.a.insecure[host]); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// CredentialsAllowed decides whether credentials may be sent to host over
// scheme: always over HTTPS; over plain HTTP only to this machine (loopback)
// or to a host the user named in STRATA_REGISTRY_INSECURE (insecureOK).
func CredentialsAllowed(scheme, host string, insecureOK bool) error {
	if scheme == "https" || insecureOK || loopback(hostname(host)) {
		return nil
	}
	return usererr.New("", host, fmt.Sprintf("refusing to send registry credentials over plain HTTP (%s://) to a host that is not this machine", scheme),
		fmt.Sprintf("serve the registry over HTTPS; or, if it really is plain HTTP on a network you trust, set %s=%s", EnvInsecure, host))
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// local reports an IP literal that is not a public address (loopback,
// private, link-local, unspecified) or a localhost name: never a token
// server or blob store that may see credentials meant for a registry.
func local(host string) bool {
	if loopback(host) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified())
}
