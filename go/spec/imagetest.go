package spec

// ImageTest is what an image_test target asks for. Empty fields are not
// checked.
type ImageTest struct {
	Header
	Target string `json:"target"`
	// Files maps an absolute path to an expectation: space-separated tokens
	// `file`|`dir`|`symlink`, `mode=0755`, `owner=0:0`, `target=/x`,
	// `sha256=<hex>`. An empty string only asks that the path exists.
	Files map[string]string `json:"files"`
	// Absent lists paths that must not exist.
	Absent []string        `json:"absent"`
	Config ImageTestConfig `json:"config"`
	// Budgets in bytes; 0 means no budget. Compressed sizes are the stored
	// blob sizes; uncompressed sizes are the layers' tar streams.
	MaxLayerSize             int64 `json:"max_layer_size"`
	MaxSize                  int64 `json:"max_size"`
	MaxLayerUncompressedSize int64 `json:"max_layer_uncompressed_size"`
	MaxUncompressedSize      int64 `json:"max_uncompressed_size"`
}

// ImageTestConfig holds expected config fields. Lists are compared whole;
// Env and Labels only for the keys given.
type ImageTestConfig struct {
	Entrypoint   []string          `json:"entrypoint"`
	Cmd          []string          `json:"cmd"`
	Env          map[string]string `json:"env"`
	User         string            `json:"user"`
	WorkingDir   string            `json:"workdir"`
	ExposedPorts []string          `json:"exposed_ports"`
	Labels       map[string]string `json:"labels"`
}

func (t *ImageTest) check() error { return required("target", t.Target) }

// ReadImageTest loads an image_test spec.
func ReadImageTest(path string) (ImageTest, error) {
	return readAs[ImageTest](path, "image test spec")
}
