// Package attach puts an image's supply-chain documents next to it in a
// registry, after push:
//
//   - the SBOM (SPDX JSON) and the provenance (in-toto statement) as OCI 1.1
//     referrers: artifact manifests whose `subject` is the image manifest,
//     written with go-containerregistry, which uses the registry's referrers
//     API when it has one and maintains the referrers tag schema
//     (`sha256-<hex>`) when it does not;
//   - with a key, a signature and a signed attestation in cosign's layout
//     (tags `sha256-<hex>.sig` and `sha256-<hex>.att`), so that
//     `cosign verify --key` and `cosign verify-attestation --key` accept the
//     image. Signing uses sigstore's libraries, not cosign itself, to keep the
//     strata tool's dependencies small. Keyless signing (Fulcio, Rekor) needs
//     the internet and is not done here.
//
// Attach is idempotent: a referrer already listed, a signature that verifies
// with the key, or an attestation of the same statement that verifies, is
// not written again. ECDSA signatures differ on every run, so presence is
// decided by verifying, never by comparing digests.
//
// The private key is read when `bazel run` runs the push (LoadKey), never by
// an action: it is in no output, action key or cache.
package attach
