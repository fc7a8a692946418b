package regclient

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Environment variables for credentials, for CI systems that inject secrets
// as variables rather than files.
const (
	EnvUsername = "STRATA_REGISTRY_USERNAME"
	EnvPassword = "STRATA_REGISTRY_PASSWORD"
	// EnvHost limits the two variables above to one registry host[:port];
	// unset, they apply to every registry.
	EnvHost = "STRATA_REGISTRY_HOST"
	// EnvAuthFile names a containers-auth.json (podman, skopeo, buildah).
	EnvAuthFile = "REGISTRY_AUTH_FILE"
)

// Keychain resolves credentials in this order: environment variables,
// REGISTRY_AUTH_FILE, then docker's config.json (DOCKER_CONFIG or
// ~/.docker/config.json, including credHelpers and credsStore). With none, the
// registry's anonymous token flow is used.
func Keychain() authn.Keychain {
	return authn.NewMultiKeychain(envKeychain{}, authFileKeychain{}, authn.DefaultKeychain)
}

type envKeychain struct{}

func (envKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	user, pass := os.Getenv(EnvUsername), os.Getenv(EnvPassword)
	if user == "" || pass == "" {
		return authn.Anonymous, nil
	}
	if host := os.Getenv(EnvHost); host != "" && host != r.RegistryStr() {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// authFileKeychain reads the "auths" map of REGISTRY_AUTH_FILE.
type authFileKeychain struct{}

func (authFileKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	path := os.Getenv(EnvAuthFile)
	if path == "" {
		return authn.Anonymous, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	for host, a := range f.Auths {
		if strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://") != r.RegistryStr() {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil {
			return nil, err
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
	}
	return authn.Anonymous, nil
}
