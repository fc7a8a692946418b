package pushspec

import (
	"encoding/json"
	"fmt"
	"os"
)

// Index is the push spec of an image index: its exact bytes and digest, and
// one Spec per child image, in index order.
type Index struct {
	Digest   string `json:"index_digest"`
	Index    []byte `json:"index"`
	Children []Spec `json:"children"`
}

// WriteIndex stores s at path.
func WriteIndex(path string, s Index) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadIndex loads a spec written by WriteIndex.
func ReadIndex(path string) (Index, error) {
	var s Index
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	if s.Digest == "" || len(s.Index) == 0 {
		return s, fmt.Errorf("%s: not an index push spec", path)
	}
	return s, nil
}
