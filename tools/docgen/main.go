// Command docgen rewrites the attribute tables in docs/<rule>.md from the
// doc strings of the rules in rules/private. Run from the repository root:
//
//	go run ./tools/docgen
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-build/rules_strata/go/ruledocs"
)

func main() {
	files, _ := filepath.Glob("rules/private/*.bzl")
	for _, f := range files {
		rules, err := ruledocs.ParseFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, r := range rules {
			page := strings.TrimSuffix(r.Name, "_rule") // image_rule is documented on image.md
			doc := filepath.Join("docs", page+".md")
			old, err := os.ReadFile(doc)
			if err != nil {
				continue // not a public rule
			}
			updated, err := ruledocs.Splice(string(old), r)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", doc, err)
				os.Exit(1)
			}
			if updated != string(old) {
				os.WriteFile(doc, []byte(updated), 0o644)
				fmt.Println("updated", doc)
			}
		}
	}
}
