package layer

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/compress"
)

// TestFileShrinks truncates a source between collecting it and writing the
// layer: the error names the target, the source and the fix, not only
// "file shrank while being read".
func TestFileShrinks(t *testing.T) {
	src := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(src, []byte(strings.Repeat("x", 4096)), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Target: "//pkg:layer", Compression: "none", Files: []File{{Src: src, Dst: "/data.bin", Label: "//pkg:data"}}}
	tr, err := collect(spec)
	defer tr.close()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := tr.entries()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(src, 100); err != nil {
		t.Fatal(err)
	}
	_, err = Write(io.Discard, entries, time.Unix(0, 0), compress.None)
	err = tr.contentError(err)
	for _, w := range []string{"//pkg:layer", `"data.bin"`, "//pkg:data", src, "file shrank while being read (100 of 4096 bytes)", "fix:"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
}
