// Package sbom writes an SPDX 2.3 JSON document for a built image from what
// the build itself knows: the files of every layer (path and sha256, read
// from the layer blobs Bazel built or pulled), the base image with its digest,
// and, for each Go program in a layer, the modules and Go version recorded in
// its build info (debug/buildinfo), not guessed from names.
//
// It works in two steps, so that Bazel can cache the first per layer:
// ListLayer turns one layer blob into a Listing (a small JSON file), and
// Document assembles the listings, the image digest and the base into the
// SPDX document, written with github.com/spdx/tools-golang.
//
// Output is byte-identical for identical inputs: files are listed in blob
// order (the order the layer tar holds them, itself deterministic), element
// ids are positional, the document namespace is derived from the image
// digest and the creation time is the image config's `created`.
package sbom
