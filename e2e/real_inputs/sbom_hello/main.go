// A tiny Go program with one module dependency, built by
// e2e/real_inputs/sbom.sh into the sbom package: its build info (main module
// example.com/hello, golang.org/x/sync, the Go version) must show in the SBOM.
package main

import (
	"fmt"

	"golang.org/x/sync/errgroup"
)

func main() {
	var g errgroup.Group
	g.Go(func() error { fmt.Println("hello"); return nil })
	_ = g.Wait()
}
