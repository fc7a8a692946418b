package image

import (
	"fmt"

	"github.com/strata-build/rules_strata/go/jsonspec"
)

// Spec is what the image rule asks for, written by Starlark as JSON.
type Spec struct {
	Target       string `json:"target"`
	BaseManifest string `json:"base_manifest"` // "" for scratch
	BaseConfig   string `json:"base_config"`
	// Layers are descriptor files, in order; LayerTargets the labels that
	// produced them (recorded in the config history).
	Layers       []string          `json:"layers"`
	LayerTargets []string          `json:"layer_targets"`
	Created      int64             `json:"created"` // seconds since the epoch
	OS           string            `json:"os"`
	Architecture string            `json:"architecture"`
	Variant      string            `json:"variant"`
	Entrypoint   []string          `json:"entrypoint"` // nil = inherit from base
	Cmd          []string          `json:"cmd"`        // nil = inherit from base
	Env          map[string]string `json:"env"`
	Workdir      string            `json:"workdir"`
	User         string            `json:"user"`
	Labels       map[string]string `json:"labels"`
	ExposedPorts []string          `json:"exposed_ports"`
	Volumes      []string          `json:"volumes"`
	Annotations  map[string]string `json:"annotations"`
	// Status are Bazel's workspace status files, given only when the rule
	// stamps: then {KEY} in label and annotation values is filled, and
	// CreatedFrom (a status key) sets Created.
	Status      []string `json:"status"`
	CreatedFrom string   `json:"created_from"`
}

// ReadSpec loads a spec file.
func ReadSpec(path string) (Spec, error) {
	var s Spec
	if err := jsonspec.Read(path, "image spec", &s); err != nil {
		return s, err
	}
	if len(s.LayerTargets) != len(s.Layers) {
		return s, fmt.Errorf("%s: %d layers but %d layer targets", path, len(s.Layers), len(s.LayerTargets))
	}
	return s, nil
}
