// Package regclient holds what every talk with a registry needs: credentials
// (docker config.json and podman's REGISTRY_AUTH_FILE, both read with
// docker/cli's loader: auths, identitytoken, credHelpers, credsStore;
// environment variables; anonymous bearer tokens), the rules for where they
// may go (Access: environment credentials only to the registries pushed to,
// never over plain HTTP to another machine unless the user named it in
// STRATA_REGISTRY_INSECURE, never to a redirect or token server on a private
// address), a check that a host is a registry at all, and an HTTP transport
// that survives real networks: retries with exponential backoff and jitter
// on connection errors, 408, 429 (honouring Retry-After) and 5xx, and a
// per-attempt idle timeout so a stalled response is retried instead of
// hanging the build.
//
// Secrets are only ever handed to go-containerregistry's authenticator; this
// package never prints, logs or writes them.
package regclient
