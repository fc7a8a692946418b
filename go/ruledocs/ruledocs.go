// Package ruledocs reads rule definitions from .bzl files (with buildtools'
// Starlark parser) and renders their attributes as Markdown, so docs/ is
// generated from the `doc =` strings beside each attribute and cannot drift.
package ruledocs

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/bazelbuild/buildtools/build"
)

// Attr is one public attribute of a rule.
type Attr struct {
	Name, Kind, Default, Doc string
	Mandatory                bool
}

// Rule is a `NAME = rule(...)` or `NAME = repository_rule(...)` definition.
type Rule struct {
	Name, Doc string
	Attrs     []Attr
}

// ParseFile returns the rules defined in a .bzl file.
func ParseFile(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := build.ParseBzl(path, data)
	if err != nil {
		return nil, err
	}
	globals := map[string]build.Expr{}
	for _, stmt := range f.Stmt {
		if a, ok := stmt.(*build.AssignExpr); ok {
			if id, ok := a.LHS.(*build.Ident); ok {
				globals[id.Name] = a.RHS
			}
		}
	}
	var rules []Rule
	for name, rhs := range globals {
		call, ok := rhs.(*build.CallExpr)
		if !ok || !isIdent(call.X, "rule") && !isIdent(call.X, "repository_rule") {
			continue
		}
		r := Rule{Name: name, Doc: str(kwarg(call, "doc"))}
		entries, err := attrEntries(kwarg(call, "attrs"), globals)
		if err != nil {
			return nil, fmt.Errorf("%s: rule %s: %w", path, name, err)
		}
		for _, kv := range entries {
			if strings.HasPrefix(str(kv.Key), "_") {
				continue // private: implementation detail, not documented
			}
			a, err := parseAttr(kv)
			if err != nil {
				return nil, fmt.Errorf("%s: rule %s: %w", path, name, err)
			}
			if !strings.HasPrefix(a.Name, "_") {
				r.Attrs = append(r.Attrs, a)
			}
		}
		sort.Slice(r.Attrs, func(i, j int) bool { return r.Attrs[i].Name < r.Attrs[j].Name })
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Name < rules[j].Name })
	return rules, nil
}

// attrEntries resolves a rule's attrs: a dict literal, a global holding one,
// or dict(GLOBAL, name = attr.x(...), ...).
func attrEntries(e build.Expr, globals map[string]build.Expr) ([]*build.KeyValueExpr, error) {
	if id, ok := e.(*build.Ident); ok {
		e = globals[id.Name]
	}
	switch v := e.(type) {
	case *build.DictExpr:
		return v.List, nil
	case *build.CallExpr:
		if !isIdent(v.X, "dict") {
			break
		}
		var out []*build.KeyValueExpr
		for _, arg := range v.List {
			switch a := arg.(type) {
			case *build.AssignExpr:
				out = append(out, &build.KeyValueExpr{Key: &build.StringExpr{Value: a.LHS.(*build.Ident).Name}, Value: a.RHS})
			default:
				more, err := attrEntries(a, globals)
				if err != nil {
					return nil, err
				}
				out = append(out, more...)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("attrs must be a dict literal, a global holding one, or dict(GLOBAL, ...)")
}

func parseAttr(kv *build.KeyValueExpr) (Attr, error) {
	name := str(kv.Key)
	call, ok := kv.Value.(*build.CallExpr)
	if !ok {
		return Attr{}, fmt.Errorf("attribute %q is not an attr.*() call", name)
	}
	dot, ok := call.X.(*build.DotExpr)
	if !ok {
		return Attr{}, fmt.Errorf("attribute %q is not an attr.*() call", name)
	}
	a := Attr{Name: name, Kind: dot.Name, Doc: str(kwarg(call, "doc"))}
	if !strings.HasPrefix(name, "_") && a.Doc == "" {
		return a, fmt.Errorf("attribute %q has no doc", name)
	}
	if d := kwarg(call, "default"); d != nil {
		a.Default = build.FormatString(d)
	} else {
		a.Default = zero(a.Kind)
	}
	if m, ok := kwarg(call, "mandatory").(*build.Ident); ok && m.Name == "True" {
		a.Mandatory = true
	}
	return a, nil
}

func zero(kind string) string {
	switch {
	case kind == "string":
		return `""`
	case kind == "int":
		return "0"
	case kind == "bool":
		return "False"
	case strings.HasSuffix(kind, "_list"):
		return "[]"
	case strings.HasSuffix(kind, "_dict"):
		return "{}"
	}
	return "None"
}

func kwarg(call *build.CallExpr, name string) build.Expr {
	for _, arg := range call.List {
		if a, ok := arg.(*build.AssignExpr); ok && isIdent(a.LHS, name) {
			return a.RHS
		}
	}
	return nil
}

func isIdent(e build.Expr, name string) bool {
	id, ok := e.(*build.Ident)
	return ok && id.Name == name
}

func str(e build.Expr) string {
	if s, ok := e.(*build.StringExpr); ok {
		return s.Value
	}
	return ""
}

// Markdown renders r's attribute table.
func (r Rule) Markdown() string {
	var b strings.Builder
	b.WriteString("| Attribute | Type | Default | Description |\n|---|---|---|---|\n")
	for _, a := range r.Attrs {
		def := "`" + a.Default + "`"
		if a.Mandatory {
			def = "required"
		}
		doc := strings.ReplaceAll(strings.ReplaceAll(a.Doc, "|", `\|`), "\n", " ")
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.Name, a.Kind, def, doc)
	}
	return b.String()
}

// Begin and End delimit the generated part of a docs/<rule>.md file.
const (
	Begin = "<!-- BEGIN GENERATED ATTRIBUTES: edit the doc strings in rules/private, then run `go run ./tools/docgen` -->\n"
	End   = "<!-- END GENERATED ATTRIBUTES -->\n"
)

// Splice replaces the generated part of doc with r's attribute table.
func Splice(doc string, r Rule) (string, error) {
	i, j := strings.Index(doc, Begin), strings.Index(doc, End)
	if i < 0 || j < i {
		return "", fmt.Errorf("no generated-attributes markers")
	}
	return doc[:i+len(Begin)] + r.Markdown() + doc[j:], nil
}
