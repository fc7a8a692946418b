package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/rules_strata/go/push"
	"github.com/strata-build/rules_strata/go/regclient"
	"github.com/strata-build/rules_strata/go/usererr"
)

// TestExitCodes: every way a command can end maps to its documented code
// (docs/exit_codes.md). A panic is a bug in strata and must never look like
// probe's "not pushed yet" (3), which makes CI build and push.
func TestExitCodes(t *testing.T) {
	for name, c := range map[string]struct {
		run  func([]string) error
		want int
	}{
		"ok":        {func([]string) error { return nil }, exitOK},
		"error":     {func([]string) error { return errors.New("disk full") }, exitError1},
		"user":      {func([]string) error { return usererr.New("//a:b", "x", "bad", "fix it") }, exitError1},
		"probe":     {func([]string) error { return exitError{probeMissing, "not pushed"} }, 3},
		"panic":     {func([]string) error { panic("index out of range") }, exitInternal},
		"nil deref": {func([]string) error { var m map[string]*int; return errors.New(string(rune(*m["x"]))) }, exitInternal},
	} {
		commands["test-"+name] = command{"test", c.run}
		got := run([]string{"test-" + name})
		delete(commands, "test-"+name)
		if got != c.want {
			t.Errorf("%s: exit %d, want %d", name, got, c.want)
		}
	}
	if exitInternal == probeMissing || exitInternal == exitError1 || exitInternal == exitUsage {
		t.Fatalf("the internal-error code %d collides with another code", exitInternal)
	}
	if got := run([]string{"no-such-command"}); got != exitUsage {
		t.Errorf("unknown command: exit %d, want %d", got, exitUsage)
	}
	if got := run([]string{"push", "--no-such-flag"}); got != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", got, exitUsage)
	}
	if got := run([]string{"inspect", "--manifest", "m.json"}); got != exitUsage {
		t.Errorf("missing required flag: exit %d, want %d", got, exitUsage)
	}
	if got := run([]string{"push", "--jobs", "many"}); got != exitUsage {
		t.Errorf("bad flag value: exit %d, want %d", got, exitUsage)
	}
}

// TestVerbFiles: every verb is one word from the Bazel log to the code. Verb
// "a-b" is runAB in ab.go, and every action mnemonic in rules/private names a
// verb (StrataAB runs `strata a-b`), so a mnemonic leads to its file in one
// step.
func TestVerbFiles(t *testing.T) {
	words := map[string]bool{}
	for verb, c := range commands {
		word := strings.ReplaceAll(verb, "-", "")
		words[word] = true
		src, err := os.ReadFile(word + ".go")
		if err != nil {
			t.Errorf("verb %s: %v (each verb has a file of its own, named after it)", verb, err)
			continue
		}
		fn := runtime.FuncForPC(reflect.ValueOf(c.run).Pointer()).Name()
		fn = fn[strings.LastIndex(fn, ".")+1:]
		if strings.ToLower(fn) != "run"+word {
			t.Errorf("verb %s runs %s, want run<%s>", verb, fn, word)
		}
		if !strings.Contains(string(src), "func "+fn+"(") {
			t.Errorf("verb %s: %s is not in %s.go", verb, fn, word)
		}
	}
	bzl, err := filepath.Glob("../../rules/private/*.bzl")
	if err != nil || len(bzl) == 0 {
		t.Fatalf("no rules/private/*.bzl: %v", err)
	}
	mnemonic := regexp.MustCompile(`"Strata([A-Z][A-Za-z]*)"`)
	seen := 0
	for _, f := range bzl {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mnemonic.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !words[strings.ToLower(m[1])] {
				t.Errorf("%s: mnemonic %s names no verb (want Strata<Verb> for a verb of main.go's table)", filepath.Base(f), m[0])
			}
		}
	}
	if seen < 10 {
		t.Errorf("found only %d mnemonics in rules/private: is the pattern out of date?", seen)
	}
}

// TestPushFlags: what push, probe and their index forms make of their
// command line: which repositories (the BUILD file's unless the user names
// others), which tags (plain, from files, templates filled from the status),
// and the errors a user gets for bad ones.
func TestPushFlags(t *testing.T) {
	dir := t.TempDir()
	tagsFile := filepath.Join(dir, "tags.txt")
	status := filepath.Join(dir, "volatile-status.txt")
	for f, s := range map[string]string{tagsFile: "t1\n\n  t2  \n", status: "BRANCH feat/X\nBUILD_TIMESTAMP 1700000000\n"} {
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name     string
		args     []string
		insecure string // STRATA_REGISTRY_INSECURE
		repos    []string
		tags     []string
		err      string // a part of the error
	}{
		{name: "BUILD file's repository", args: []string{"--default-repository", "reg.example/a", "--tag", "v1"}, repos: []string{"reg.example/a"}, tags: []string{"v1"}},
		{name: "--repository replaces them", args: []string{"--default-repository", "reg.example/a", "--repository", "reg.example/b", "--repository", "other.example:5000/c/d"},
			repos: []string{"reg.example/b", "other.example:5000/c/d"}},
		{name: "tags in order: flags, files, templates", args: []string{"--repository", "reg.example/a", "--tag-template", "b-{BRANCH}", "--status", status, "--tags-file", tagsFile, "--tag", "t0"},
			repos: []string{"reg.example/a"}, tags: []string{"t0", "t1", "t2", "b-feat-x"}},
		{name: "unstamped templates skipped", args: []string{"--repository", "reg.example/a", "--tag", "v1", "--tag-template", "b-{BRANCH}", "--skip-tag-templates"},
			repos: []string{"reg.example/a"}, tags: []string{"v1"}},
		{name: "insecure registry", args: []string{"--repository", "127.0.0.1:5999/a"}, insecure: "127.0.0.1:5999", repos: []string{"http://127.0.0.1:5999/a"}},
		{name: "no repository", args: []string{"--tag", "v1"}, err: "no repository given"},
		{name: "bad tag", args: []string{"--repository", "reg.example/a", "--tag", "Not/Valid"}, err: `"Not/Valid": not a valid tag`},
		{name: "bad repository", args: []string{"--repository", "reg.example/UPPER"}, err: `"reg.example/UPPER": not a repository`},
		{name: "templates unstamped", args: []string{"--repository", "reg.example/a", "--tag-template", "b-{BRANCH}"}, err: "this run is not stamped"},
		{name: "unknown status key", args: []string{"--repository", "reg.example/a", "--tag-template", "b-{NOPE}", "--status", status}, err: "NOPE"},
		{name: "missing tags file", args: []string{"--repository", "reg.example/a", "--tags-file", filepath.Join(dir, "none")}, err: "no such file"},
		{name: "unknown flag", args: []string{"--repositry", "reg.example/a"}, err: "flag provided but not defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("STRATA_REGISTRY_INSECURE", c.insecure)
			p := newPushFlags("push")
			p.fs.SetOutput(io.Discard)
			err := p.fs.Parse(append([]string{"--target", "//app:push"}, c.args...))
			var targets []push.Target
			if err == nil {
				targets, err = p.targets("image_push")
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var repos []string
			for _, tg := range targets {
				r := tg.Repository.String()
				if tg.Repository.Scheme() == "http" {
					r = "http://" + r
				}
				repos = append(repos, r)
				if !reflect.DeepEqual(tg.Tags, c.tags) {
					t.Errorf("%s: tags %q, want %q", r, tg.Tags, c.tags)
				}
			}
			if !reflect.DeepEqual(repos, c.repos) {
				t.Errorf("repositories %q, want %q", repos, c.repos)
			}
		})
	}
}

// TestUploadFlags: the flags only push and push-index have, and the retry
// flags all four share, reach the push options.
func TestUploadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want push.Options
	}{
		{nil, push.Options{Retry: regclient.DefaultRetry, Jobs: 4, ChunkSize: push.DefaultChunkSize}},
		{[]string{"--dry-run", "--jobs", "9", "--attempts", "2", "--timeout", "3s", "--retry-base-delay", "1ms", "--retry-max-delay", "2ms", "--chunk-size", "-1"},
			push.Options{Retry: regclient.Retry{Attempts: 2, Timeout: 3 * time.Second, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}, Jobs: 9, DryRun: true, ChunkSize: -1}},
	} {
		p := newPushFlags("push")
		u := p.addUploadFlags()
		if err := p.fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		got := u.options(*p.retry)
		got.Log, got.Progress = nil, nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: options %+v, want %+v", c.args, got, c.want)
		}
	}
}

// TestParseFlags: every verb's first step parses its command line, then
// names the first required flag left empty, as a usage error (exit 2); an
// empty value counts as missing. Verbs that read --image-files report a
// missing --out only after reading the manifest, as they always did.
func TestParseFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string // "" for none
	}{
		{[]string{"--spec", "s", "--out", "o"}, ""},
		{[]string{"--spec", "s"}, "missing --out"},
		{[]string{"--out", "o"}, "missing --spec"},
		{nil, "missing --spec"},
		{[]string{"--spec", "", "--out", "o"}, "missing --spec"},
		{[]string{"--spec", "s", "--out", "o", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"--spec"}, "flag needs an argument: -spec"},
	} {
		fs := newFlags("test")
		fs.SetOutput(io.Discard)
		fs.String("spec", "", "")
		fs.String("out", "", "")
		err := parseFlags(fs, c.args, "spec", "out")
		if c.err == "" {
			if err != nil {
				t.Errorf("%q: %v", c.args, err)
			}
			continue
		}
		if err == nil || err.Error() != c.err || !isUsage(err) {
			t.Errorf("%q: error %v (usage: %v), want the usage error %q", c.args, err, err != nil && isUsage(err), c.err)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for verb, c := range map[string]struct {
		args []string
		want int
	}{
		"image":               {nil, exitUsage},
		"push (no --spec)":    {[]string{"--repository", "reg.example/a"}, exitUsage},
		"oci-layout":          {[]string{"--out", filepath.Join(dir, "o")}, exitUsage},
		"oci-layout (bad in)": {[]string{"--image-files", bad}, exitError1},
		"push-spec (bad in)":  {[]string{"--image-files", bad}, exitError1},
		"docker-archive":      {[]string{"--image-files", filepath.Join(dir, "none.json")}, exitError1},
	} {
		name, _, _ := strings.Cut(verb, " ")
		if got := run(append([]string{name}, c.args...)); got != c.want {
			t.Errorf("%s %q: exit %d, want %d", verb, c.args, got, c.want)
		}
	}
}
