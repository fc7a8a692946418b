package regclient

import (
	"context"
	"fmt"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Environment variables for credentials, for CI systems that inject secrets
// as variables rather than files.
const (
	EnvUsername = "STRATA_REGISTRY_USERNAME"
	EnvPassword = "STRATA_REGISTRY_PASSWORD"
	// EnvHost limits the two variables above to one registry host[:port].
	// Unset, they apply to the registries the command pushes to (never to a
	// base image's registry, a redirect target or a token server elsewhere).
	EnvHost = "STRATA_REGISTRY_HOST"
	// EnvAuthFile names a containers-auth.json (podman, skopeo, buildah).
	EnvAuthFile = "REGISTRY_AUTH_FILE"
	// EnvInsecure lists registries (host[:port], comma-separated) that may
	// receive credentials over plain HTTP although they are not on this
	// machine. Without it, credentials go over plain HTTP only to loopback.
	EnvInsecure = "STRATA_REGISTRY_INSECURE"
)

// Keychain resolves credentials for a command that talks to one registry
// (pull): see Access.Keychain.
func Keychain() authn.Keychain { return NewAccess().Keychain() }

// Keychain resolves credentials in this order: environment variables (only
// for the registries a.hosts names, or STRATA_REGISTRY_HOST), then
// REGISTRY_AUTH_FILE, then docker's config.json (DOCKER_CONFIG or
// ~/.docker/config.json). Both files are read with docker/cli's own loader,
// so every field docker documents works: auths with auth or
// username/password, identitytoken, registrytoken, credHelpers and
// credsStore. With none, the registry's anonymous token flow is used.
//
// Each registry it resolves is remembered, so the transport knows which hosts
// are registries of this command (see Access.Transport).
func (a *Access) Keychain() authn.Keychain {
	return authn.NewMultiKeychain(
		envKeychain{a},
		fileKeychain{a, func() (*configfile.ConfigFile, error) {
			path := os.Getenv(EnvAuthFile)
			if path == "" {
				return nil, nil
			}
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("%s=%s: %w", EnvAuthFile, path, err)
			}
			defer f.Close()
			cf, err := config.LoadFromReader(f)
			if err != nil {
				return nil, fmt.Errorf("%s=%s: %w", EnvAuthFile, path, err)
			}
			return cf, nil
		}},
		fileKeychain{a, func() (*configfile.ConfigFile, error) {
			// Load, unlike config.Dir, reads DOCKER_CONFIG now rather than
			// once per process.
			return config.Load(os.Getenv("DOCKER_CONFIG"))
		}},
	)
}

type envKeychain struct{ a *Access }

func (k envKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	k.a.talkTo(r.RegistryStr())
	user, pass := os.Getenv(EnvUsername), os.Getenv(EnvPassword)
	if user == "" || pass == "" || !k.a.envCredentialsFor(r.RegistryStr()) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// fileKeychain reads a docker config.json (or a containers-auth.json, the
// same format) with docker/cli's loader.
type fileKeychain struct {
	a    *Access
	load func() (*configfile.ConfigFile, error)
}

func (k fileKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

func (k fileKeychain) ResolveContext(_ context.Context, r authn.Resource) (authn.Authenticator, error) {
	k.a.talkTo(r.RegistryStr())
	cf, err := k.load()
	if err != nil || cf == nil {
		return authn.Anonymous, err
	}
	// A repository-specific entry first, then the registry's (as docker).
	for _, key := range []string{r.String(), r.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		ac, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, err
		}
		if ac.Username != "" || ac.Password != "" || ac.Auth != "" || ac.IdentityToken != "" || ac.RegistryToken != "" {
			return authn.FromConfig(authn.AuthConfig{
				Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
				IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}
