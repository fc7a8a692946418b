// Package imagetest checks a built image against what an image_test target
// expects: paths in the flattened filesystem (type, mode, owner, symlink
// target, sha256, or absence), config fields, and size budgets. It needs no
// daemon: the filesystem is read from the layer blobs with whiteouts applied
// (go-containerregistry's mutate.Extract), and every finding is one line that
// says what was expected and what was found, so a failing `bazel test` reads
// as a diff.
package imagetest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/strata-build/rules_strata/go/spec"
)

// Spec is what an image_test target asks for: the wire type spec.ImageTest.
// Empty fields are not checked.
type Spec = spec.ImageTest

// ConfigSpec holds expected config fields.
type ConfigSpec = spec.ImageTestConfig

// ReadSpec loads a spec file written by the image_test rule.
func ReadSpec(p string) (Spec, error) { return spec.ReadImageTest(p) }

// Result is every finding of one run, grouped for printing.
type Result struct {
	// Platform is the image's os/architecture[/variant], so the reports of
	// an index's children say which child they are about.
	Platform string
	Files    []string
	Config   []string
	Budgets  []string
}

// Failed reports whether anything did not match.
func (r Result) Failed() bool { return len(r.Files)+len(r.Config)+len(r.Budgets) > 0 }

// Write prints the findings as a readable report.
func (r Result) Write(w io.Writer, target string) {
	if r.Platform != "" {
		target += " (" + r.Platform + ")"
	}
	if !r.Failed() {
		fmt.Fprintf(w, "%s: every expectation holds\n", target)
		return
	}
	fmt.Fprintf(w, "%s: the image does not match its expectations\n", target)
	for _, g := range []struct {
		title string
		lines []string
	}{{"files", r.Files}, {"config", r.Config}, {"size budgets", r.Budgets}} {
		if len(g.lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, l := range g.lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// entry is what the flattened filesystem holds at a path.
type entry struct {
	typ      string // file | dir | symlink | hardlink | other
	mode     int64
	uid, gid int
	link     string
	sha256   string
}

// Check runs spec against img. Errors are for unreadable images; mismatches
// are findings in the Result.
func Check(spec Spec, img v1.Image) (Result, error) {
	var r Result
	cfg, err := img.ConfigFile()
	if err != nil {
		return r, fmt.Errorf("reading the image config: %w", err)
	}
	if cfg.OS != "" || cfg.Architecture != "" {
		r.Platform = cfg.OS + "/" + cfg.Architecture
		if cfg.Variant != "" {
			r.Platform += "/" + cfg.Variant
		}
	}
	r.Config = checkConfig(spec.Config, cfg.Config)
	layers, err := img.Layers()
	if err != nil {
		return r, err
	}
	if r.Budgets, err = checkBudgets(spec, layers); err != nil {
		return r, err
	}
	if len(spec.Files) == 0 && len(spec.Absent) == 0 {
		return r, nil
	}
	wanted := map[string]bool{}
	for p := range spec.Files {
		wanted[clean(p)] = true
	}
	fsys, err := flatten(img, wanted)
	if err != nil {
		return r, err
	}
	r.Files = checkFiles(spec, fsys)
	return r, nil
}

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// flatten reads the image's merged filesystem; only the files named in
// wanted are hashed.
func flatten(img v1.Image, wanted map[string]bool) (map[string]entry, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the image's layers: %w", err)
		}
		p := clean(h.Name)
		e := entry{mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid, link: h.Linkname}
		switch h.Typeflag {
		case tar.TypeReg:
			e.typ = "file"
			if wanted[p] {
				s := sha256.New()
				if _, err := io.Copy(s, tr); err != nil {
					return nil, fmt.Errorf("reading %s: %w", h.Name, err)
				}
				e.sha256 = hex.EncodeToString(s.Sum(nil))
			}
		case tar.TypeDir:
			e.typ = "dir"
		case tar.TypeSymlink:
			e.typ = "symlink"
		case tar.TypeLink:
			e.typ = "hardlink"
		default:
			e.typ = "other"
		}
		out[p] = e
	}
}

func checkFiles(spec Spec, fsys map[string]entry) []string {
	var out []string
	for _, p := range sortedKeys(spec.Files) {
		e, ok := fsys[clean(p)]
		if !ok {
			out = append(out, fmt.Sprintf("%s: want it to exist, it does not", p))
			continue
		}
		for _, tok := range strings.Fields(spec.Files[p]) {
			key, val, _ := strings.Cut(tok, "=")
			var want, got string
			switch key {
			case "file", "dir", "symlink":
				want, got = key, e.typ
				key = "type"
			case "mode":
				m, err := strconv.ParseInt(val, 8, 64)
				want, got = val, fmt.Sprintf("%04o", e.mode)
				if err == nil && m == e.mode {
					continue
				}
			case "owner":
				want, got = val, fmt.Sprintf("%d:%d", e.uid, e.gid)
			case "target":
				want, got = val, e.link
			case "sha256":
				want, got = strings.TrimPrefix(val, "sha256:"), e.sha256
			default:
				out = append(out, fmt.Sprintf("%s: unknown expectation %q (use file, dir, symlink, mode=, owner=, target=, sha256=)", p, tok))
				continue
			}
			if want != got {
				out = append(out, fmt.Sprintf("%s: %s: want %s, got %s", p, key, want, orNone(got)))
			}
		}
	}
	for _, p := range spec.Absent {
		if e, ok := fsys[clean(p)]; ok {
			out = append(out, fmt.Sprintf("%s: want it absent, it is a %s", p, e.typ))
		}
	}
	return out
}

func checkConfig(want ConfigSpec, got v1.Config) []string {
	var out []string
	list := func(name string, w, g []string) {
		if w != nil && strings.Join(w, "\x00") != strings.Join(g, "\x00") {
			out = append(out, fmt.Sprintf("%s: want %q, got %q", name, w, g))
		}
	}
	list("entrypoint", want.Entrypoint, got.Entrypoint)
	list("cmd", want.Cmd, got.Cmd)
	if want.ExposedPorts != nil {
		var ports []string
		for p := range got.ExposedPorts {
			ports = append(ports, p)
		}
		sort.Strings(ports)
		w := append([]string(nil), want.ExposedPorts...)
		for i, p := range w {
			if !strings.Contains(p, "/") {
				w[i] = p + "/tcp"
			}
		}
		sort.Strings(w)
		list("exposed_ports", w, ports)
	}
	env := map[string]string{}
	for _, kv := range got.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range sortedKeys(want.Env) {
		if v, ok := env[k]; !ok || v != want.Env[k] {
			out = append(out, fmt.Sprintf("env %s: want %q, got %s", k, want.Env[k], quotedOrNone(v, ok)))
		}
	}
	for _, k := range sortedKeys(want.Labels) {
		if v, ok := got.Labels[k]; !ok || v != want.Labels[k] {
			out = append(out, fmt.Sprintf("label %s: want %q, got %s", k, want.Labels[k], quotedOrNone(v, ok)))
		}
	}
	if want.User != "" && want.User != got.User {
		out = append(out, fmt.Sprintf("user: want %q, got %q", want.User, got.User))
	}
	if want.WorkingDir != "" && want.WorkingDir != got.WorkingDir {
		out = append(out, fmt.Sprintf("workdir: want %q, got %q", want.WorkingDir, got.WorkingDir))
	}
	return out
}

// checkBudgets returns a table (header first) when any budget is exceeded.
func checkBudgets(spec Spec, layers []v1.Layer) ([]string, error) {
	if spec.MaxLayerSize+spec.MaxSize+spec.MaxLayerUncompressedSize+spec.MaxUncompressedSize == 0 {
		return nil, nil
	}
	needRaw := spec.MaxLayerUncompressedSize+spec.MaxUncompressedSize > 0
	var rows []string
	var total, totalRaw int64
	for i, l := range layers {
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		var raw int64 = -1
		if needRaw {
			if raw, err = uncompressedSize(l); err != nil {
				return nil, fmt.Errorf("reading layer %d: %w", i+1, err)
			}
			totalRaw += raw
		}
		total += size
		if over(size, spec.MaxLayerSize) || over(raw, spec.MaxLayerUncompressedSize) {
			rows = append(rows, budgetRow(fmt.Sprintf("layer %d", i+1), size, raw, spec.MaxLayerSize, spec.MaxLayerUncompressedSize))
		}
	}
	if !needRaw {
		totalRaw = -1
	}
	if over(total, spec.MaxSize) || over(totalRaw, spec.MaxUncompressedSize) {
		rows = append(rows, budgetRow("total", total, totalRaw, spec.MaxSize, spec.MaxUncompressedSize))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return append([]string{fmt.Sprintf("%-8s %24s %28s", "", "compressed (budget)", "uncompressed (budget)")}, rows...), nil
}

func over(got, budget int64) bool { return budget > 0 && got > budget }

func budgetRow(name string, size, raw, budget, rawBudget int64) string {
	return fmt.Sprintf("%-8s %24s %28s", name, sizeCell(size, budget), sizeCell(raw, rawBudget))
}

func sizeCell(got, budget int64) string {
	if got < 0 {
		return "-"
	}
	if budget == 0 {
		return fmt.Sprintf("%d", got)
	}
	mark := ""
	if got > budget {
		mark = " OVER"
	}
	return fmt.Sprintf("%d (%d)%s", got, budget, mark)
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func quotedOrNone(v string, ok bool) string {
	if !ok {
		return "(unset)"
	}
	return strconv.Quote(v)
}
