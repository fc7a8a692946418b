package sbom

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/strata-build/rules_strata/go/spec"
)

// Spec is what the image rule's sbom output group asks for: the wire type
// spec.SBOM.
type Spec = spec.SBOM

// ReadSpec loads a spec file.
func ReadSpec(path string) (Spec, error) { return spec.ReadSBOM(path) }

func readDigest(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Load reads the files a spec names into an Image.
func Load(s Spec) (Image, error) {
	img := Image{Target: s.Target}
	var err error
	if img.Digest, err = readDigest(s.Digest); err != nil {
		return img, err
	}
	cb, err := os.ReadFile(s.Config)
	if err != nil {
		return img, err
	}
	var cfg struct {
		Created *time.Time `json:"created"`
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return img, fmt.Errorf("%s: %w", s.Config, err)
	}
	if cfg.Created != nil {
		img.Created = cfg.Created.UTC().Format(time.RFC3339)
	}
	if s.BaseDigest != "" {
		d, err := readDigest(s.BaseDigest)
		if err != nil {
			return img, err
		}
		img.Base = &Base{Label: s.BaseLabel, Digest: d}
	}
	for _, sl := range s.Layers {
		desc, err := spec.ReadDescriptor(sl.Descriptor)
		if err != nil {
			return img, err
		}
		l := Layer{Label: sl.Label, Digest: desc.Digest.String(), DiffID: desc.DiffID.String(), FromBase: sl.FromBase}
		if sl.Listing != "" {
			if l.Listing, err = ReadListing(sl.Listing); err != nil {
				return img, err
			}
		}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}
