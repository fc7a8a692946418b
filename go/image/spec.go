package image

import "github.com/strata-build/rules_strata/go/spec"

// Spec is what the image rule asks for: the wire type spec.Image, named
// here as the input of Build.
type Spec = spec.Image

// ReadSpec loads a spec file.
func ReadSpec(path string) (Spec, error) { return spec.ReadImage(path) }
