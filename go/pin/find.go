package pin

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/bazelbuild/buildtools/build"
	"github.com/strata-build/rules_strata/go/usererr"
)

// DefaultPlatform is image_pull's default `platform`.
const DefaultPlatform = "linux/amd64"

// Pull is one image_pull (or strata.pull) call found in a file.
type Pull struct {
	File     string // the file as named in messages
	Line     int    // line of the call
	Rule     string // how messages name it: `image_pull(name = "base")`
	Image    string
	Tag      string
	Platform string
	// Platforms is image_pull's `platforms` (children of an index to pull,
	// for image_index); when set, Platform is unused.
	Platforms []string
	Digest    string // the pinned digest; "" when the call has none

	digest  *build.StringExpr // the literal to rewrite; nil: insert one
	image   build.Expr        // the `image = ...` argument, where a new digest goes
	problem *usererr.Error    // why this pull cannot be pinned, if it cannot
}

// Where names the pull for messages: `image_pull(name = "base") in WORKSPACE:12`.
func (p Pull) Where() string { return fmt.Sprintf("%s in %s:%d", p.Rule, p.File, p.Line) }

// Problem is why the pull cannot be resolved or rewritten (nil if it can).
func (p Pull) Problem() *usererr.Error { return p.problem }

// Find parses a WORKSPACE, MODULE.bazel or .bzl file (by its name, as
// buildtools does) and returns its pulls in file order. A file that does not
// parse is an error naming the file and line.
func Find(file string, data []byte) ([]Pull, error) {
	f, err := build.Parse(file, data)
	if err != nil {
		return nil, usererr.New("strata pin", file, "does not parse as Starlark: "+err.Error(), "fix the syntax error (bazel reports the same one)")
	}
	pullFuncs := map[string]bool{"image_pull": true}
	extensions := map[string]bool{}
	for _, stmt := range f.Stmt {
		switch s := stmt.(type) {
		case *build.LoadStmt:
			// load("@rules_strata//rules:defs.bzl", my_pull = "image_pull")
			for i, from := range s.From {
				if from.Name == "image_pull" {
					pullFuncs[s.To[i].Name] = true
				}
			}
		case *build.AssignExpr:
			// strata = use_extension("@rules_strata//rules:extensions.bzl", "strata", ...)
			lhs, ok := s.LHS.(*build.Ident)
			call, ok2 := s.RHS.(*build.CallExpr)
			if !ok || !ok2 || calleeName(call) != "use_extension" || len(call.List) < 2 {
				continue
			}
			bzl, ok := call.List[0].(*build.StringExpr)
			ext, ok2 := call.List[1].(*build.StringExpr)
			if ok && ok2 && strings.HasSuffix(bzl.Value, "//rules:extensions.bzl") && ext.Value == "strata" {
				extensions[lhs.Name] = true
			}
		}
	}
	var pulls []Pull
	build.Walk(f, func(x build.Expr, _ []build.Expr) {
		call, ok := x.(*build.CallExpr)
		if !ok {
			return
		}
		var rule string
		switch fn := call.X.(type) {
		case *build.Ident:
			if !pullFuncs[fn.Name] {
				return
			}
			rule = fn.Name
		case *build.DotExpr:
			v, ok := fn.X.(*build.Ident)
			if !ok || fn.Name != "pull" || !extensions[v.Name] {
				return
			}
			rule = v.Name + ".pull"
		default:
			return
		}
		pulls = append(pulls, readPull(file, data, rule, call))
	})
	return pulls, nil
}

func calleeName(call *build.CallExpr) string {
	if id, ok := call.X.(*build.Ident); ok {
		return id.Name
	}
	return ""
}

// readPull reads the attributes pin needs from one call.
func readPull(file string, data []byte, rule string, call *build.CallExpr) Pull {
	start, _ := call.Span()
	p := Pull{File: file, Line: start.Line, Platform: DefaultPlatform}
	args := map[string]*build.AssignExpr{}
	for _, e := range call.List {
		if a, ok := e.(*build.AssignExpr); ok {
			if id, ok := a.LHS.(*build.Ident); ok {
				args[id.Name] = a
			}
		}
	}
	name := "?"
	if a := args["name"]; a != nil {
		if s, ok := a.RHS.(*build.StringExpr); ok {
			name = fmt.Sprintf("%q", s.Value)
		} else {
			name = build.FormatString(a.RHS)
		}
	}
	p.Rule = fmt.Sprintf("%s(name = %s)", rule, name)
	fail := func(problem, fix string) Pull {
		if p.problem == nil {
			p.problem = usererr.New(p.Where(), "", problem, fix)
		}
		return p
	}
	// literal reads attribute attr; ok is false (and p.problem set) when it
	// is there but not a plain string literal pin could read or rewrite.
	literal := func(attr string) (*build.StringExpr, bool) {
		a := args[attr]
		if a == nil {
			return nil, true
		}
		s, ok := a.RHS.(*build.StringExpr)
		if !ok {
			fail(fmt.Sprintf("%s is %s, not a string literal, so pin can neither read nor rewrite it", attr, build.FormatString(a.RHS)),
				fmt.Sprintf("write %s = \"...\" in the call itself, or pin this pull by hand", attr))
			return nil, false
		}
		return s, true
	}
	img, ok1 := literal("image")
	tag, ok2 := literal("tag")
	dig, ok3 := literal("digest")
	plat, ok4 := literal("platform")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return p
	}
	if plat != nil {
		p.Platform = plat.Value
	}
	if a := args["platforms"]; a != nil {
		list, ok := a.RHS.(*build.ListExpr)
		if !ok {
			return fail(fmt.Sprintf("platforms is %s, not a list of string literals, so pin cannot check the index against it", build.FormatString(a.RHS)),
				`write platforms = ["linux/amd64", ...] in the call itself`)
		}
		for _, e := range list.List {
			s, ok := e.(*build.StringExpr)
			if !ok {
				return fail(fmt.Sprintf("platforms holds %s, not a string literal", build.FormatString(e)), `write platforms = ["linux/amd64", ...] in the call itself`)
			}
			p.Platforms = append(p.Platforms, s.Value)
		}
	}
	if img == nil {
		return fail("no image", `add image = "registry.example.com/team/base"`)
	}
	p.Image, p.image = img.Value, args["image"]
	if tag != nil {
		p.Tag = tag.Value
	}
	if dig != nil {
		p.Digest, p.digest = dig.Value, dig
		tok := string(data[dig.Start.Byte:dig.End.Byte])
		if dig.TripleQuote || len(tok) < 2 || (tok[0] != '"' && tok[0] != '\'') || tok[len(tok)-1] != tok[0] {
			return fail(fmt.Sprintf("digest is written as %s; pin rewrites only a plain quoted string", tok), `write digest = "sha256:..."`)
		}
	}
	if p.Tag == "" {
		return fail("no tag to resolve", `add tag = "..." (the tag this pull follows), or leave the file out of strata pin's arguments`)
	}
	return p
}

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// digestEdit is the edit that pins p to digest, keeping the literal's quote
// character; where p has no digest yet, one `digest = "..."` argument goes
// before `image`, on a line of its own if `image` has one.
func digestEdit(data []byte, p Pull, digest string) edit {
	if p.digest != nil {
		q := string(data[p.digest.Start.Byte])
		return edit{p.digest.Start.Byte, p.digest.End.Byte, q + digest + q}
	}
	start, _ := p.image.Span()
	lineStart := bytes.LastIndexByte(data[:start.Byte], '\n') + 1
	indent := data[lineStart:start.Byte]
	if len(bytes.Trim(indent, " \t")) == 0 {
		// A line of its own, inserted before image's line, ending as the
		// line before it does (CRLF files stay CRLF).
		eol := "\n"
		if lineStart >= 2 && data[lineStart-2] == '\r' {
			eol = "\r\n"
		}
		return edit{lineStart, lineStart, fmt.Sprintf("%sdigest = %q,%s", indent, digest, eol)}
	}
	return edit{start.Byte, start.Byte, fmt.Sprintf("digest = %q, ", digest)}
}

// apply returns data with the (non-overlapping) edits made, in offset order.
func apply(data []byte, edits []edit) []byte {
	var b bytes.Buffer
	last := 0
	for _, e := range sortEdits(edits) {
		b.Write(data[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(data[last:])
	return b.Bytes()
}

func sortEdits(edits []edit) []edit {
	out := slices.Clone(edits)
	slices.SortFunc(out, func(a, b edit) int { return a.start - b.start })
	return out
}
