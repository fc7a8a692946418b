package main

import (
	"errors"
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
