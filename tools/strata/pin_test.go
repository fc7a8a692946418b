package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

// TestPinExitCodes: `strata pin` as bazel run starts it (workspace and
// working directory from the environment): 0 current, 4 stale under
// --check, 0 after pinning, 1 for a pull it cannot resolve, and a clear
// error where the workspace has none of the default files.
func TestPinExitCodes(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registrytest.Host(registrytest.Serve(t))
	push := func() string { return registrytest.Push(t, host+"/base:1", registrytest.Image(t, 64, 1)).String() }
	ws := t.TempDir()
	t.Setenv("BUILD_WORKSPACE_DIRECTORY", ws)
	t.Setenv("BUILD_WORKING_DIRECTORY", filepath.Join(ws, "sub"))
	pull := `image_pull(name = "base", digest = "%s", image = "` + host + `/base", tag = "1")` + "\n"
	write := func(f, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(ws, f)), 0o755)
		if err := os.WriteFile(filepath.Join(ws, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code := run([]string{"pin", "--check"}); code != 1 {
		t.Errorf("no WORKSPACE or MODULE.bazel: exit %d, want 1", code)
	}
	old := push()
	write("WORKSPACE", strings.ReplaceAll(pull, "%s", old))
	if code := run([]string{"pin", "--check"}); code != 0 {
		t.Errorf("current pin: --check exit %d, want 0", code)
	}
	now := push()
	if code := run([]string{"pin", "--check"}); code != pinStale {
		t.Errorf("stale pin: --check exit %d, want %d", code, pinStale)
	}
	if code := run([]string{"pin", "--check", "--dry-run"}); code != 1 {
		t.Errorf("--check --dry-run: exit %d, want 1", code)
	}
	if code := run([]string{"pin"}); code != 0 {
		t.Errorf("pin: exit %d, want 0", code)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "WORKSPACE")); string(b) != strings.ReplaceAll(pull, "%s", now) {
		t.Errorf("WORKSPACE after pin:\n%s", b)
	}
	// Named files are relative to the working directory.
	write("sub/bases.bzl", strings.ReplaceAll(pull, "%s", old))
	if code := run([]string{"pin", "bases.bzl"}); code != 0 {
		t.Errorf("pin bases.bzl: exit %d, want 0", code)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "sub/bases.bzl")); string(b) != strings.ReplaceAll(pull, "%s", now) {
		t.Errorf("sub/bases.bzl after pin:\n%s", b)
	}
	write("sub/gone.bzl", strings.ReplaceAll(strings.Replace(pull, `tag = "1"`, `tag = "gone"`, 1), "%s", now))
	if code := run([]string{"pin", "--check", "gone.bzl"}); code != 1 {
		t.Errorf("a tag that does not exist: exit %d, want 1", code)
	}
	if code := run([]string{"pin", "--check", "nothing.bzl"}); code != 1 {
		t.Errorf("a file that does not exist: exit %d, want 1", code)
	}
}
