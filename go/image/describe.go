package image

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/compress"
)

// Describe writes a human summary of a built image (what `bazel run
// :NAME.inspect` prints): its digest, its config digest (the image ID docker
// and podman show after a load), platform, and a table of layers (size,
// compression, short digest, the target that built it, from the config's
// history). The output depends only on its arguments.
func Describe(w io.Writer, digest string, manifest *v1.Manifest, cfg *v1.ConfigFile) {
	fmt.Fprintf(w, "image digest: %s\n", strings.TrimSpace(digest))
	fmt.Fprintf(w, "config:       %s\n", manifest.Config.Digest)
	fmt.Fprintf(w, "platform:     %s/%s%s\n", cfg.OS, cfg.Architecture, prefixed("/", cfg.Variant))
	fmt.Fprintf(w, "\n%-3s %10s  %-12s %-19s %s\n", "#", "size", "compression", "digest", "built by")
	var total int64
	history := layerHistory(cfg)
	for i, l := range manifest.Layers {
		by := ""
		if i < len(history) {
			by = strings.TrimPrefix(history[i], HistoryPrefix)
		}
		fmt.Fprintf(w, "%-3d %10s  %-12s %-19s %s\n", i+1, humanSize(l.Size), compress.FromMediaType(string(l.MediaType)), l.Digest.String()[:19], by)
		total += l.Size
	}
	plural := "s"
	if len(manifest.Layers) == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "%-3s %10s  (%d layer%s, as stored)\n", "", humanSize(total), len(manifest.Layers), plural)
}

// layerHistory is the created_by of each history entry that has a layer.
func layerHistory(cfg *v1.ConfigFile) []string {
	var out []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			out = append(out, h.CreatedBy)
		}
	}
	return out
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
