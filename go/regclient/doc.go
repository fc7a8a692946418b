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
//
// Why a transport of its own: go-containerregistry's retry options
// (remote.WithRetryBackoff, WithRetryStatusCodes) retry a failed request, but
// do not honour Retry-After and have no idle timeout per attempt, so a
// response that stalls mid-body hangs until the whole push is cancelled. The
// watchdog here abandons and retries a try that moves no bytes for
// Retry.Timeout. Everything else (the registry protocol, auth challenges,
// digests) is left to go-containerregistry, which this package only
// configures (RemoteOptions).
//
// The name stays for now: other work in flight touches this package. It
// shares its name with a well-known registry client library, which misleads
// a reader into thinking that library is used. "registryaccess" says what it
// is (how strata may reach registries: credentials, where they may go, the
// transport) without that clash, and without the one "registry" would have
// with go-containerregistry's pkg/registry that the tests use; it is the name
// to move to once nothing else is editing the package.
package regclient
