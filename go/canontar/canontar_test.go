package canontar_test

import (
	"bytes"
	"errors"
	"io"
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
