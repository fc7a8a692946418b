package push

import (
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/strata-build/rules_strata/go/blobimage"
	"github.com/strata-build/rules_strata/go/casclient"
)

// Fetchers returns where to get the blobs of img that a
// --remote_download_minimal build left remote: the remote cache (cacheURL,
// else $STRATA_REMOTE_CACHE and the other casclient variables), then, when
// rebuild is set and the push runs under `bazel run`, a rebuild of their
// layers (layerTargets, in manifest order) with $STRATA_BAZEL (default bazel)
// and $STRATA_REBUILD_FLAGS. Call close when the push is done.
func Fetchers(img *blobimage.Image, cacheURL string, layerTargets []string, rebuild bool) (fetchers []Fetcher, close func(), err error) {
	close = func() {}
	cfg, ok := casclient.FromEnv()
	if cacheURL != "" {
		cfg.URL, ok = cacheURL, true
	}
	if ok {
		c, err := casclient.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		fetchers = append(fetchers, CacheFetcher{Client: c, URL: cfg.URL})
		close = func() { c.Close() }
	}
	ws := os.Getenv("BUILD_WORKSPACE_DIRECTORY")
	if rebuild && ws != "" && len(layerTargets) == len(img.Manifest().Layers) {
		r := &Rebuild{Workspace: ws, Bazel: envOr("STRATA_BAZEL", "bazel"), Flags: strings.Fields(os.Getenv("STRATA_REBUILD_FLAGS")),
			Targets: map[v1.Hash]string{}, Paths: map[v1.Hash]string{}, Log: os.Stderr}
		for i, l := range img.Manifest().Layers {
			if img.Source(l.Digest) == "" && layerTargets[i] != "" {
				r.Targets[l.Digest], r.Paths[l.Digest] = layerTargets[i], img.BlobPath(l.Digest)
			}
		}
		fetchers = append(fetchers, r)
	}
	return fetchers, close, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// ExecPath finds a file Bazel names by its execution-root path ("bazel-out/...",
// "external/..."): through the workspace's bazel-out symlink, whose parent is
// the execution root.
func ExecPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	for _, dir := range []string{os.Getenv("BUILD_WORKSPACE_DIRECTORY"), os.Getenv("STRATA_ORIG_PWD")} {
		if dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "bazel-out")); err == nil {
				// Not filepath.Join: it would clean "bazel-out/.." away
				// lexically, but the ".." must go up from the symlink's target.
				return dir + "/bazel-out/../" + p
			}
		}
	}
	return p
}
