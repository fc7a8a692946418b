package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

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
