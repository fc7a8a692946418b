package sbom

import (
	"fmt"
	"io"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Namespace prefixes every document namespace: a URI of this project's own,
// not a place documents are published.
const Namespace = "https://rules-strata.dev/spdx/"

// Image is what Document describes.
type Image struct {
	Target  string // label of the image target
	Digest  string // manifest digest, sha256:<hex>
	Created string // the config's created time (RFC 3339), or "" for the epoch
	Base    *Base  // nil for an image on scratch
	Layers  []Layer
}

// Base is the image an image was built on.
type Base struct {
	Label  string // the image or image_pull target
	Digest string // its manifest digest
}

// Layer is one layer of the image, in manifest order.
type Layer struct {
	Label    string // target that built it (a base's layers: the base)
	Digest   string // blob digest
	DiffID   string // digest of the uncompressed tar
	FromBase bool
	// Listing of its files, or nil when the build never had the blob (a
	// shallowly pulled base layer, which stays in its registry).
	Listing *Listing
}

func hexOf(digest string) (string, error) {
	h := strings.TrimPrefix(digest, "sha256:")
	if len(h) != 64 || h == digest {
		return "", fmt.Errorf("%q is not a sha256:<64 hex> digest", digest)
	}
	return h, nil
}

func sha256Sum(hex string) []common.Checksum {
	return []common.Checksum{{Algorithm: common.SHA256, Value: hex}}
}

func rel(a common.ElementID, kind string, b common.ElementID) *spdx.Relationship {
	return &spdx.Relationship{RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: kind}
}

func goPURL(path, version string) []*spdx.PackageExternalReference {
	if version == "" || version == "(devel)" {
		return nil
	}
	return []*spdx.PackageExternalReference{{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL,
		Locator: "pkg:golang/" + path + "@" + version}}
}

// Document builds the SPDX 2.3 document of img.
//
// Elements: the image (a CONTAINER package, checksum = manifest digest),
// DESCRIBED by the document; each layer (an ARCHIVE package, checksum = blob
// digest) that the image CONTAINS; each file of a layer (path, sha256) that
// the layer CONTAINS; the base image (checksum = its digest), of which the
// image is a DESCENDANT_OF; for every Go program, one package per module it
// links (main module, dependencies, and `stdlib` at the Go version it was
// built with), each with the program GENERATED_FROM it.
func Document(img Image) (*spdx.Document, error) {
	imgHex, err := hexOf(img.Digest)
	if err != nil {
		return nil, fmt.Errorf("image digest: %w", err)
	}
	created := img.Created
	if created == "" {
		created = time.Unix(0, 0).UTC().Format(time.RFC3339)
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      img.Target,
		DocumentNamespace: Namespace + "sha256/" + imgHex,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "rules_strata"}},
			Created:  created,
		},
	}
	const imageID = common.ElementID("Image")
	doc.Packages = append(doc.Packages, &spdx.Package{
		PackageName: img.Target, PackageSPDXIdentifier: imageID, PackageVersion: img.Digest,
		PackageDownloadLocation: "NOASSERTION", PackageChecksums: sha256Sum(imgHex),
		PrimaryPackagePurpose: "CONTAINER", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
	})
	doc.Relationships = append(doc.Relationships, rel("DOCUMENT", common.TypeRelationshipDescribe, imageID))
	if img.Base != nil {
		baseHex, err := hexOf(img.Base.Digest)
		if err != nil {
			return nil, fmt.Errorf("base %s digest: %w", img.Base.Label, err)
		}
		const baseID = common.ElementID("Base")
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName: img.Base.Label, PackageSPDXIdentifier: baseID, PackageVersion: img.Base.Digest,
			PackageDownloadLocation: "NOASSERTION", PackageChecksums: sha256Sum(baseHex),
			PrimaryPackagePurpose: "CONTAINER", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
			PackageComment: "The base image, by manifest digest; its layers are the image's first layers.",
		})
		doc.Relationships = append(doc.Relationships, rel(imageID, common.TypeRelationshipDescendantOf, baseID))
	}
	for i, l := range img.Layers {
		blobHex, err := hexOf(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d digest: %w", i, err)
		}
		layerID := common.ElementID(fmt.Sprintf("Layer-%d", i))
		comment := fmt.Sprintf("Layer %d of the image, built by %s; diffID %s.", i, l.Label, l.DiffID)
		if l.FromBase {
			comment = fmt.Sprintf("Layer %d of the image, from the base %s; diffID %s.", i, l.Label, l.DiffID)
		}
		if l.Listing == nil {
			comment += " Its blob stays in the base's registry (shallow pull), so its files are not listed."
		}
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName: l.Digest, PackageSPDXIdentifier: layerID, PackageDownloadLocation: "NOASSERTION",
			PackageChecksums: sha256Sum(blobHex), PrimaryPackagePurpose: "ARCHIVE",
			FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true, PackageComment: comment,
		})
		doc.Relationships = append(doc.Relationships, rel(imageID, common.TypeRelationshipContains, layerID))
		if l.Listing == nil {
			continue
		}
		for j, f := range l.Listing.Files {
			fileID := common.ElementID(fmt.Sprintf("File-%d-%d", i, j))
			file := &spdx.File{
				FileName: f.Path, FileSPDXIdentifier: fileID, Checksums: sha256Sum(f.SHA256),
				LicenseConcluded: "NOASSERTION", FileCopyrightText: "NOASSERTION",
			}
			if f.Go != nil {
				file.FileTypes = []string{"BINARY"}
				file.FileComment = fmt.Sprintf("Go program %s built with %s.", f.Go.Path, f.Go.GoVersion)
			}
			doc.Files = append(doc.Files, file)
			doc.Relationships = append(doc.Relationships, rel(layerID, common.TypeRelationshipContains, fileID))
			if f.Go == nil {
				continue
			}
			mods := append([]Module{{Path: "stdlib", Version: f.Go.GoVersion}, f.Go.Main}, f.Go.Deps...)
			for k, m := range mods {
				if m.Path == "" {
					continue // a program built outside a module has no main module
				}
				modID := common.ElementID(fmt.Sprintf("Go-%d-%d-%d", i, j, k))
				p := &spdx.Package{
					PackageName: m.Path, PackageSPDXIdentifier: modID, PackageVersion: m.Version,
					PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
					PackageExternalReferences: goPURL(m.Path, m.Version), PrimaryPackagePurpose: "LIBRARY",
				}
				switch k {
				case 0:
					p.PackageComment = "The Go standard library and runtime, at the Go version " + f.Go.Path + " was built with."
				case 1:
					p.PackageComment = "Main module of " + f.Go.Path + "."
					p.PrimaryPackagePurpose = "APPLICATION"
				}
				if m.Sum != "" {
					p.PackageComment = strings.TrimSpace(p.PackageComment + " go.sum hash " + m.Sum + ".")
				}
				doc.Packages = append(doc.Packages, p)
				doc.Relationships = append(doc.Relationships, rel(fileID, common.TypeRelationshipGeneratedFrom, modID))
			}
		}
	}
	return doc, nil
}

// Write writes doc as indented SPDX JSON.
func Write(w io.Writer, doc *spdx.Document) error {
	return spdxjson.Write(doc, w, spdxjson.Indent("  "))
}
