package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Version is the version of every file of the contract. A change to a
// file's meaning (not an added optional field) bumps it, in the rules and
// the tool together.
const Version = 1

// Header is embedded in every file type: "v" is its first field.
type Header struct {
	V int `json:"v"`
}

func (h *Header) header() *Header { return h }

// Wire is a type of the contract: it has a header and knows its required
// fields.
type Wire interface {
	header() *Header
	// check reports the first required field that is missing or malformed.
	check() error
}

// Read decodes the file at path into f and checks its version and required
// fields; what names the file's kind in errors ("layer spec").
func Read(path, what string, f Wire) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return Decode(b, path, what, f)
}

// Decode is Read of bytes; path only names them in errors.
func Decode(b []byte, path, what string, f Wire) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: bad %s: the file is empty or cut short (%w); the rule writes it: rebuild the target", path, what, err)
		}
		return fmt.Errorf("%s: bad %s: %w", path, what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: bad %s: more than one JSON value", path, what)
	}
	if v := f.header().V; v != Version {
		return fmt.Errorf("%s: bad %s: version %d, this strata reads version %d (\"v\": %d); the rules and the tool come from different rules_strata releases: rebuild with one release", path, what, v, Version, Version)
	}
	if err := f.check(); err != nil {
		return fmt.Errorf("%s: bad %s: %w", path, what, err)
	}
	return nil
}

// Write stores f at path as indented JSON (humans read these while
// debugging), with the current version.
func Write(path string, f Wire) error {
	b, err := Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Marshal is the bytes Write stores.
func Marshal(f Wire) ([]byte, error) {
	f.header().V = Version
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// readAs is Read into a new value of one of the types.
func readAs[T any, P interface {
	*T
	Wire
}](path, what string) (T, error) {
	var v T
	err := Read(path, what, P(&v))
	return v, err
}

// required takes (name, value) pairs and reports the first empty value.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("missing required field %q", pairs[i])
		}
	}
	return nil
}
