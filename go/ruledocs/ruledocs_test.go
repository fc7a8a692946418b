package ruledocs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/ruledocs"
)

const repo = "../.."

// publicRules maps each rule exported by rules/defs.bzl to the .bzl file and
// rule variable whose attributes docs/<name>.md documents (the `image` macro
// passes its extra arguments on to image_rule).
var publicRules = map[string][2]string{
	"image":            {"rules/private/image.bzl", "image_rule"},
	"image_rule":       {"rules/private/image.bzl", "image_rule"},
	"image_layer":      {"rules/private/layer.bzl", "image_layer"},
	"image_push":       {"rules/private/push.bzl", "image_push"},
	"image_probe":      {"rules/private/push.bzl", "image_probe"},
	"image_load":       {"rules/private/load.bzl", "image_load"},
	"image_pull":       {"rules/private/image_pull.bzl", "image_pull"},
	"image_inspect":    {"rules/private/inspect.bzl", "image_inspect"},
	"image_index":      {"rules/private/image_index.bzl", "image_index_rule"},
	"image_index_rule": {"rules/private/image_index.bzl", "image_index_rule"},
	"image_test":       {"rules/private/image_test.bzl", "image_test"},
}

// TestDocsAreCurrent fails when docs/<rule>.md's attribute table differs from
// the rule's attribute docs (fix: go run ./tools/docgen).
func TestDocsAreCurrent(t *testing.T) {
	for name, where := range publicRules {
		bzl, ruleName := where[0], where[1]
		if strings.HasSuffix(name, "_rule") {
			continue // documented on the macro's page, e.g. docs/image.md
		}
		rules, err := ruledocs.ParseFile(filepath.Join(repo, bzl))
		if err != nil {
			t.Fatal(err)
		}
		var rule *ruledocs.Rule
		for i := range rules {
			if rules[i].Name == ruleName {
				rule = &rules[i]
			}
		}
		if rule == nil {
			t.Fatalf("%s defines no rule %s", bzl, ruleName)
		}
		doc, err := os.ReadFile(filepath.Join(repo, "docs", name+".md"))
		if err != nil {
			t.Fatalf("rule %s has no docs/%s.md: %v", name, name, err)
		}
		want, err := ruledocs.Splice(string(doc), *rule)
		if err != nil {
			t.Fatalf("docs/%s.md: %v", name, err)
		}
		if want != string(doc) {
			t.Errorf("docs/%s.md is out of date with %s (fix: go run ./tools/docgen)", name, bzl)
		}
	}
}

// TestEveryPublicRuleIsListed keeps publicRules in step with rules/defs.bzl.
func TestEveryPublicRuleIsListed(t *testing.T) {
	defs, err := os.ReadFile(filepath.Join(repo, "rules/defs.bzl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^([a-z_]+) = _`).FindAllStringSubmatch(string(defs), -1) {
		if _, ok := publicRules[m[1]]; !ok {
			t.Errorf("rules/defs.bzl exports %s but it has no entry here (and maybe no docs/%s.md)", m[1], m[1])
		}
	}
}

// TestExamplesAreBuilt: every ```starlark block in docs/ must appear verbatim
// in a BUILD file under examples/ or in the root WORKSPACE, which the e2e
// tests build.
func TestExamplesAreBuilt(t *testing.T) {
	ws, err := os.ReadFile(filepath.Join(repo, "WORKSPACE"))
	if err != nil {
		t.Fatal(err)
	}
	builds := []string{string(ws)}
	filepath.Walk(filepath.Join(repo, "examples"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "BUILD.bazel" {
			b, _ := os.ReadFile(p)
			builds = append(builds, string(b))
		}
		return nil
	})
	docs, _ := filepath.Glob(filepath.Join(repo, "docs", "*.md"))
	block := regexp.MustCompile("(?s)```starlark\n(.*?)```")
	n := 0
	for _, d := range docs {
		b, _ := os.ReadFile(d)
		for _, m := range block.FindAllStringSubmatch(string(b), -1) {
			n++
			found := false
			for _, build := range builds {
				found = found || strings.Contains(build, m[1])
			}
			if !found {
				t.Errorf("%s: example is not in WORKSPACE or any examples/**/BUILD.bazel, so no test builds it:\n%s", filepath.Base(d), m[1])
			}
		}
	}
	if n == 0 {
		t.Error("docs/ has no ```starlark examples")
	}
}
