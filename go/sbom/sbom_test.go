package sbom_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/strata-build/rules_strata/go/internal/testbinary"
	"github.com/strata-build/rules_strata/go/sbom"
)

type entry struct {
	name, link string
	typ        byte
	body       []byte
}

func layerBlob(t *testing.T, gz bool, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write(e.body)
		}
	}
	tw.Close()
	if !gz {
		return buf.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(buf.Bytes())
	zw.Close()
	return z.Bytes()
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestListLayer(t *testing.T) {
	prog := testbinary.Bytes(t) // a real Go program with build info
	notGo := append([]byte("\x7fELF"), bytes.Repeat([]byte{1}, 100)...)
	entries := []entry{
		{name: "app/", typ: tar.TypeDir},
		{name: "app/hello", typ: tar.TypeReg, body: prog},
		{name: "app/fake-elf", typ: tar.TypeReg, body: notGo},
		{name: "./etc/motd", typ: tar.TypeReg, body: []byte("hi\n")},
		{name: "etc/motd.hard", typ: tar.TypeLink, link: "etc/motd"},
		{name: "etc/link", typ: tar.TypeSymlink, link: "motd"},
		{name: "etc/.wh.gone", typ: tar.TypeReg},
	}
	for _, gz := range []bool{false, true} {
		l, err := sbom.ListLayer(bytes.NewReader(layerBlob(t, gz, entries)), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range l.Files {
			got = append(got, f.Path+" "+f.SHA256[:12])
		}
		want := []string{"/app/hello " + sum(prog)[:12], "/app/fake-elf " + sum(notGo)[:12], "/etc/motd " + sum([]byte("hi\n"))[:12], "/etc/motd.hard " + sum([]byte("hi\n"))[:12]}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("gzip=%v files:\n%s\nwant:\n%s", gz, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		g := l.Files[0].Go
		info, _ := debug.ReadBuildInfo()
		if g == nil || g.GoVersion != runtime.Version() || g.Main.Path != info.Main.Path {
			t.Fatalf("build info of /app/hello = %+v, want Go %s main module %s", g, runtime.Version(), info.Main.Path)
		}
		if l.Files[1].Go != nil {
			t.Fatalf("a non-Go ELF got build info %+v", l.Files[1].Go)
		}
	}
}

// A hard link to a file of a lower layer has no content in this one: it is
// not listed here (its target is, in its own layer), and it is no error.
func TestListLayerSkipsHardLinkToLowerLayer(t *testing.T) {
	l, err := sbom.ListLayer(bytes.NewReader(layerBlob(t, true, []entry{
		{name: "a", typ: tar.TypeLink, link: "lower/file"},
		{name: "b", typ: tar.TypeReg, body: []byte("b")},
	})), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Files) != 1 || l.Files[0].Path != "/b" {
		t.Fatalf("files = %+v, want only /b", l.Files)
	}
}

func TestDocumentReadsBackAndIsDeterministic(t *testing.T) {
	prog := testbinary.Bytes(t)
	l, err := sbom.ListLayer(bytes.NewReader(layerBlob(t, true, []entry{
		{name: "app/hello", typ: tar.TypeReg, body: prog},
		{name: "etc/motd", typ: tar.TypeReg, body: []byte("hi\n")},
	})), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := func(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
	img := sbom.Image{
		Target: "//app:image", Digest: d('a'), Created: "2023-11-14T22:13:20Z",
		Base: &sbom.Base{Label: "@base//:image", Digest: d('b')},
		Layers: []sbom.Layer{
			{Label: "@base//:image", Digest: d('c'), DiffID: d('d'), FromBase: true},
			{Label: "//app:layer", Digest: d('e'), DiffID: d('f'), Listing: l},
		},
	}
	var outs [2]bytes.Buffer
	for i := range outs {
		doc, err := sbom.Document(img)
		if err != nil {
			t.Fatal(err)
		}
		if err := sbom.Write(&outs[i], doc); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
		t.Fatal("two documents of the same image differ")
	}

	// An independent reader: tools-golang's JSON parser and its validation.
	doc, err := spdxjson.Read(bytes.NewReader(outs[0].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DocumentNamespace != sbom.Namespace+"sha256/"+strings.Repeat("a", 64) || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Fatalf("header: %s %s %s", doc.SPDXVersion, doc.DocumentNamespace, doc.CreationInfo.Created)
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(described) != 1 || described[0] != "Image" {
		t.Fatalf("described = %v, %v", described, err)
	}
	files := map[string]string{}
	for _, f := range doc.Files {
		files[f.FileName] = f.Checksums[0].Value
	}
	if files["/app/hello"] != sum(prog) || files["/etc/motd"] != sum([]byte("hi\n")) || len(files) != 2 {
		t.Fatalf("files = %v", files)
	}
	pkgs := map[string]string{}
	for _, p := range doc.Packages {
		pkgs[p.PackageName] = p.PackageVersion
	}
	info, _ := debug.ReadBuildInfo()
	if pkgs["stdlib"] != runtime.Version() || pkgs["@base//:image"] != d('b') {
		t.Fatalf("packages = %v", pkgs)
	}
	if _, ok := pkgs[info.Main.Path]; !ok {
		t.Fatalf("packages = %v, want the main module %s", pkgs, info.Main.Path)
	}
	// Every relationship points at an element that exists (ValidateDocument
	// checks packages and files; the ids are unique).
	ids := map[string]bool{}
	for _, p := range doc.Packages {
		if ids[string(p.PackageSPDXIdentifier)] {
			t.Fatalf("duplicate id %s", p.PackageSPDXIdentifier)
		}
		ids[string(p.PackageSPDXIdentifier)] = true
	}
}

func TestDocumentRefusesBadDigest(t *testing.T) {
	if _, err := sbom.Document(sbom.Image{Target: "//x", Digest: "sha256:abc"}); err == nil {
		t.Fatal("accepted a short digest")
	}
}
