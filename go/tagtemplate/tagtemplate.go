// Package tagtemplate fills tag templates such as "pr-{PR_NUMBER}-{SHORT_SHA}"
// or "{BRANCH}-{SHORT_SHA}" from Bazel's workspace status (stamping) and makes
// the result a legal OCI tag: lowercase, only [a-z0-9_.-], runs of "-"
// collapsed, no leading "." or "-", at most 128 characters. When a tag is too
// long, the part before the last placeholder is cut, so a suffix such as
// "-{SHORT_SHA}" always survives and the tag stays unique. Fill does the same
// substitution without sanitizing, for stamped labels and annotations.
package tagtemplate

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// MaxLen is the longest tag the OCI distribution spec allows.
const MaxLen = 128

var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ReadStatus reads Bazel workspace status files ("KEY value" lines), later
// files overriding earlier ones.
func ReadStatus(paths ...string) (map[string]string, error) {
	vars := map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), " ")
			if k != "" {
				vars[k] = v
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return vars, nil
}

// Lookup finds key in vars, else STABLE_key: a status command may print
// STABLE_X (so Bazel re-runs what depends on it) and templates say {X}.
func Lookup(vars map[string]string, key string) (string, bool) {
	v, ok := vars[key]
	if !ok {
		v, ok = vars["STABLE_"+key]
	}
	return v, ok
}

// StableKey is the name a status command should print for key: STABLE_key,
// unless key already has the prefix.
func StableKey(key string) string {
	if strings.HasPrefix(key, "STABLE_") {
		return key
	}
	return "STABLE_" + key
}

// Fill replaces every {KEY} of s with its value from vars (see Lookup),
// verbatim, and returns the keys it could not find, sorted.
func Fill(s string, vars map[string]string) (string, []string) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		key := m[1 : len(m)-1]
		v, ok := Lookup(vars, key)
		if !ok {
			missing = append(missing, key)
		}
		return v
	})
	sort.Strings(missing)
	return out, missing
}

// Expand fills every {KEY} of template from vars (KEY, else STABLE_KEY) and
// sanitizes the result.
func Expand(template string, vars map[string]string) (string, error) {
	var missing []string
	fill := func(s string) string {
		out, m := Fill(s, vars)
		missing = append(missing, m...)
		return out
	}
	locs := placeholder.FindAllStringIndex(template, -1)
	head, tail := template, ""
	if len(locs) > 0 {
		last := locs[len(locs)-1][0]
		// Keep the separator before the last placeholder with the tail, so
		// "-{SHORT_SHA}" is never cut.
		for last > 0 && strings.ContainsRune("-_.", rune(template[last-1])) {
			last--
		}
		head, tail = template[:last], template[last:]
	}
	h, t := fill(head), fill(tail)
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("tag template %q uses %s, which the workspace status does not define: build with --stamp and a --workspace_status_command that prints them (e.g. \"%s value\")",
			template, strings.Join(missing, ", "), StableKey(missing[0]))
	}
	tag := Sanitize(h + t)
	if len(tag) > MaxLen {
		st := Sanitize(strings.TrimLeft(t, "-_."))
		sep := ""
		if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "_") || strings.HasPrefix(t, ".") {
			sep = t[:1]
		}
		room := MaxLen - len(st) - len(sep)
		if room < 1 {
			return "", fmt.Errorf("tag template %q: the part after the last placeholder alone is longer than %d characters", template, MaxLen)
		}
		sh := strings.TrimRight(Sanitize(h)[:min(room, len(Sanitize(h)))], "-.")
		tag = sh + sep + st
	}
	if tag == "" {
		return "", fmt.Errorf("tag template %q expands to an empty tag", template)
	}
	return tag, nil
}

var (
	illegal = regexp.MustCompile(`[^a-z0-9_.-]+`)
	dashes  = regexp.MustCompile(`-{2,}`)
)

// Sanitize makes s a legal tag: lowercase, illegal characters (including "/")
// become "-", runs of "-" collapse, leading "." and "-" and trailing "-" go.
func Sanitize(s string) string {
	s = illegal.ReplaceAllString(strings.ToLower(s), "-")
	s = dashes.ReplaceAllString(s, "-")
	return strings.TrimRight(strings.TrimLeft(s, ".-"), "-")
}
