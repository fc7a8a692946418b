// Package image assembles an OCI image config and manifest from an optional
// base image and layer descriptors. It never reads layer bytes: everything it
// needs (digest, size, diffID, media type) is in the descriptors.
//
// Output is byte-identical for identical inputs: JSON is produced by
// encoding/json from structs and sorted maps, and every timestamp is the
// spec's Created epoch.
package image

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/tagtemplate"
	"github.com/strata-build/rules_strata/go/usererr"
)

// HistoryPrefix starts the created_by of the history entry of every layer
// strata builds; the layer's label follows. Describe strips it again.
const HistoryPrefix = "rules_strata image_layer "

// maxCreated is 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
const maxCreated = 253402300799

// Result is the assembled image.
type Result struct {
	Config   []byte
	Manifest []byte
	Digest   v1.Hash // of Manifest
}

// Build assembles the image described by spec.
func Build(spec Spec) (Result, error) {
	// The config's RFC 3339 times hold years 0..9999 only; refuse here
	// rather than fail later with encoding/json's "year outside of range".
	if spec.Created < 0 || spec.Created > maxCreated {
		return Result{}, usererr.New(spec.Target, "", fmt.Sprintf("created: %d is outside 0..%d (1970 to 9999, what the config's RFC 3339 times hold)", spec.Created, int64(maxCreated)),
			"set created to seconds since the epoch in that range, e.g. 0 or a fixed release date such as 1700000000")
	}
	cfg := &v1.ConfigFile{OS: "linux", Architecture: "amd64"}
	manifest := &v1.Manifest{SchemaVersion: 2}
	if spec.BaseManifest != "" {
		var err error
		if cfg, manifest, err = readBase(spec); err != nil {
			return Result{}, err
		}
		if err := ociLayers(spec, manifest); err != nil {
			return Result{}, err
		}
		if err := basePlatform(spec, cfg); err != nil {
			return Result{}, err
		}
	}
	if err := stamp(&spec); err != nil {
		return Result{}, err
	}
	if err := apply(spec, cfg); err != nil {
		return Result{}, err
	}
	created := v1.Time{Time: time.Unix(spec.Created, 0).UTC()}
	cfg.Created = created
	for _, p := range spec.Layers {
		d, err := readDescriptor(spec.Target, p)
		if err != nil {
			return Result{}, err
		}
		manifest.Layers = append(manifest.Layers, d.OCI())
		cfg.RootFS.Type = "layers"
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d.DiffID)
		cfg.History = append(cfg.History, v1.History{Created: created, CreatedBy: HistoryPrefix + d.Label})
	}
	if cfg.RootFS.Type == "" {
		cfg.RootFS.Type = "layers" // required even for an image with no layers
	}
	// An image with no layers has "diff_ids": [] and "layers": [], never
	// null: the specs define both as arrays, and strict readers refuse null.
	if cfg.RootFS.DiffIDs == nil {
		cfg.RootFS.DiffIDs = []v1.Hash{}
	}
	if manifest.Layers == nil {
		manifest.Layers = []v1.Descriptor{}
	}
	rawCfg, cfgDigest, cfgSize, err := encode(cfg)
	if err != nil {
		return Result{}, err
	}
	manifest.SchemaVersion = 2
	manifest.MediaType = types.OCIManifestSchema1
	manifest.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cfgDigest, Size: cfgSize}
	manifest.Annotations = nil
	if len(spec.Annotations) > 0 {
		manifest.Annotations = spec.Annotations
	}
	rawManifest, digest, _, err := encode(manifest)
	return Result{Config: rawCfg, Manifest: rawManifest, Digest: digest}, err
}

// encode is v's JSON and the digest and size of those bytes.
func encode(v any) ([]byte, v1.Hash, int64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, v1.Hash{}, 0, err
	}
	h, n, err := v1.SHA256(bytes.NewReader(raw))
	return raw, h, n, err
}

// readDescriptor reads a layer descriptor, which must name its layer: the
// history records it.
func readDescriptor(target, path string) (spec.Descriptor, error) {
	d, err := spec.ReadDescriptor(path)
	if err == nil && d.Label == "" {
		err = usererr.New(target, path, "the layer descriptor names no image_layer (it is a pulled base's)", "list image_layer targets in layers; a pulled image goes in base")
	}
	return d, err
}

func readBase(spec Spec) (*v1.ConfigFile, *v1.Manifest, error) {
	manifest, err := parseBase(spec.Target, spec.BaseManifest, "manifest", v1.ParseManifest)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := parseBase(spec.Target, spec.BaseConfig, "config", v1.ParseConfigFile)
	if err != nil {
		return nil, nil, err
	}
	if len(manifest.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, nil, usererr.New(spec.Target, spec.BaseManifest,
			fmt.Sprintf("base image has %d layers but its config lists %d diff_ids", len(manifest.Layers), len(cfg.RootFS.DiffIDs)),
			"the base image is corrupt; rebuild or re-pull it")
	}
	return cfg, manifest, nil
}

// parseBase reads the base's manifest or config (what) from path; bytes that
// do not parse are the user's error, named with the target and the path.
func parseBase[T any](target, path, what string, parse func(io.Reader) (*T, error)) (*T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return nil, usererr.New(target, path, "base "+what+" is not valid JSON: "+err.Error(), "point base at an image target")
	}
	return v, nil
}

// ociLayers gives the base's layers OCI media types. A base pushed with
// Docker schema 2 media types (most public images) would otherwise yield an
// OCI manifest with Docker layer types, which strict readers (umoci) refuse.
// The types name the same bytes, so digests and diff_ids do not change.
// Non-distributable (foreign) layers are refused: their bytes live at URLs
// outside any registry, and strata neither fetches nor pushes them.
func ociLayers(spec Spec, m *v1.Manifest) error {
	for i, l := range m.Layers {
		switch l.MediaType {
		case types.DockerLayer:
			m.Layers[i].MediaType = types.OCILayer
		case types.DockerUncompressedLayer:
			m.Layers[i].MediaType = types.OCIUncompressedLayer
		case types.DockerForeignLayer, types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer:
			return usererr.New(spec.Target, l.Digest.String(),
				fmt.Sprintf("base layer %d has the non-distributable (foreign) media type %q; rules_strata cannot fetch, push or rewrite such layers", i, l.MediaType),
				"build on a base without foreign layers (they exist only in Windows images)")
		case types.OCILayer, types.OCIUncompressedLayer, types.OCILayerZStd:
		default:
			if strings.HasPrefix(string(l.MediaType), "application/vnd.docker.") {
				return usererr.New(spec.Target, l.Digest.String(),
					fmt.Sprintf("base layer %d has the Docker media type %q, which has no OCI equivalent", i, l.MediaType),
					"build on a base whose layers are tar or tar+gzip")
			}
		}
	}
	return nil
}

// stamp fills {KEY} placeholders in label and annotation values, and created
// from CreatedFrom, with the workspace status, when the rule stamps (Status
// is set). Unstamped, values are kept as written and created is Created, so
// unstamped images are byte-identical whatever their templates say.
func stamp(spec *Spec) error {
	if len(spec.Status) == 0 {
		return nil
	}
	vars, err := tagtemplate.ReadStatus(spec.Status...)
	if err != nil {
		return err
	}
	fill := func(attr string, m map[string]string) (map[string]string, error) {
		if len(m) == 0 {
			return m, nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			s, missing := tagtemplate.Fill(v, vars)
			if len(missing) > 0 {
				return nil, usererr.New(spec.Target, k,
					fmt.Sprintf("%s value %q uses %s, which the workspace status does not define", attr, v, strings.Join(missing, ", ")),
					fmt.Sprintf("make --workspace_status_command print a line \"%s value\" (or build without --stamp to keep the value as written)", tagtemplate.StableKey(missing[0])))
			}
			out[k] = s
		}
		return out, nil
	}
	if spec.Labels, err = fill("labels", spec.Labels); err != nil {
		return err
	}
	if spec.Annotations, err = fill("annotations", spec.Annotations); err != nil {
		return err
	}
	if spec.CreatedFrom != "" {
		v, ok := tagtemplate.Lookup(vars, spec.CreatedFrom)
		if !ok {
			return usererr.New(spec.Target, spec.CreatedFrom, "created_from names a key the workspace status does not define",
				fmt.Sprintf("make --workspace_status_command print \"%s <seconds since the epoch>\", or use BUILD_TIMESTAMP", spec.CreatedFrom))
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return usererr.New(spec.Target, spec.CreatedFrom, fmt.Sprintf("created_from: the status value %q is not seconds since the epoch", v),
				fmt.Sprintf("print the time as an integer, e.g. \"%s $(git log -1 --format=%%ct)\"", spec.CreatedFrom))
		}
		spec.Created = n
	}
	return nil
}

// portRE is a port with an optional protocol; the number's range is checked apart.
var portRE = regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp|sctp))?$`)

// userRE is the OCI config's User: user, uid, user:group, uid:gid, user:gid
// or uid:group; no empty part, no whitespace, at most one colon.
var userRE = regexp.MustCompile(`^[^:\s]+(:[^:\s]+)?$`)

// basePlatform refuses an image whose os, architecture or variant differs
// from its base's: the base's layers hold binaries for the base's platform,
// so relabelling them (an image_index platform over a single-platform base,
// or an architecture attribute) would make an image that fails with "exec
// format error" where it runs. Fields the base or spec leave empty match.
func basePlatform(spec Spec, base *v1.ConfigFile) error {
	differs := func(b, s string) bool { return b != "" && s != "" && b != s }
	if !differs(base.OS, spec.OS) && !differs(base.Architecture, spec.Architecture) && !differs(base.Variant, spec.Variant) {
		return nil
	}
	platform := func(os, arch, variant string) string {
		if variant != "" {
			arch += "/" + variant
		}
		return os + "/" + arch
	}
	variant := spec.Variant
	if spec.Architecture == "" || spec.Architecture == base.Architecture {
		variant = cmp.Or(variant, base.Variant) // a variant belongs to its architecture
	}
	want := platform(cmp.Or(spec.OS, base.OS), cmp.Or(spec.Architecture, base.Architecture), variant)
	return usererr.New(spec.Target, spec.BaseConfig,
		fmt.Sprintf("the base image is %s but this image is %s: the base's layers would run on a platform they were not built for", platform(base.OS, base.Architecture, base.Variant), want),
		fmt.Sprintf("give this image a base for %s: a multi-platform image_pull(platforms = [...]) (an image_index picks each platform's own), or, for a base built here, set its architecture to match (or leave it unset inside an image_index); or leave os/architecture/variant unset on this image to keep the base's", want))
}

// apply sets the runtime settings of spec on cfg (which may come from the base).
func apply(spec Spec, cfg *v1.ConfigFile) error {
	bad := func(path, problem, fix string) error { return usererr.New(spec.Target, path, problem, fix) }
	if spec.OS != "" {
		cfg.OS = spec.OS
	}
	if spec.Architecture != "" {
		cfg.Architecture = spec.Architecture
	}
	if spec.Variant != "" {
		cfg.Variant = spec.Variant
	}
	c := &cfg.Config
	if spec.Entrypoint != nil {
		c.Entrypoint = spec.Entrypoint
		if spec.Cmd == nil {
			c.Cmd = nil // a new entrypoint does not inherit the base's arguments
		}
	}
	if spec.Cmd != nil {
		c.Cmd = spec.Cmd
	}
	if spec.Workdir != "" {
		c.WorkingDir = spec.Workdir
	}
	if spec.User != "" {
		if !userRE.MatchString(spec.User) {
			return bad(spec.User, "user: not a user", "write user as \"name\", \"uid\", \"name:group\" or \"uid:gid\" (e.g. \"1000:1000\"): no empty part, no spaces, at most one colon")
		}
		c.User = spec.User
	}
	env, err := mergeEnv(c.Env, spec.Env)
	if err != nil {
		return bad(err.Error(), "env: malformed entry", "write env as {\"NAME\": \"value\"}; names must be non-empty and must not contain \"=\"")
	}
	c.Env = env
	if len(spec.Labels) > 0 {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for k, v := range spec.Labels {
			c.Labels[k] = v
		}
	}
	for _, p := range spec.ExposedPorts {
		m := portRE.FindStringSubmatch(p)
		if n, _ := strconv.Atoi(safeIndex(m, 1)); m == nil || n < 1 || n > 65535 {
			return bad(p, "exposed_ports: not a port (a number 1..65535, optionally /tcp, /udp or /sctp)", "write ports as \"8080\" or \"8080/tcp\", \"53/udp\", \"9000/sctp\"")
		}
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	for _, v := range spec.Volumes {
		if !strings.HasPrefix(v, "/") {
			return bad(v, "volumes: not an absolute path", "write volumes as absolute paths such as \"/data\"")
		}
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		c.Volumes[v] = struct{}{}
	}
	return nil
}

// mergeEnv overrides or appends variables in base order, then new names in
// sorted order. Values may refer to the base image's variables as $NAME or
// ${NAME} (e.g. "PATH": "/app/bin:$PATH").
func mergeEnv(base []string, set map[string]string) ([]string, error) {
	names := make([]string, 0, len(set))
	for k := range set {
		if k == "" || strings.Contains(k, "=") {
			return nil, fmt.Errorf("%s", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	values := map[string]string{}
	index := map[string]int{}
	out := append([]string(nil), base...)
	for i, kv := range out {
		k, v, _ := strings.Cut(kv, "=")
		values[k], index[k] = v, i
	}
	for _, k := range names {
		v := os.Expand(set[k], func(name string) string { return values[name] })
		if i, ok := index[k]; ok {
			out[i] = k + "=" + v
		} else {
			index[k] = len(out)
			out = append(out, k+"="+v)
		}
	}
	return out, nil
}

func safeIndex(m []string, i int) string {
	if i < len(m) {
		return m[i]
	}
	return ""
}
