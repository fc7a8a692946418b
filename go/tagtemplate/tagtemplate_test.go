package tagtemplate_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-build/rules_strata/go/tagtemplate"
)

var legal = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`) // OCI distribution spec

func TestExpand(t *testing.T) {
	vars := map[string]string{"STABLE_PR_NUMBER": "42", "SHORT_SHA": "abc1234", "BRANCH": "Feature/JIRA-12__New Login!!"}
	long := strings.Repeat("very-long-branch-name/", 10)
	for _, c := range []struct{ template, want string }{
		{"pr-{PR_NUMBER}-{SHORT_SHA}", "pr-42-abc1234"},
		{"{BRANCH}", "feature-jira-12__new-login"},
		{"{BRANCH}-{SHORT_SHA}", "feature-jira-12__new-login-abc1234"},
		{"latest", "latest"},
		{"--.Weird//Tag--", "weird-tag"},
	} {
		got, err := tagtemplate.Expand(c.template, vars)
		if err != nil || got != c.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", c.template, got, err, c.want)
		}
	}
	vars["BRANCH"] = long
	got, err := tagtemplate.Expand("{BRANCH}-{SHORT_SHA}", vars)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > tagtemplate.MaxLen || !strings.HasSuffix(got, "-abc1234") || !legal.MatchString(got) || strings.Contains(got, "--") {
		t.Errorf("long branch tag %q (%d chars): want <= 128, legal, ending in -abc1234", got, len(got))
	}
}

func TestMissingVariableSaysHowToFix(t *testing.T) {
	_, err := tagtemplate.Expand("pr-{PR_NUMBER}", map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "PR_NUMBER") || !strings.Contains(err.Error(), "--stamp") {
		t.Fatalf("got %v", err)
	}
}

func TestReadStatus(t *testing.T) {
	dir := t.TempDir()
	stable := filepath.Join(dir, "stable-status.txt")
	volatile := filepath.Join(dir, "volatile-status.txt")
	os.WriteFile(stable, []byte("STABLE_BRANCH main\nBUILD_USER ci\n"), 0o644)
	os.WriteFile(volatile, []byte("BUILD_TIMESTAMP 1700000000\nSHORT_SHA abc1234\n"), 0o644)
	vars, err := tagtemplate.ReadStatus(stable, volatile)
	if err != nil {
		t.Fatal(err)
	}
	if vars["STABLE_BRANCH"] != "main" || vars["SHORT_SHA"] != "abc1234" {
		t.Fatalf("vars = %v", vars)
	}
}

// TestFill: label and annotation values are filled verbatim (no
// sanitizing); text that is not a placeholder stays; missing keys are listed.
func TestFill(t *testing.T) {
	vars := map[string]string{"STABLE_GIT_COMMIT": "AbC/123", "BUILD_TIMESTAMP": "1700000000"}
	got, missing := tagtemplate.Fill(`rev {GIT_COMMIT} at {BUILD_TIMESTAMP} {not a key} {"json": 1}`, vars)
	if want := `rev AbC/123 at 1700000000 {not a key} {"json": 1}`; got != want || len(missing) != 0 {
		t.Errorf("Fill = %q, %v; want %q", got, missing, want)
	}
	if _, missing := tagtemplate.Fill("{Z}{A}{STABLE_GIT_COMMIT}", vars); strings.Join(missing, ",") != "A,Z" {
		t.Errorf("missing = %v, want [A Z]", missing)
	}
	if v, ok := tagtemplate.Lookup(vars, "GIT_COMMIT"); !ok || v != "AbC/123" {
		t.Errorf("Lookup(GIT_COMMIT) = %q, %v", v, ok)
	}
}

// TestMissingKeyAdvice: the error names the status line to add, with one
// STABLE_ prefix whether or not the template already has it.
func TestMissingKeyAdvice(t *testing.T) {
	for key, want := range map[string]string{"PR": `"STABLE_PR value"`, "STABLE_SHA": `"STABLE_SHA value"`} {
		_, err := tagtemplate.Expand("x-{"+key+"}", nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Expand(x-{%s}) error = %v, want it to mention %s", key, err, want)
		}
	}
}
