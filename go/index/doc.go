// Package index builds a multi-arch image index (an OCI image index, or a
// Docker manifest list on request) from the manifests and configs of already
// built images.
//
// It reads only child manifests and configs, never a layer blob: the index
// action of a Bazel build stays kilobytes whatever the images weigh. Output is
// byte-identical for identical inputs: children keep the order they are
// given in, the platform comes from each child's config, and nothing depends
// on the time, the host or the environment.
package index
