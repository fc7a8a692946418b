package canontar_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/tarlisting"
)

func file(p, content string, mode int64) canontar.Entry {
	return canontar.Entry{Path: p, Type: canontar.Regular, Mode: mode, Size: int64(len(content)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }}
}

// TestGoldenListing pins every header field of the canonical form, entry by
// entry, so a diff says which entry changed and how.
func TestGoldenListing(t *testing.T) {
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("f", 120)
	entries, err := canontar.Sort([]canontar.Entry{
		file("usr/bin/app", "#!/bin/sh\necho hi\n", 0o755),
		{Path: "bin/sh", Type: canontar.Symlink, Mode: 0o777, Link: "/bin/busybox"},
		file("a.txt", "a", 0o644),
		{Path: "tmp", Type: canontar.Dir, Mode: 0o1777},
		file("etc/owned", "x", 0o600),
		file(long, "", 0o644),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		if entries[i].Path == "etc/owned" {
			entries[i].UID, entries[i].GID = 1000, 2000
		}
	}
	var buf bytes.Buffer
	if err := canontar.Write(&buf, entries, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	got, err := tarlisting.List(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"path":"a.txt","type":"file","mode":"0644","uid":0,"gid":0,"size":1,"sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb","mtime":0,"format":"USTAR"}
{"path":"bin/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"bin/sh","type":"symlink","mode":"0777","uid":0,"gid":0,"link":"/bin/busybox","mtime":0,"format":"USTAR"}
{"path":"` + strings.Repeat("d", 120) + `/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"PAX"}
{"path":"` + long + `","type":"file","mode":"0644","uid":0,"gid":0,"size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","mtime":0,"format":"PAX"}
{"path":"etc/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"etc/owned","type":"file","mode":"0600","uid":1000,"gid":2000,"size":1,"sha256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","mtime":0,"format":"USTAR"}
{"path":"tmp/","type":"dir","mode":"1777","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"usr/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"usr/bin/","type":"dir","mode":"0755","uid":0,"gid":0,"mtime":0,"format":"USTAR"}
{"path":"usr/bin/app","type":"file","mode":"0755","uid":0,"gid":0,"size":18,"sha256":"299001868fb8c02fd431c336c6d058f5558c5dff5b5af5e6fe04b870a6a9cbba","mtime":0,"format":"USTAR"}
`
	if got != want {
		t.Errorf("listing differs\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSortRejectsFileAsParent(t *testing.T) {
	_, err := canontar.Sort([]canontar.Entry{file("a", "x", 0o644), file("a/b", "y", 0o644)})
	if err == nil || !strings.Contains(err.Error(), `needs "a" to be a directory`) {
		t.Fatalf("got %v", err)
	}
}

// TestSortRejectsSymlinkAsParent: a directory (here an implicit parent)
// under a symlink would be created through the link by extractors.
func TestSortRejectsSymlinkAsParent(t *testing.T) {
	_, err := canontar.Sort([]canontar.Entry{
		{Path: "a", Type: canontar.Symlink, Mode: 0o777, Link: "/x"},
		file("a/b/c", "y", 0o644),
	})
	var pe *canontar.ParentError
	if !errors.As(err, &pe) || pe.Path != "a/b" || pe.Parent != "a" || pe.ParentType != canontar.Symlink {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(err.Error(), "but it is a symlink") {
		t.Errorf("message: %v", err)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"/usr/bin/": "usr/bin", "./etc//x": "etc/x", "a/./b": "a/b"} {
		if got, ok := canontar.CleanPath(in); !ok || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"../etc", "a/../../b", "/", ".", ""} {
		if _, ok := canontar.CleanPath(bad); ok {
			t.Errorf("CleanPath(%q) accepted", bad)
		}
	}
}

// TestCleanPathSameAsClean: CleanPath returns clean paths without copying
// them; for every path of up to four parts of "", ".", "..", "a" and "b.c"
// (with and without a leading "/") it must still answer exactly what
// cleaning "/"+p answers, which is what decides the bytes of tar headers.
func TestCleanPathSameAsClean(t *testing.T) {
	parts := []string{"", ".", "..", "a", "b.c"}
	paths := []string{""}
	for n := 0; n < 4; n++ {
		for _, p := range paths {
			for _, part := range parts {
				paths = append(paths, p+"/"+part, p+part+"/")
			}
		}
	}
	for _, p := range paths {
		want := strings.TrimPrefix(path.Clean("/"+p), "/")
		wantOK := want != "" && !slices.Contains(strings.Split(p, "/"), "..")
		if got, ok := canontar.CleanPath(p); ok != wantOK || (ok && got != want) {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, %v", p, got, ok, want, wantOK)
		}
	}
}

// TestSortAnyInputOrder: Sort sorts in place; the result must not depend on
// the order it is given, and a duplicate path is an error in any position.
func TestSortAnyInputOrder(t *testing.T) {
	base := []canontar.Entry{file("z/y/x", "1", 0o644), file("a", "2", 0o644), file("a.b/c", "3", 0o644), {Path: "z", Type: canontar.Dir, Mode: 0o700}}
	var want []string
	for i := 0; i < len(base); i++ {
		in := append(append([]canontar.Entry(nil), base[i:]...), base[:i]...)
		out, err := canontar.Sort(in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out {
			got = append(got, fmt.Sprintf("%s %c %o", e.Path, e.Type, e.Mode))
		}
		if want == nil {
			want = got
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != 6 {
			t.Errorf("rotation %d: got %q, want %q (6 entries, a.b and z/y implied)", i, got, want)
		}
		if _, err := canontar.Sort(append(in, file("a.b/c", "4", 0o644))); err == nil || !strings.Contains(err.Error(), `duplicate entry "a.b/c"`) {
			t.Errorf("rotation %d: duplicate accepted: %v", i, err)
		}
	}
}

// TestCleanPathNoCopy: a clean destination costs no allocation, once per
// file of a 100,000-file layer.
func TestCleanPathNoCopy(t *testing.T) {
	for _, p := range []string{"/usr/bin/app", "usr/bin/app"} {
		if n := testing.AllocsPerRun(100, func() { canontar.CleanPath(p) }); n != 0 {
			t.Errorf("CleanPath(%q) allocates %v times", p, n)
		}
	}
}

// sized is content whose size is learnt at open (canontar.Sizer).
type sized struct{ *strings.Reader }

func (sized) Close() error           { return nil }
func (s sized) Size() (int64, error) { return s.Reader.Size(), nil }

// TestSizeAtOpen: an entry whose size is learnt when its content is opened
// writes exactly the bytes of the same entry with its size given, empty
// files included; content that cannot say its size is an error naming the
// entry, not a header with a wrong size.
func TestSizeAtOpen(t *testing.T) {
	tarOf := func(entries ...canontar.Entry) ([]byte, error) {
		var buf bytes.Buffer
		err := canontar.Write(&buf, entries, time.Unix(0, 0))
		return buf.Bytes(), err
	}
	late := func(e canontar.Entry, content string) canontar.Entry {
		e.Size = canontar.SizeAtOpen
		e.Open = func() (io.ReadCloser, error) { return sized{strings.NewReader(content)}, nil }
		return e
	}
	a, empty := file("a", "hello", 0o644), file("b", "", 0o600)
	want, err := tarOf(a, empty)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tarOf(late(a, "hello"), late(empty, ""))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("sized at open: %v, bytes equal %v", err, bytes.Equal(got, want))
	}
	noSize := a
	noSize.Size = canontar.SizeAtOpen
	var ce *canontar.ContentError
	if _, err := tarOf(noSize); !errors.As(err, &ce) || ce.Path != "a" {
		t.Errorf("content without a size: got %v", err)
	}
}
