// Command graphgen writes the Bazel workspace of bench/graph_bench.sh, the
// same bytes every time (seeded), so the benchmark needs no checked-in files:
//
//	DIR/WORKSPACE            loads rules_strata from -rules (local_repository)
//	DIR/BUILD.bazel          :empty, the no-op baseline
//	DIR/files_N/             N files (20 per directory, 64..1024 bytes of
//	                         text) in N/20 directories: :fg (a filegroup, the
//	                         analysis baseline), :layer (image_layer of :fg) and
//	                         :tar (a genrule running GNU tar + pigz over them)
//	DIR/img200/              200 layers of 5 files each, :image of all 200;
//	                         :all_fg, the same files in 200 filegroups
//	DIR/shared/              20 base layers and 50 images, each the 20 base
//	                         layers plus one layer of its own; :all (the 50
//	                         images), :all_fg (the same files in filegroups)
//
// Every DIR/files_N package has its own genrule, so no target reads another
// package's files.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "output directory (the workspace)")
	rules := flag.String("rules", "", "path of the rules_strata checkout to load")
	sizes := flag.String("sizes", "10000,50000,100000", "file counts of the single-layer packages")
	flag.Parse()
	if *dir == "" || *rules == "" {
		fmt.Fprintln(os.Stderr, "usage: graphgen -dir DIR -rules RULES_STRATA [-sizes 10000,50000,100000]")
		os.Exit(2)
	}
	if err := run(*dir, *rules, *sizes); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var rng = rand.New(rand.NewChaCha8([32]byte{'g', 'r', 'a', 'p', 'h'}))

// words make the file contents compress like source text, not like noise.
var words = strings.Fields("func return if else for range package import const var type struct interface map string int error nil true false " +
	"layer image digest manifest config blob tar gzip bazel build rule target label file directory path mode owner")

func content() []byte {
	n := 64 + rng.IntN(961)
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(8) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return []byte(b.String()[:n])
}

func write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// files writes n files, 20 per directory, below dir/sub.
func files(dir, sub string, n int) error {
	for i := 0; i < n; i++ {
		if err := write(filepath.Join(dir, sub, fmt.Sprintf("d%05d", i/20), fmt.Sprintf("f%02d.txt", i%20)), content()); err != nil {
			return err
		}
	}
	return nil
}

// addLayer writes 5 files below pkg/sub and, to b, a filegroup fg of them
// and an image_layer of that filegroup; it returns both as quoted labels.
func addLayer(b *strings.Builder, pkg, sub, fg, layer string) (layerLabel, fgLabel string, err error) {
	if err := files(pkg, sub, 5); err != nil {
		return "", "", err
	}
	fmt.Fprintf(b, "filegroup(name = %q, srcs = glob([\"%s/**\"]))\n\nimage_layer(name = %q, srcs = [\":%s\"])\n\n", fg, sub, layer, fg)
	return fmt.Sprintf("\":%s\"", layer), fmt.Sprintf("\":%s\"", fg), nil
}

const load = `load("@rules_strata//rules:defs.bzl", "image", "image_layer")

`

func run(dir, rules, sizes string) error {
	abs, err := filepath.Abs(rules)
	if err != nil {
		return err
	}
	top := map[string]string{
		"WORKSPACE": fmt.Sprintf(`workspace(name = "graph_bench")

local_repository(
    name = "rules_strata",
    path = %q,
)

load("@rules_strata//rules:repositories.bzl", "rules_strata_bazel4_offline_dependencies", "rules_strata_dependencies")

rules_strata_dependencies()

rules_strata_bazel4_offline_dependencies()
`, abs),
		".bazelrc":      "build --nosandbox_debug\nbuild --incompatible_strict_action_env\n",
		".bazelversion": "4\n",
		"BUILD.bazel":   "filegroup(name = \"empty\")\n",
	}
	for name, text := range top {
		if err := write(filepath.Join(dir, name), []byte(text)); err != nil {
			return err
		}
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("-sizes: %v", err)
		}
		pkg := filepath.Join(dir, fmt.Sprintf("files_%d", n))
		if err := files(pkg, "", n); err != nil {
			return err
		}
		build := load + fmt.Sprintf(`filegroup(
    name = "fg",
    srcs = glob(["d*/**"]),
)

image_layer(
    name = "layer",
    srcs = [":fg"],
)

# The build baseline: GNU tar + pigz (level 6, as the layer) over the same files.
genrule(
    name = "tar",
    srcs = [":fg"],
    outs = ["tar.tar.gz"],
    cmd = "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -chf - files_%d/d* | pigz -6 > $@",
)
`, n)
		if err := write(filepath.Join(pkg, "BUILD.bazel"), []byte(build)); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString(load)
	var layers, fgs []string
	for i := 0; i < 200; i++ {
		l, fg, err := addLayer(&b, filepath.Join(dir, "img200"), fmt.Sprintf("l%03d", i), fmt.Sprintf("fg%03d", i), fmt.Sprintf("layer%03d", i))
		if err != nil {
			return err
		}
		layers, fgs = append(layers, l), append(fgs, fg)
	}
	fmt.Fprintf(&b, "image(\n    name = \"image\",\n    layers = [%s],\n)\n\nfilegroup(\n    name = \"all_fg\",\n    srcs = [%s],\n)\n", strings.Join(layers, ", "), strings.Join(fgs, ", "))
	if err := write(filepath.Join(dir, "img200", "BUILD.bazel"), []byte(b.String())); err != nil {
		return err
	}
	b.Reset()
	b.WriteString(load)
	layers, fgs = nil, nil
	for i := 0; i < 20; i++ {
		l, fg, err := addLayer(&b, filepath.Join(dir, "shared"), fmt.Sprintf("base%02d", i), fmt.Sprintf("base_fg%02d", i), fmt.Sprintf("base%02d", i))
		if err != nil {
			return err
		}
		layers, fgs = append(layers, l), append(fgs, fg)
	}
	var images, imageFgs []string
	for i := 0; i < 50; i++ {
		l, fg, err := addLayer(&b, filepath.Join(dir, "shared"), fmt.Sprintf("app%02d", i), fmt.Sprintf("app_fg%02d", i), fmt.Sprintf("app_layer%02d", i))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "image(\n    name = \"app%02d\",\n    layers = [%s, %s],\n)\n\n", i, strings.Join(layers, ", "), l)
		fmt.Fprintf(&b, "filegroup(\n    name = \"app%02d_fg\",\n    srcs = [%s, %s],\n)\n\n", i, strings.Join(fgs, ", "), fg)
		images = append(images, fmt.Sprintf("\":app%02d\"", i))
		imageFgs = append(imageFgs, fmt.Sprintf("\":app%02d_fg\"", i))
	}
	fmt.Fprintf(&b, "filegroup(\n    name = \"all\",\n    srcs = [%s],\n)\n\nfilegroup(\n    name = \"all_fg\",\n    srcs = [%s],\n)\n", strings.Join(images, ", "), strings.Join(imageFgs, ", "))
	return write(filepath.Join(dir, "shared", "BUILD.bazel"), []byte(b.String()))
}
