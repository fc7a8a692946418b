// Package testbinary gives tests the bytes of the running test binary: a
// real Go program, with the build info that SBOM readers look for, and a few
// MiB of what container layers mostly hold, with no file checked in.
package testbinary

import (
	"os"
	"testing"
)

// Bytes is the content of the running test binary.
func Bytes(tb testing.TB) []byte {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
