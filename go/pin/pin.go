package pin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/strata-build/rules_strata/go/usererr"
)

// File is one file to pin: the path to read and write, and the name
// messages give it (relative to the workspace, as the user knows it).
type File struct {
	Path, Name string
}

// Options say what Run does with a stale pin.
type Options struct {
	Check  bool // report it; write nothing
	DryRun bool // print the unified diff that pinning would apply; write nothing
	Remote []remote.Option
	Out    io.Writer // the report: stale pins, rewrites, diffs
}

// Result counts the pulls Run saw. Problems holds one error per pull (or
// file) that could not be resolved, each naming it.
type Result struct {
	Pulls, Current, Stale int
	Rewritten             []string // names of the files written
	Problems              []error
}

// Run resolves every pull in files and, unless Check or DryRun, rewrites the
// stale digests. A pull that cannot be resolved is reported in Problems and
// left as it is; the other pulls of its file are still pinned. The error is
// for the machine's failures (a file that cannot be read or written).
func Run(ctx context.Context, files []File, o Options) (Result, error) {
	var res Result
	cache := map[string]resolved{}
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			return res, err
		}
		pulls, err := Find(f.Name, data)
		if err != nil {
			res.Problems = append(res.Problems, err)
			continue
		}
		var edits []edit
		for _, p := range pulls {
			res.Pulls++
			if p.problem != nil {
				res.Problems = append(res.Problems, p.problem)
				continue
			}
			key := p.Image + "\x00" + p.Tag + "\x00" + p.Platform + "\x00" + strings.Join(p.Platforms, ",")
			r, ok := cache[key]
			if !ok {
				r.digest, r.err = Resolve(ctx, p, o.Remote)
				cache[key] = r
			}
			switch {
			case r.err != nil:
				// Each pull of the same image and tag gets its own line,
				// naming it.
				err := r.err
				if ue, ok := usererr.As(err); ok {
					err = usererr.New(p.Where(), ue.Path, ue.Problem, ue.Fix)
				}
				res.Problems = append(res.Problems, err)
				continue
			case r.digest == p.Digest:
				res.Current++
				continue
			}
			res.Stale++
			edits = append(edits, digestEdit(data, p, r.digest))
			was := p.Digest
			if was == "" {
				was = "no digest"
			}
			ref := p.Image + ":" + p.Tag
			switch {
			case o.Check:
				fmt.Fprintf(o.Out, "%s:%d: %s is stale: %s is now %s, the pin is %s\n", p.File, p.Line, p.Rule, ref, r.digest, was)
			case !o.DryRun:
				fmt.Fprintf(o.Out, "%s:%d: %s: pinned %s to %s (was %s)\n", p.File, p.Line, p.Rule, ref, r.digest, was)
			}
		}
		if len(edits) == 0 || o.Check {
			continue
		}
		pinned := apply(data, edits)
		if o.DryRun {
			fmt.Fprint(o.Out, unifiedDiff(f.Name, data, edits))
			continue
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			return res, err
		}
		// In place (not a rename): keeps the file's mode, owner and any
		// symlink pointing at it.
		if err := os.WriteFile(f.Path, pinned, st.Mode().Perm()); err != nil {
			return res, err
		}
		res.Rewritten = append(res.Rewritten, f.Name)
	}
	return res, nil
}

type resolved struct {
	digest string
	err    error
}
