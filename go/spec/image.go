package spec

// Image is what an image target asks the image action for.
type Image struct {
	Header
	Target       string `json:"target"`
	BaseManifest string `json:"base_manifest"` // "" for scratch
	BaseConfig   string `json:"base_config"`
	// Layers are descriptor files, in order; each names the target that
	// built it (recorded in the config history).
	Layers       []string          `json:"layers"`
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

func (i *Image) check() error {
	if i.BaseManifest != "" || i.BaseConfig != "" {
		return required("target", i.Target, "base_manifest", i.BaseManifest, "base_config", i.BaseConfig)
	}
	return required("target", i.Target)
}

// ReadImage loads an image spec.
func ReadImage(path string) (Image, error) { return readAs[Image](path, "image spec") }
