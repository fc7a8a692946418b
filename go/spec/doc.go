// Package spec is the wire contract between the Starlark rules and the
// strata tool: every JSON file one side writes and the other reads, its
// version and its one strict reader. It is the ground floor of the Go code:
// it imports only the standard library and go-containerregistry's v1 and
// types, so every other package may depend on it and it on none of them.
//
// The files, who writes them and who reads them:
//
//	file                  type        written by                        read by
//	NAME.layer.json       Layer       image_layer (Starlark)            strata layer
//	NAME.descriptor.json  Descriptor  strata layer; strata pull         strata image, writers, push-spec, sbom, provenance
//	NAME.image.json       Image       image (Starlark)                  strata image
//	NAME.image_files.json ImageFiles  image, pulled_image, image_test   oci-layout, docker-archive, inspect, push-spec, image-test, index-layout, index-push-spec, inspect-index
//	NAME.push.json        Push        strata push-spec                  strata push, probe
//	NAME.push.json        IndexPush   strata index-push-spec            strata push-index, probe-index
//	NAME.attach.json      Attach      strata attach-spec                strata push, push-index
//	NAME.sbom.json        SBOM        image's sbom group (Starlark)     strata sbom
//	NAME.image_test.json  ImageTest   image_test (Starlark)             strata image-test
//	pulled.json           Pulled      strata pull                       image_pull (Starlark)
//
// Every file carries "v": Version. Read refuses a file of another version,
// a field it does not know and a missing required field, naming the file:
// a skew between the rules and the tool (a stale tool binary, a hand-edited
// file) fails loudly instead of silently dropping a setting. Paths inside
// the files are execution-root paths (File.path), except in push specs,
// whose blobs are resolved by the push (see go/push) and in image_test's
// files, which are runfiles paths.
//
// A descriptor carries the label of the image_layer that built it (Label,
// for the config history and messages; BazelLabel, what push hands back to
// `bazel build` when a remote cache evicted the blob), so no action takes
// a list of labels parallel to a list of descriptors.
//
// What turns a spec into something (a layer, an image, a v1.Image) lives
// beside that thing, not here: this package only reads and writes.
package spec
