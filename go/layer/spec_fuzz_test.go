package layer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/layer"
	"github.com/strata-build/rules_strata/go/usererr"
)

// FuzzLayerSpec reads untrusted layer spec bytes and builds the layer: the
// reader must name the spec file when it refuses, and every setting the
// spec carries (destinations, modes, owners, uid/gid, mtime, symlinks,
// empty_dirs) must be either built or refused with a usererr.Error. Sources
// are pointed at one small fixture so the fuzzer cannot walk the machine.
func FuzzLayerSpec(f *testing.F) {
	f.Add([]byte(`{"v":1,"target":"//a:b","compression":"gzip","files":[{"src":"x","dst":"/app/x"}],"modes":{"/app/x":"0755"},"owners":{"/app/x":"1000:1000"}}`))
	f.Add([]byte(`{"v":1,"target":"//a:b","compression":"none","uid":2147483648,"mtime":-5}`))
	f.Add([]byte(`{"v":1,"target":"//a:b","compression":"zstd","symlinks":[{"path":"/a","target":"/x"}],"files":[{"src":"x","dst":"/a/f"}]}`))
	f.Add([]byte(`{"v":1,"target":"//a:b","compression":"none","empty_dirs":["/tmp","../x"],"dir_mode":"1777","mode":"rw"}`))
	f.Add([]byte(`{"v":1,"target":"//a:b","compression":"none","tars":["t"],"owners":{"/f":"0:-1"}}`))
	f.Add([]byte(`{"v":1,"target":"//a:b","unknown":1}`))
	f.Add([]byte(`{"v":1,"target":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		specPath := filepath.Join(dir, "spec.json")
		if err := os.WriteFile(specPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		spec, err := layer.ReadSpec(specPath)
		if err != nil {
			if !strings.Contains(err.Error(), specPath) {
				t.Fatalf("spec refused without naming the file: %v", err)
			}
			return
		}
		src := write(t, filepath.Join(dir, "src"), "content", 0o644)
		for i := range spec.Files {
			spec.Files[i].Src = src
		}
		for i := range spec.Tars {
			spec.Tars[i] = "testdata/tars/pax-sparse-small.tar"
		}
		if _, err := layer.Build(spec, filepath.Join(dir, "blob")); err != nil {
			if _, ok := usererr.As(err); !ok {
				t.Fatalf("refused without a usererr.Error: %T %v", err, err)
			}
		}
	})
}
