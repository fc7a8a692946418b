package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	// BuildType names what built the image: rules_strata's image rule. It
	// is an identifier of this project's own, not a fetchable document.
	BuildType = "https://rules-strata.dev/image/v1"
	// DefaultBuilderID is the builder id when the workspace status gives
	// none (key BUILDER_ID or STABLE_BUILDER_ID).
	DefaultBuilderID = "https://rules-strata.dev/builder/bazel"
	// PredicateType is SLSA Provenance v1.
	PredicateType = "https://slsa.dev/provenance/v1"
)

// privateStatusKeys are workspace status keys Bazel always writes that say
// where and by whom the build ran, not what it built: never recorded.
// BUILD_TIMESTAMP becomes runDetails.metadata.startedOn instead.
var privateStatusKeys = map[string]bool{"BUILD_HOST": true, "BUILD_USER": true, "BUILD_TIMESTAMP": true}

// Image is what a statement is about.
type Image struct {
	Target     string // label of the image target
	Digest     string // its manifest digest, sha256:<hex>
	BaseLabel  string
	BaseDigest string // "" on scratch
	Layers     []Layer
	// Status is the workspace status (both files) when stamping, else nil.
	Status map[string]string
}

// Layer is one layer and the files its action declared as inputs.
type Layer struct {
	Label  string
	Digest string // blob digest
	Inputs []Input
}

// Input is one declared input file of a layer action.
type Input struct {
	Name string // repository-relative path (Bazel's short_path): stable across machines
	Path string // where the action reads it
}

func sha256Hex(digest string) (string, error) {
	h := strings.TrimPrefix(digest, "sha256:")
	if len(h) != 64 || h == digest {
		return "", fmt.Errorf("%q is not a sha256:<64 hex> digest", digest)
	}
	return h, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashed is one file of an input: a regular file's content hash, or for a
// symlink inside a tree artifact the hash of its target text (the layer
// stores such a link as a link, never following it).
type hashed struct{ name, sha256, link string }

// inputFiles hashes an input: a file, or every entry of a tree artifact
// (declared directory), walked as the layer action walks it.
func inputFiles(in Input) ([]hashed, error) {
	info, err := os.Stat(in.Path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		sum, err := fileSHA256(in.Path)
		return []hashed{{name: in.Name, sha256: sum}}, err
	}
	var out []hashed
	err = walkTree(in.Path, "", func(rel, path, link string) error {
		h := hashed{name: in.Name + "/" + rel, link: link}
		if link != "" {
			s := sha256.Sum256([]byte(link))
			h.sha256 = hex.EncodeToString(s[:])
		} else if h.sha256, err = fileSHA256(path); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// walkTree visits root/rel in name order. A symlink the producer made is
// reported with its target and not followed; a symlink by which Bazel's
// sandbox stages a tree file (an absolute path ending in /root/rel) is
// plumbing, and what it points at is visited instead (as go/layer does).
func walkTree(root, rel string, visit func(rel, path, link string) error) error {
	dir := filepath.Join(root, rel)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		p := filepath.Join(root, r)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		real := p
		if info.Mode()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			staged := filepath.IsAbs(link) && strings.HasSuffix(filepath.Clean(link), string(filepath.Separator)+filepath.Join(root, r))
			if !staged {
				if err := visit(r, p, link); err != nil {
					return err
				}
				continue
			}
			if info, err = os.Lstat(link); err != nil {
				return err
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(link)
				if err != nil {
					return err
				}
				if err := visit(r, link, target); err != nil {
					return err
				}
				continue
			}
			real = link
		}
		switch {
		case info.IsDir():
			err = walkTree(root, r, visit)
		case info.Mode().IsRegular():
			err = visit(r, real, "")
		default:
			err = fmt.Errorf("%s is neither a file, a directory nor a symlink", p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func annotations(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err) // only strings go in
	}
	return s
}

// Statement builds and validates the in-toto statement of img, hashing every
// layer input file.
func Statement(img Image) (*intoto.Statement, error) {
	imgHex, err := sha256Hex(img.Digest)
	if err != nil {
		return nil, fmt.Errorf("image digest: %w", err)
	}
	var deps []*intoto.ResourceDescriptor
	if img.BaseDigest != "" {
		h, err := sha256Hex(img.BaseDigest)
		if err != nil {
			return nil, fmt.Errorf("base %s digest: %w", img.BaseLabel, err)
		}
		deps = append(deps, &intoto.ResourceDescriptor{Name: img.BaseLabel, Digest: map[string]string{"sha256": h},
			Annotations: annotations(map[string]any{"role": "base image"})})
	}
	for i, l := range img.Layers {
		h, err := sha256Hex(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s) digest: %w", i, l.Label, err)
		}
		deps = append(deps, &intoto.ResourceDescriptor{Name: l.Label, Digest: map[string]string{"sha256": h},
			MediaType: "", Annotations: annotations(map[string]any{"role": "layer", "layer": strconv.Itoa(i)})})
		inputs := append([]Input(nil), l.Inputs...)
		sort.Slice(inputs, func(a, b int) bool { return inputs[a].Name < inputs[b].Name })
		for _, in := range inputs {
			files, err := inputFiles(in)
			if err != nil {
				return nil, fmt.Errorf("input %s of layer %s: %w", in.Name, l.Label, err)
			}
			for _, f := range files {
				a := map[string]any{"role": "layer input", "layer": strconv.Itoa(i), "target": l.Label}
				if f.link != "" {
					a["symlink"] = f.link
				}
				deps = append(deps, &intoto.ResourceDescriptor{Name: f.name, Digest: map[string]string{"sha256": f.sha256},
					Annotations: annotations(a)})
			}
		}
	}

	ext := map[string]any{"target": img.Target}
	builderID := DefaultBuilderID
	var meta *slsa.BuildMetadata
	if img.Status != nil {
		status := map[string]any{}
		for k, v := range img.Status {
			if !privateStatusKeys[k] {
				status[k] = v
			}
		}
		ext["workspaceStatus"] = status
		for _, k := range []string{"BUILDER_ID", "STABLE_BUILDER_ID"} {
			if v := img.Status[k]; v != "" {
				builderID = v
				break
			}
		}
		if ts, err := strconv.ParseInt(img.Status["BUILD_TIMESTAMP"], 10, 64); err == nil {
			meta = &slsa.BuildMetadata{StartedOn: timestamppb.New(time.Unix(ts, 0))}
		}
	}
	extStruct, err := structpb.NewStruct(ext)
	if err != nil {
		return nil, err
	}
	pred := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{BuildType: BuildType, ExternalParameters: extStruct, ResolvedDependencies: deps},
		RunDetails:      &slsa.RunDetails{Builder: &slsa.Builder{Id: builderID}, Metadata: meta},
	}
	if err := pred.Validate(); err != nil {
		return nil, fmt.Errorf("provenance predicate: %w", err)
	}
	pb, err := protojson.Marshal(pred)
	if err != nil {
		return nil, err
	}
	predStruct := &structpb.Struct{}
	if err := protojson.Unmarshal(pb, predStruct); err != nil {
		return nil, err
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: img.Target, Digest: map[string]string{"sha256": imgHex}}},
		PredicateType: PredicateType,
		Predicate:     predStruct,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	return st, nil
}

// Marshal encodes st as indented JSON with sorted keys, the same bytes for
// the same statement (protojson alone varies its whitespace on purpose).
func Marshal(st *intoto.Statement) ([]byte, error) {
	b, err := protojson.Marshal(st)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
