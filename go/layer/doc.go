// Package layer turns a layer Spec (files, directories, symlinks, empty
// directories and existing tars, with modes and owners) into one compressed
// OCI layer blob and its descriptor, in a single streaming pass:
//
//	read -> canonical tar -> sha256 (diffID) -> compress -> sha256 (digest) -> write
//
// Memory grows with the number of entries only (about 160 bytes each once
// sorted; see build.go's soft memory limit), not with their size: file
// contents are streamed, and
// entries of merged tars are read back by offset rather than held in memory
// (sparse members, whose stored bytes are not their content, are expanded
// through archive/tar into a temporary file and read back from there).
// The output is byte-identical for identical inputs (see package canontar and
// compress for what is pinned). Entry modes come from the Spec alone: the
// tool never reads the permission bits, owners, mtimes or xattrs of its
// input files, which differ between a checkout and a remote worker.
package layer
