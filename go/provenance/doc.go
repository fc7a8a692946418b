// Package provenance writes an in-toto Statement v1 with a SLSA Provenance v1
// predicate for a built image, from what the Bazel build declared: the
// subject is the image digest, the resolved dependencies are the base image
// digest, every layer blob digest and the sha256 of every declared input of
// every layer action, and the external parameters are the target label and,
// when stamping, the workspace status. It uses the in-toto attestation Go
// bindings (github.com/in-toto/attestation/go) and validates with them.
//
// Output is byte-identical for identical inputs when the build is unstamped:
// dependencies are sorted, no time or host is recorded, and the JSON is
// re-encoded with sorted keys (protojson's own output deliberately varies its
// whitespace between runs).
package provenance
