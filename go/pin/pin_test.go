package pin_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/pin"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/regclient/registrytest"
)

// reg is an in-process registry with helpers to move tags.
type reg struct {
	t    *testing.T
	host string
}

func newRegistry(t *testing.T) *reg {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the machine
	return &reg{t: t, host: registrytest.Host(registrytest.Serve(t))}
}

// pushImage tags a new random image as repo:tag and returns its digest.
func (r *reg) pushImage(repo, tag string) string {
	r.t.Helper()
	return registrytest.Push(r.t, r.host+"/"+repo+":"+tag, registrytest.Image(r.t, 64, 1)).String()
}

// pushIndex tags a new index of one random image per platform.
func (r *reg) pushIndex(repo, tag string, platforms ...string) string {
	r.t.Helper()
	var ps []v1.Platform
	for _, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			r.t.Fatal(err)
		}
		ps = append(ps, *plat)
	}
	return registrytest.PushIndex(r.t, r.host+"/"+repo+":"+tag, registrytest.Index(r.t, ps...)).String()
}

func opts() []remote.Option {
	r := regclient.Retry{Attempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: 10 * time.Second}
	return regclient.RemoteOptions(context.Background(), r, 1)
}

// run pins the named files (written from contents) in a temporary directory.
func run(t *testing.T, o pin.Options, contents map[string]string) (pin.Result, string, string) {
	t.Helper()
	dir := t.TempDir()
	var files []pin.File
	for n, c := range contents {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, pin.File{Path: p, Name: n})
	}
	var out bytes.Buffer
	o.Out, o.Remote = &out, opts()
	res, err := pin.Run(context.Background(), files, o)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if len(files) == 1 {
		b, err := os.ReadFile(files[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		got = string(b)
	}
	return res, got, out.String()
}

const workspaceTmpl = `workspace(name = "app")

load("@rules_strata//rules:defs.bzl", "image_pull", other_pull = "image_pull")

# The base image.   Odd spacing and comments must survive.
image_pull(
    name = "base",
    # the digest of tag 1
    digest = "OLD",  # keep this comment
    image = "HOST/team/base",
    tag = "1",
)

image_pull(name = 'single', digest = 'OLD', image = 'HOST/team/base', tag = '1')  # one line

other_pull(
    name = "aliased",
    image = "HOST/team/base",
    digest = "OLD",
    tag = "1",
)

image_pull(
    name = "unpinned",
    image = "HOST/team/base",
    tag = "1",
)

image_pull(name = "compact", image = "HOST/team/base", tag = "1")

image_pull(
    name = "current",
    digest = "OTHER",
    image = "HOST/team/other",
    tag = "stable",
)

container_pull(
    name = "not_ours",
    digest = "OLD",
    image = "HOST/team/base",
    tag = "1",
)
`

func fill(s string, kv ...string) string { return strings.NewReplacer(kv...).Replace(s) }

// TestPinRewritesOnlyTheDigests: every stale digest literal is replaced in
// place, a pull without a digest gains one line, and every other byte of
// the file (comments, quoting, spacing, other rules) stays as it was.
func TestPinRewritesOnlyTheDigests(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	other := r.pushImage("team/other", "stable")
	now := r.pushImage("team/base", "1") // a new base under the same tag
	before := fill(workspaceTmpl, "HOST", r.host, "OLD", old, "OTHER", other)

	res, got, out := run(t, pin.Options{}, map[string]string{"WORKSPACE": before})
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	want := fill(workspaceTmpl, "HOST", r.host, "OTHER", other,
		`    name = "unpinned",
    image`, `    name = "unpinned",
    digest = "NEW",
    image`,
		`name = "compact", image`, `name = "compact", digest = "NEW", image`,
		`container_pull(
    name = "not_ours",
    digest = "OLD"`, `container_pull(
    name = "not_ours",
    digest = "KEEP"`,
	)
	want = fill(want, "OLD", now, "NEW", now, "KEEP", old)
	if got != want {
		t.Errorf("pinned WORKSPACE differs from the expected bytes:\n--- got\n%s\n--- want\n%s", got, want)
	}
	if res.Pulls != 6 || res.Current != 1 || res.Stale != 5 || len(res.Rewritten) != 1 {
		t.Errorf("result = %+v, want 6 pulls, 1 current, 5 stale, WORKSPACE rewritten", res)
	}
	for _, line := range []string{
		`WORKSPACE:6: image_pull(name = "base"): pinned ` + r.host + `/team/base:1 to ` + now + ` (was ` + old + `)`,
		`WORKSPACE:23: image_pull(name = "unpinned"): pinned ` + r.host + `/team/base:1 to ` + now + ` (was no digest)`,
		`WORKSPACE:16: other_pull(name = "aliased")`,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output has no line %q:\n%s", line, out)
		}
	}

	// Pinning again changes nothing and reports every pull current.
	res, again, out := run(t, pin.Options{Check: true}, map[string]string{"WORKSPACE": got})
	if again != got || res.Stale != 0 || res.Current != 6 || out != "" {
		t.Errorf("second run: result %+v, output %q; the file changed: %v", res, out, again != got)
	}
}

// TestCheckAndDryRunWriteNothing: --check lists the stale pins, --dry-run
// prints the diff that `diff -u` prints for the real rewrite.
func TestCheckAndDryRunWriteNothing(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	other := r.pushImage("team/other", "stable")
	now := r.pushImage("team/base", "1")
	before := fill(workspaceTmpl, "HOST", r.host, "OLD", old, "OTHER", other)

	res, got, out := run(t, pin.Options{Check: true}, map[string]string{"WORKSPACE": before})
	if got != before || res.Stale != 5 || len(res.Rewritten) != 0 {
		t.Fatalf("--check: result %+v; file changed: %v", res, got != before)
	}
	wantLine := `WORKSPACE:6: image_pull(name = "base") is stale: ` + r.host + `/team/base:1 is now ` + now + `, the pin is ` + old
	if !strings.Contains(out, wantLine) || strings.Count(out, "is stale") != 5 {
		t.Errorf("--check output:\n%s\nwant 5 stale lines, among them %q", out, wantLine)
	}

	res, got, diff := run(t, pin.Options{DryRun: true}, map[string]string{"WORKSPACE": before})
	if got != before || res.Stale != 5 {
		t.Fatalf("--dry-run: result %+v; file changed: %v", res, got != before)
	}
	_, pinned, _ := run(t, pin.Options{}, map[string]string{"WORKSPACE": before})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "old"), []byte(before), 0o644)
	os.WriteFile(filepath.Join(dir, "new"), []byte(pinned), 0o644)
	cmd := exec.Command("diff", "-u", "old", "new")
	cmd.Dir = dir
	ref, _ := cmd.Output() // exit 1: the files differ
	if len(ref) == 0 {
		t.Skip("no diff(1) on this machine")
	}
	hunks := func(d string) string { return d[strings.Index(d, "@@"):] }
	if !strings.HasPrefix(diff, "--- a/WORKSPACE\n+++ b/WORKSPACE\n") || hunks(diff) != hunks(string(ref)) {
		t.Errorf("--dry-run diff differs from diff -u:\n%s\n--- diff -u:\n%s", diff, ref)
	}
}

// TestModuleExtensionPulls: in MODULE.bazel, pull tags on a variable bound
// to rules_strata's `strata` extension are pinned; `.pull` on other
// extensions is left alone.
func TestModuleExtensionPulls(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	now := r.pushImage("team/base", "1")
	tmpl := `module(name = "app")

strata = use_extension("@rules_strata//rules:extensions.bzl", "strata")
strata.pull(
    name = "base",
    digest = "D",  # strata_example_base
    image = "HOST/team/base",
    tag = "1",
)
use_repo(strata, "base")

strata_dev = use_extension("//rules:extensions.bzl", "strata", dev_dependency = True)
strata_dev.pull(name = "dev", digest = "D", image = "HOST/team/base", tag = "1")

other = use_extension("@other//:extensions.bzl", "strata")
other.pull(name = "x", digest = "D", image = "HOST/team/base", tag = "1")
`
	before := fill(tmpl, "HOST", r.host, "D", old)
	res, got, out := run(t, pin.Options{}, map[string]string{"MODULE.bazel": before})
	want := strings.Replace(strings.Replace(before, old, now, 2), `other.pull(name = "x", digest = "`+now, `other.pull(name = "x", digest = "`+old, 1)
	if got != want || res.Pulls != 2 || len(res.Problems) != 0 {
		t.Errorf("result %+v, output:\n%s\ngot:\n%s\nwant:\n%s", res, out, got, want)
	}
	if !strings.Contains(out, `MODULE.bazel:13: strata_dev.pull(name = "dev"): pinned`) {
		t.Errorf("output does not name strata_dev.pull(name = \"dev\"):\n%s", out)
	}
}

// TestBzlMacro: a .bzl the user points pin at, with pulls inside a function.
func TestBzlMacro(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	now := r.pushImage("team/base", "1")
	tmpl := `"""Bases."""

load("@rules_strata//rules:defs.bzl", "image_pull")

def bases():
    """Pulls every base."""
    image_pull(
        name = "base",
        digest = "D",
        image = "HOST/team/base",
        tag = "1",
    )
    image_pull(
        name = "no_digest",
        image = "HOST/team/base",
        tag = "1",
    )
`
	before := fill(tmpl, "HOST", r.host, "D", old)
	res, _, out := run(t, pin.Options{Check: true}, map[string]string{"deps/bases.bzl": before})
	if res.Stale != 2 || !strings.Contains(out, `deps/bases.bzl:7: image_pull(name = "base") is stale`) {
		t.Errorf("check: %+v\n%s", res, out)
	}
	_, b, _ := run(t, pin.Options{}, map[string]string{"deps/bases.bzl": before})
	want := strings.Replace(before, old, now, 1)
	want = strings.Replace(want, "        name = \"no_digest\",\n", "        name = \"no_digest\",\n        digest = \""+now+"\",\n", 1)
	if b != want {
		t.Errorf("got:\n%s\nwant:\n%s", b, want)
	}
}

// TestIndexStaysAnIndex: a multi-platform tag pins the index digest, not a
// platform's manifest; an index that lost the pull's platform is refused.
func TestIndexStaysAnIndex(t *testing.T) {
	r := newRegistry(t)
	idx := r.pushIndex("team/multi", "1", "linux/amd64", "linux/arm64/v8")
	r.pushIndex("team/amd64only", "1", "linux/amd64")
	r.pushImage("team/single", "1")
	tmpl := `image_pull(name = "multi", digest = "sha256:x", image = "HOST/team/multi", platform = "linux/arm64", tag = "1")
image_pull(name = "gone", digest = "sha256:x", image = "HOST/team/amd64only", platform = "linux/arm64", tag = "1")
image_pull(name = "both", digest = "sha256:x", image = "HOST/team/multi", platforms = ["linux/amd64", "linux/arm64/v8"], tag = "1")
image_pull(name = "both_gone", digest = "sha256:x", image = "HOST/team/amd64only", platforms = ["linux/amd64", "linux/arm64"], tag = "1")
image_pull(name = "both_single", digest = "sha256:x", image = "HOST/team/single", platforms = ["linux/amd64"], tag = "1")
`
	before := fill(tmpl, "HOST", r.host)
	res, got, _ := run(t, pin.Options{}, map[string]string{"WORKSPACE": before})
	if !strings.Contains(got, `name = "multi", digest = "`+idx+`"`) {
		t.Errorf("the index digest %s is not pinned:\n%s", idx, got)
	}
	if !strings.Contains(got, `name = "both", digest = "`+idx+`"`) {
		t.Errorf("the index digest %s is not pinned for platforms:\n%s", idx, got)
	}
	if len(res.Problems) != 3 ||
		!strings.Contains(res.Problems[0].Error(), `image_pull(name = "gone") in WORKSPACE:2: `+r.host+`/team/amd64only:1 is now an index without linux/arm64 (it has: linux/amd64)`) ||
		!strings.Contains(res.Problems[1].Error(), `image_pull(name = "both_gone") in WORKSPACE:4: `+r.host+`/team/amd64only:1 is now an index without linux/arm64 (it has: linux/amd64)`) ||
		!strings.Contains(res.Problems[2].Error(), `image_pull(name = "both_single") in WORKSPACE:5: `+r.host+`/team/single:1 is now a single-platform image, but platforms lists linux/amd64`) {
		t.Errorf("problems: %v", res.Problems)
	}
	if !strings.Contains(got, `name = "gone", digest = "sha256:x"`) {
		t.Errorf("the refused pull was rewritten:\n%s", got)
	}
}

// TestBadInput: each pull that cannot be pinned is one message naming the
// pull, its file and line, and the fix; the other pulls are still pinned.
func TestBadInput(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	now := r.pushImage("team/base", "1")
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer refusing.Close()
	tmpl := `load("//:versions.bzl", "BASE_DIGEST")

image_pull(name = "no_tag", digest = "@D@", image = "HOST/team/base")

image_pull(name = "tag_gone", digest = "@D@", image = "HOST/team/base", tag = "2")

image_pull(name = "repo_gone", digest = "@D@", image = "HOST/team/nothing", tag = "1")

image_pull(name = "private", digest = "@D@", image = "REFUSING/team/base", tag = "1")

image_pull(name = "variable", digest = BASE_DIGEST, image = "HOST/team/base", tag = "1")

image_pull(name = "ok", digest = "@D@", image = "HOST/team/base", tag = "1")
`
	before := fill(tmpl, "HOST", r.host, "REFUSING", strings.TrimPrefix(refusing.URL, "http://"), "@D@", old)
	res, got, _ := run(t, pin.Options{}, map[string]string{"WORKSPACE": before})
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`image_pull(name = "no_tag") in WORKSPACE:3: no tag to resolve` + "\n  fix: add tag = ",
		`image_pull(name = "tag_gone") in WORKSPACE:5: tag "2" does not exist in ` + r.host + `/team/base (any more)`,
		`image_pull(name = "repo_gone") in WORKSPACE:7: tag "1" does not exist in ` + r.host + `/team/nothing`,
		`image_pull(name = "private") in WORKSPACE:9: the registry refused to resolve`,
		"docker login",
		`image_pull(name = "variable") in WORKSPACE:11: digest is BASE_DIGEST, not a string literal`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no problem says %q; problems:\n%s", want, all)
		}
	}
	if len(res.Problems) != 5 {
		t.Errorf("%d problems, want 5:\n%s", len(res.Problems), all)
	}
	want := strings.Replace(before, `name = "ok", digest = "`+old, `name = "ok", digest = "`+now, 1)
	if got != want {
		t.Errorf("only the good pull should be pinned; got:\n%s", got)
	}
}

// TestParseError names the file.
func TestParseError(t *testing.T) {
	res, _, _ := run(t, pin.Options{}, map[string]string{"WORKSPACE": "image_pull(\n"})
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), `"WORKSPACE": does not parse as Starlark`) {
		t.Errorf("problems: %v", res.Problems)
	}
}

// TestNonASCIIAndCRLF: byte offsets stay right after multi-byte characters,
// and CRLF line ends survive (the literal's bytes are all that change).
func TestNonASCIIAndCRLF(t *testing.T) {
	r := newRegistry(t)
	old := r.pushImage("team/base", "1")
	now := r.pushImage("team/base", "1")
	tmpl := "# Basis-Abbild für die Größe — ✓\r\nimage_pull(\r\n    name = \"base\",  # «ünïcödé»\r\n    digest = \"D\",\r\n    image = \"HOST/team/base\",\r\n    tag = \"1\",\r\n)\r\n"
	before := fill(tmpl, "HOST", r.host, "D", old)
	_, got, _ := run(t, pin.Options{}, map[string]string{"WORKSPACE": before})
	if want := strings.Replace(before, old, now, 1); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	noDigest := strings.Replace(before, "    digest = \""+old+"\",\r\n", "", 1)
	_, got, _ = run(t, pin.Options{}, map[string]string{"WORKSPACE": noDigest})
	if want := strings.Replace(before, old, now, 1); got != want {
		t.Errorf("inserted digest line: got %q\nwant %q", got, want)
	}
}
