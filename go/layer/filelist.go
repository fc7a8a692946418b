package layer

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/strata-build/rules_strata/go/usererr"
)

// FileListVersion is the first line of a file list (FILE_LIST_VERSION in
// rules/private/layer.bzl).
const FileListVersion = "strata-layer-files-v1"

// The file list is the param file Bazel writes for the layer action from
// the image_layer rule's Args: one argument per line. The rule never
// flattens a file depset in analysis (that would cost time and memory in
// proportion to the file count on every analysis), so it sends per-target
// facts as a group header and the target's files as records, and the
// destinations are computed here, exactly as the rule computed them before:
//
//	G kind attr label dst exe workspace link strip_prefix   (9 lines)
//	F path short_path owner_package flags                   (5 lines)
//	L link_path target_path flags                           (4 lines)
//
// flags: "t" the file is a tree artifact (directory), "s" it is checked in.
// Group kinds:
//
//	srcs          each file at dst/<package path minus strip_prefix>
//	dir           the same, for a files entry whose destination ends in "/"
//	exact         exactly one file, at dst
//	program       a binary's executable at dst (always 0755)
//	runfiles      each file at dst/<runfiles path>; the file whose path is
//	              exe becomes a symlink to link
//	symlinks      runfiles symlinks at dst/<workspace>/<link path>
//	root_symlinks runfiles root symlinks at dst/<link path>
//
// Outside runfiles a file is a program iff it is generated and is its
// target's executable (exe); inside them iff it is generated. Checked-in
// files are never programs by themselves: Bazel reports a source file
// target as its own executable, and its bits on disk depend on the host.
type group struct {
	kind, attr, label, dst, exe, workspace, link, stripPrefix string
	n                                                         int // records seen
}

// AddFileList reads the file list at path and appends its files to
// spec.Files and its symlinks to spec.Symlinks, in list order. A runfiles
// symlink at the path of a spec symlink replaces that symlink's target (the
// rule used to merge them into one dict).
func AddFileList(spec *Spec, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if n, err := countRecords(f); err == nil {
		spec.Files = slices.Grow(spec.Files, n)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	next := func() (string, error) {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return "", err
			}
			return "", fmt.Errorf("%s: file list ends in the middle of a record at line %d", path, line)
		}
		line++
		return sc.Text(), nil
	}
	head, err := next()
	if err != nil || head != FileListVersion {
		return usererr.New(spec.Target, "", fmt.Sprintf("file list %s does not start with %q", path, FileListVersion),
			"build with the image_layer rule of the same rules_strata version as the strata tool")
	}
	links := map[string]int{}
	for i, s := range spec.Symlinks {
		links[s.Path] = i
	}
	addLink := func(p, target string) {
		if i, ok := links[p]; ok {
			spec.Symlinks[i].Target = target
			return
		}
		links[p] = len(spec.Symlinks)
		spec.Symlinks = append(spec.Symlinks, Symlink{Path: p, Target: target})
	}
	var g *group
	for sc.Scan() {
		line++
		tag := sc.Text()
		var rec [8]string
		var n int
		switch tag {
		case "G":
			n = 8
		case "F":
			n = 4
		case "L":
			n = 3
		default:
			return fmt.Errorf("%s:%d: unknown record %q", path, line, tag)
		}
		for i := 0; i < n; i++ {
			if rec[i], err = next(); err != nil {
				return err
			}
		}
		if tag == "G" {
			if err := g.done(spec.Target); err != nil {
				return err
			}
			g = &group{kind: rec[0], attr: rec[1], label: rec[2], dst: rec[3], exe: rec[4], workspace: rec[5], link: rec[6], stripPrefix: rec[7]}
			continue
		}
		if g == nil {
			return fmt.Errorf("%s:%d: record before the first group", path, line)
		}
		g.n++
		if tag == "L" {
			linkPath, src, flags := rec[0], rec[1], rec[2]
			dst := join(g.dst, g.workspace, linkPath)
			if g.kind == "root_symlinks" {
				dst = join(g.dst, linkPath)
			}
			spec.Files = append(spec.Files, g.file(src, dst, !strings.Contains(flags, "s"), strings.Contains(flags, "t")))
			continue
		}
		src, short, pkg, flags := rec[0], shareSuffix(rec[0], rec[1]), rec[2], rec[3]
		tree, source := strings.Contains(flags, "t"), strings.Contains(flags, "s")
		program := !source && src == g.exe
		switch g.kind {
		case "srcs", "dir":
			rel, err := g.relativeDst(spec.Target, short, pkg, tree)
			if err != nil {
				return err
			}
			spec.Files = append(spec.Files, g.file(src, join(g.dst, rel), program, tree))
		case "exact":
			spec.Files = append(spec.Files, g.file(src, g.dst, program, tree))
		case "program":
			spec.Files = append(spec.Files, g.file(src, g.dst, true, tree))
		case "runfiles":
			dst := join(g.dst, runfilesPath(g.workspace, short))
			if src == g.exe {
				addLink(dst, g.link)
				continue
			}
			spec.Files = append(spec.Files, g.file(src, dst, !source, tree))
		default:
			return fmt.Errorf("%s:%d: file record in a group of kind %q", path, line, g.kind)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return g.done(spec.Target)
}

// countRecords counts the lines of f that could start a file record ("F"
// or "L"; a path line can only add to that), and rewinds f. spec.Files is
// then allocated once: grown by append, a list of 100,000 files allocated
// (and copied) five times its final 8 MB, which made the collector run
// under the soft memory limit before a single file was read.
func countRecords(f *os.File) (int, error) {
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if b := sc.Bytes(); len(b) == 1 && (b[0] == 'F' || b[0] == 'L') {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	_, err := f.Seek(0, io.SeekStart)
	return n, err
}

// yes and no are every file's Executable: one allocation per file less.
var yes, no = true, false

func (g *group) file(src, dst string, executable, tree bool) File {
	exe := &no
	if executable {
		exe = &yes
	}
	return File{Src: src, Dst: dst, Label: g.label, Attr: g.attr, Executable: exe, Tree: tree}
}

// shareSuffix returns short, as the tail of src when src ends with it (a
// file's path ends with its short path), so the destinations made from it
// keep no second copy of the path.
func shareSuffix(src, short string) string {
	if strings.HasSuffix(src, short) {
		return src[len(src)-len(short):]
	}
	return short
}

// done checks a finished group: an exact destination takes one file.
func (g *group) done(target string) error {
	if g == nil || g.kind != "exact" || g.n == 1 {
		return nil
	}
	return usererr.New(target, g.dst, fmt.Sprintf("%s: %s gives %d files, so its destination %q must be a directory ending in \"/\"", g.attr, g.label, g.n, g.dst),
		"end the destination with \"/\" to put every file of the label below it, or give a label with one file")
}

// relativeDst is where a file goes below the group's destination: its path
// below its package (or, for a strip_prefix starting with "/", below its
// repository root), minus strip_prefix.
func (g *group) relativeDst(target, short, pkg string, tree bool) (string, error) {
	repoPath := short
	if strings.HasPrefix(repoPath, "../") {
		_, repoPath, _ = strings.Cut(repoPath[3:], "/")
	}
	inPkg := repoPath
	if pkg != "" && strings.HasPrefix(repoPath, pkg+"/") {
		inPkg = repoPath[len(pkg)+1:]
	}
	sp := g.stripPrefix
	if sp == "" {
		return inPkg, nil
	}
	base, prefix := inPkg, strings.Trim(sp, "/")
	prefix = strings.TrimPrefix(prefix, "./")
	if strings.HasPrefix(sp, "/") {
		base = repoPath
	}
	if prefix == "" || prefix == "." {
		return base, nil
	}
	if strings.HasPrefix(base, prefix+"/") {
		return base[len(prefix)+1:], nil
	}
	if base == prefix && tree {
		return "", nil // a tree artifact's contents go to the directory itself
	}
	below := "package"
	if strings.HasPrefix(sp, "/") {
		below = "repository"
	}
	return "", usererr.New(target, "", fmt.Sprintf("strip_prefix %q does not prefix %s (from %s in %s), which is %q below its %s", sp, short, g.label, g.attr, base, below),
		"strip_prefix applies to every file of srcs and of files entries whose destination ends in \"/\"; "+
			"give this file an exact destination in files (one not ending in \"/\"), move it to another image_layer, "+
			"or change strip_prefix (relative to the file's package; a leading \"/\" makes it relative to the repository root)")
}

// runfilesPath is where a file sits below a binary's .runfiles directory.
func runfilesPath(workspace, short string) string {
	if strings.HasPrefix(short, "../") {
		return short[3:]
	}
	return join(workspace, short)
}

// join joins path parts with single slashes, skipping empty parts, exactly
// as the rule's _join does (the result is cleaned later, with the rest).
func join(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" && !strings.HasSuffix(out, "/") {
			out += "/"
		}
		if out != "" {
			out += strings.TrimLeft(p, "/")
		} else {
			out += p
		}
	}
	return out
}
