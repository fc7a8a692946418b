// Command spdxcheck reads an SPDX JSON document with the SPDX tools' own
// parser (github.com/spdx/tools-golang), validates it, and prints what the
// e2e test compares, one fact per line:
//
//	namespace URI
//	described ID
//	package NAME VERSION
//	file PATH SHA256
//
// It is the independent reader of e2e/real_inputs/sbom.sh: it shares no code
// with the writer in go/sbom.
package main

import (
	"fmt"
	"os"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spdxcheck FILE.spdx.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "spdxcheck: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	doc, err := spdxjson.Read(f)
	if err != nil {
		return err
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		return fmt.Errorf("spdxVersion %q, want SPDX-2.3", doc.SPDXVersion)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		return err
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil {
		return err
	}
	fmt.Printf("namespace %s\n", doc.DocumentNamespace)
	for _, id := range described {
		fmt.Printf("described %s\n", id)
	}
	for _, p := range doc.Packages {
		fmt.Printf("package %s %s\n", p.PackageName, p.PackageVersion)
	}
	for _, fl := range doc.Files {
		if len(fl.Checksums) != 1 || fl.Checksums[0].Algorithm != "SHA256" {
			return fmt.Errorf("file %s: checksums %v, want one SHA256", fl.FileName, fl.Checksums)
		}
		fmt.Printf("file %s %s\n", fl.FileName, fl.Checksums[0].Value)
	}
	return nil
}
