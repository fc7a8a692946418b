// Package jsonspec reads the JSON specs that Starlark rules write for strata
// actions. Unknown fields are rejected, so a skew between the rules and the
// tool fails loudly instead of silently dropping a setting.
package jsonspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Read decodes the spec at path into v; what names the spec in errors.
func Read(path, what string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: bad %s: the file is empty or cut short (%w); the rule writes it: rebuild the target", path, what, err)
		}
		return fmt.Errorf("%s: bad %s: %w", path, what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: bad %s: more than one JSON value", path, what)
	}
	return nil
}
