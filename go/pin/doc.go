// Package pin keeps the digests of image_pull bases in step with their tags:
// it finds every `image_pull(...)` call (WORKSPACE, .bzl) and every
// `X.pull(...)` on a rules_strata `strata` module extension (MODULE.bazel),
// resolves each pull's `tag` to the digest the registry serves now (an index
// stays an index: its digest is pinned, after checking that it still lists
// the pull's platform), and rewrites the `digest` string literal.
//
// Files are parsed with buildtools' `build` package only to locate the
// literals; the rewrite replaces the bytes of each digest literal in place
// (or inserts one `digest = "..."` line before `image` where a pull has no
// digest yet). Every other byte of the file, comments, blank lines, quoting
// and layout included, is left as it was: `build.Format` would reformat the
// whole file.
package pin
