package layer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-build/rules_strata/go/canontar"
	"github.com/strata-build/rules_strata/go/spec"
	"github.com/strata-build/rules_strata/go/usererr"
)

// Spec is what the image_layer rule asks for: the wire type spec.Layer,
// named here as the input of Build.
type Spec = spec.Layer

// File and Symlink are entries of a Spec.
type (
	File    = spec.File
	Symlink = spec.Symlink
)

// ReadSpec loads a spec file.
func ReadSpec(path string) (Spec, error) { return spec.ReadLayer(path) }

func parseMode(s string) (int64, error) {
	m, err := strconv.ParseInt(s, 8, 64)
	if err != nil || m < 0 || m > 0o7777 {
		return 0, fmt.Errorf("mode %q is not an octal permission such as \"0755\"", s)
	}
	return m, nil
}

func parseOwner(s string) (uid, gid int, err error) {
	u, g, ok := strings.Cut(s, ":")
	if ok {
		uid, err = strconv.Atoi(u)
		if err == nil {
			gid, err = strconv.Atoi(g)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("owner %q is not numeric \"uid:gid\" such as \"1000:1000\"", s)
	}
	if err := checkID("uid", uid); err != nil {
		return 0, 0, fmt.Errorf("owner %q: %v", s, err)
	}
	if err := checkID("gid", gid); err != nil {
		return 0, 0, fmt.Errorf("owner %q: %v", s, err)
	}
	return uid, gid, nil
}

// MaxID is the largest uid or gid a layer accepts: 2^31-1. Larger values
// (and negative ones) are not valid ids for Linux runtimes, which treat
// uid_t as signed in places and -1 (4294967295) as "no change".
const MaxID = 1<<31 - 1

// MaxMTime is the latest mtime a layer accepts (seconds since the epoch,
// year 2242): the largest that a USTAR header's 11 octal digits hold, so
// every header stays plain USTAR and every reader agrees on the time.
const MaxMTime = 1<<33 - 1

func checkID(what string, v int) error {
	if v < 0 || v > MaxID {
		return fmt.Errorf("%s %d is outside 0..%d", what, v, MaxID)
	}
	return nil
}

// validate checks the layer-wide settings before any input is read.
func validate(s Spec) error {
	fix := "set uid and gid to ids in 0..2147483647 (e.g. 1000, or 65534 for nobody)"
	if err := checkID("uid", s.UID); err != nil {
		return usererr.New(s.Target, "", "uid: "+err.Error(), fix)
	}
	if err := checkID("gid", s.GID); err != nil {
		return usererr.New(s.Target, "", "gid: "+err.Error(), fix)
	}
	if s.MTime < 0 || s.MTime > MaxMTime {
		return usererr.New(s.Target, "", fmt.Sprintf("mtime: %d is outside 0..%d (1970 to 2242, what a tar header holds)", s.MTime, int64(MaxMTime)),
			"set mtime to seconds since the epoch in that range, e.g. 0 or a fixed release date such as 1700000000")
	}
	return nil
}

// sortError explains a canontar.Sort failure with the origins of both
// entries: a path under a file cannot be made, and a path under a symlink
// would be written through the link by extractors (outside where the layer
// says), so both are refused.
func (t *tree) sortError(err error) error {
	var pe *canontar.ParentError
	if !errors.As(err, &pe) {
		return t.userErr("", err.Error(), "a path cannot be both a file and a directory; rename one of them")
	}
	// The child may be an implicit parent directory: name the first real
	// entry below the file or symlink instead.
	child := pe.Path
	if t.originOf(child) == (origin{}) {
		child = ""
		for i, e := range t.es { // sorted: the first one below the parent
			if strings.HasPrefix(e.Path, pe.Parent+"/") && t.origins[i] != (origin{}) {
				child = e.Path
				break
			}
		}
	}
	origin := func(p string) string { return t.originOf(p).String() }
	if i, ok := t.find(pe.Parent); ok && t.es[i].Type == canontar.Symlink {
		parent := t.es[i]
		return t.userErr(child, fmt.Sprintf("this entry (from %s) is under %q, which is a symlink to %q in the same layer (from %s); extractors would write it through the symlink",
			origin(child), pe.Parent, parent.Link, origin(pe.Parent)),
			"put the entry at the path the symlink points to, or remove the symlink from this layer")
	}
	return t.userErr(child, fmt.Sprintf("this entry (from %s) is under %q, which is a regular file in the same layer (from %s)",
		origin(child), pe.Parent, origin(pe.Parent)),
		"a path cannot be both a file and a directory; give one of them a different destination")
}

// contentError names the source of an entry that could not be written: a
// file whose content could not be read while the layer was written, or an
// entry no tar header can hold (canontar knows only the layer path).
func (t *tree) contentError(err error) error {
	var he *canontar.HeaderError
	if errors.As(err, &he) {
		origin := t.originOf(he.Path).String()
		if he.Link != "" {
			origin += fmt.Sprintf(", link target %q", he.Link)
		}
		return t.userErr(he.Path, fmt.Sprintf("the entry from %s cannot be written as a tar header: %v", origin, he.Err),
			"remove NUL bytes and other control characters from the destination path or symlink target")
	}
	var ce *canontar.ContentError
	if !errors.As(err, &ce) {
		return err
	}
	from := ce.Path
	if o := t.originOf(ce.Path); o != (origin{}) {
		if err := t.sourceError(ce.Path, o); err != nil {
			return err // a missing or unreadable listed source, not a change during the build
		}
		from = o.String()
	}
	return t.userErr(ce.Path, fmt.Sprintf("cannot read the content of %s: %v", from, ce.Err),
		"something changed or removed the file while the layer was built: make sure no other process writes to it, and build again")
}
