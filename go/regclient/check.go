package regclient

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/strata-build/rules_strata/go/usererr"
)

// NotRegistryFix is the advice for a host that is not a registry.
const NotRegistryFix = "check the repository's host and port: they must be a registry's (e.g. registry.example.com/team/app, or 127.0.0.1:5000/team/app for a local one), not a web server's"

// CheckRegistry asks reg's base endpoint (GET /v2/) whether it is an OCI
// registry, as go-containerregistry's ping does (HTTPS first; plain HTTP
// too for hosts it treats as insecure), and fails clearly when a web server
// answers instead: a 404, or an HTML page. Anything else (200, 401, a 5xx,
// a network error) is left to the push itself to report.
func (a *Access) CheckRegistry(ctx context.Context, reg name.Registry, r Retry) error {
	schemes := []string{"https"}
	if reg.Scheme() == "http" {
		schemes = append(schemes, "http")
	}
	client := &http.Client{Transport: a.Transport(nil, r)}
	for _, scheme := range schemes {
		url := fmt.Sprintf("%s://%s/v2/", scheme, reg.RegistryStr())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			continue // the next scheme, or the push reports the network error
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		html := mt == "text/html"
		if resp.StatusCode == http.StatusNotFound || (html && resp.StatusCode != http.StatusUnauthorized) {
			kind := ""
			if html {
				kind = " with an HTML page"
			}
			return usererr.New("", reg.RegistryStr(),
				fmt.Sprintf("is not an OCI registry: GET %s answered %s%s (a registry answers 200 or 401 with JSON)", url, resp.Status, kind),
				NotRegistryFix)
		}
		return nil
	}
	return nil
}
