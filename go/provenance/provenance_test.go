package provenance_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/strata-build/rules_strata/go/provenance"
	"github.com/strata-build/rules_strata/go/tagtemplate"
)

func d(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func image(t *testing.T) provenance.Image {
	dir := t.TempDir()
	var inputs []provenance.Input
	for _, name := range []string{"app/z.txt", "app/a.txt"} {
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, provenance.Input{Name: name, Path: p})
	}
	return provenance.Image{
		Target: "//app:image", Digest: d('a'), BaseLabel: "@base//:image", BaseDigest: d('b'),
		Layers: []provenance.Layer{{Label: "@base//:image", Digest: d('c')}, {Label: "//app:layer", Digest: d('e'), Inputs: inputs}},
	}
}

// parse reads a statement back with the in-toto bindings and validates it
// and its SLSA predicate.
func parse(t *testing.T, b []byte) (*intoto.Statement, *slsa.Provenance) {
	t.Helper()
	st := &intoto.Statement{}
	if err := protojson.Unmarshal(b, st); err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	pj, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	pred := &slsa.Provenance{}
	if err := protojson.Unmarshal(pj, pred); err != nil {
		t.Fatal(err)
	}
	if err := pred.Validate(); err != nil {
		t.Fatal(err)
	}
	return st, pred
}

func TestUnstamped(t *testing.T) {
	var outs [2][]byte
	for i := range outs {
		st, err := provenance.Statement(image(t))
		if err != nil {
			t.Fatal(err)
		}
		if outs[i], err = provenance.Marshal(st); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("two statements of the same image differ:\n%s\n%s", outs[0], outs[1])
	}
	st, pred := parse(t, outs[0])
	if st.GetPredicateType() != provenance.PredicateType || st.GetSubject()[0].GetDigest()["sha256"] != strings.Repeat("a", 64) {
		t.Fatalf("statement: %v", st)
	}
	bd := pred.GetBuildDefinition()
	if bd.GetBuildType() != provenance.BuildType || bd.GetExternalParameters().AsMap()["target"] != "//app:image" {
		t.Fatalf("build definition: %v", bd)
	}
	if _, ok := bd.GetExternalParameters().AsMap()["workspaceStatus"]; ok {
		t.Fatal("an unstamped statement has a workspace status")
	}
	var got []string
	for _, r := range bd.GetResolvedDependencies() {
		got = append(got, r.GetName()+" "+r.GetDigest()["sha256"][:8])
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:])[:8] }
	want := []string{"@base//:image bbbbbbbb", "@base//:image cccccccc", "//app:layer eeeeeeee", "app/a.txt " + sum("app/a.txt"), "app/z.txt " + sum("app/z.txt")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("resolved dependencies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if pred.GetRunDetails().GetBuilder().GetId() != provenance.DefaultBuilderID || pred.GetRunDetails().GetMetadata() != nil {
		t.Fatalf("run details: %v", pred.GetRunDetails())
	}
}

func TestStamped(t *testing.T) {
	dir := t.TempDir()
	stable, volatile := filepath.Join(dir, "stable"), filepath.Join(dir, "volatile")
	os.WriteFile(stable, []byte("BUILD_EMBED_LABEL \nBUILD_HOST ci-7\nBUILD_USER bob\nSTABLE_GIT_COMMIT abc1234\nSTABLE_BUILDER_ID https://ci.example/runner\n"), 0o644)
	os.WriteFile(volatile, []byte("BUILD_TIMESTAMP 1700000000\nBUILD_PR_NUMBER 42\n"), 0o644)
	status, err := tagtemplate.ReadStatus(stable, volatile)
	if err != nil {
		t.Fatal(err)
	}
	img := image(t)
	img.Status = status
	st, err := provenance.Statement(img)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := provenance.Marshal(st)
	_, pred := parse(t, b)
	ws := pred.GetBuildDefinition().GetExternalParameters().AsMap()["workspaceStatus"].(map[string]any)
	if ws["STABLE_GIT_COMMIT"] != "abc1234" || ws["BUILD_PR_NUMBER"] != "42" {
		t.Fatalf("workspace status: %v", ws)
	}
	for _, k := range []string{"BUILD_HOST", "BUILD_USER", "BUILD_TIMESTAMP"} {
		if _, ok := ws[k]; ok {
			t.Fatalf("workspace status records %s: %v", k, ws)
		}
	}
	rd := pred.GetRunDetails()
	if rd.GetBuilder().GetId() != "https://ci.example/runner" || rd.GetMetadata().GetStartedOn().GetSeconds() != 1700000000 {
		t.Fatalf("run details: %v", rd)
	}
}

func TestMissingInputFails(t *testing.T) {
	img := image(t)
	img.Layers[1].Inputs[0].Path = "/nonexistent/file"
	if _, err := provenance.Statement(img); err == nil || !strings.Contains(err.Error(), "app/z.txt") {
		t.Fatalf("err = %v, want one naming the input", err)
	}
}

// A tree artifact input is walked: its files by content, and the symlinks its
// producer made by their target text, never followed (the layer stores them
// as symlinks; following /etc/passwd would record a host file).
func TestTreeArtifactInput(t *testing.T) {
	tree := filepath.Join(t.TempDir(), "links")
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	os.WriteFile(filepath.Join(tree, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(tree, "sub", "b.txt"), []byte("b"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(tree, "abs"))
	os.Symlink("sub", filepath.Join(tree, "dirlink"))
	img := image(t)
	img.Layers[1].Inputs = []provenance.Input{{Name: "pkg/links", Path: tree}}
	st, err := provenance.Statement(img)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := provenance.Marshal(st)
	_, pred := parse(t, b)
	var got []string
	for _, r := range pred.GetBuildDefinition().GetResolvedDependencies()[3:] {
		link, _ := r.GetAnnotations().AsMap()["symlink"].(string)
		got = append(got, r.GetName()+" "+r.GetDigest()["sha256"][:8]+" "+link)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:])[:8] }
	want := []string{
		"pkg/links/a.txt " + sum("a") + " ",
		"pkg/links/abs " + sum("/etc/passwd") + " /etc/passwd",
		"pkg/links/dirlink " + sum("sub") + " sub",
		"pkg/links/sub/b.txt " + sum("b") + " ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree inputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
