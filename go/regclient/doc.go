// Package regclient holds what every talk with a registry needs: credentials
// (docker config.json with auths, credHelpers and credsStore; podman's
// REGISTRY_AUTH_FILE; environment variables; anonymous bearer tokens) and an
// HTTP transport that survives real networks: retries with exponential
// backoff and jitter on connection errors, 408, 429 (honouring Retry-After)
// and 5xx, and a per-attempt idle timeout so a stalled response is retried
// instead of hanging the build.
//
// Secrets are only ever handed to go-containerregistry's authenticator; this
// package never prints, logs or writes them.
package regclient
