"""Implementation of image_layer."""

load(":actions.bzl", "WIRE_VERSION")
load(":label.bzl", "label_for_bazel", "label_str")
load(":layer_info.bzl", "LayerInfo")
load(":strata_attr.bzl", "STRATA_EXEC")

# Blob file names by compression: declared here, before any action runs.
# Media types and detection live in go/compress; no reader uses the name.
_EXTENSIONS = {
    "gzip": ".tar.gz",
    "none": ".tar",
    "zstd": ".tar.zst",
}

def _join(*parts):
    """Joins path parts with single slashes; empty parts are skipped."""
    out = ""
    for p in parts:
        if not p:
            continue
        if out and not out.endswith("/"):
            out += "/"
        out += p.lstrip("/") if out else p
    return out

def _runfiles_path(ctx, f):
    """Where f sits below a binary's `.runfiles` directory."""
    if f.short_path.startswith("../"):
        return f.short_path[3:]
    return _join(ctx.workspace_name, f.short_path)

def _program(target, f):
    """Whether f is a program (0755): it is its target's executable.

    Decided from what the BUILD files declare only, never from the file's
    bits on disk: a remote worker receives every input with the execute bit
    set (bazelbuild/bazel#12818), and a checkout's bits depend on the host.
    A checked-in file is never a program by itself (Bazel reports every
    source file target as its own executable, measured on 4.2.3); list it
    in `executables`.
    """
    return not f.is_source and f == target[DefaultInfo].files_to_run.executable

_SOURCE_DIR_FIX = """list its files with a glob and keep their paths with strip_prefix, e.g.
    image_layer(srcs = glob(["static/**"]), strip_prefix = "static", package_dir = "/srv/www")"""

def _refuse_source_dir(ctx, attr, target, f):
    """Fails for a checked-in directory, where Bazel can tell.

    Bazel does not track the files inside a source directory, so the layer
    would go stale. Bazel 4.2 reports File.is_directory = False for source
    directories (measured), so there the strata tool refuses them when the
    action runs; this check covers the Bazel versions that do report it.
    """
    if f.is_source and f.is_directory:
        fail("%s: %s: %s is a checked-in directory; Bazel does not track the files inside it, so editing one would not rebuild the layer.\n  fix: %s" % (
            ctx.label,
            attr,
            target.label,
            _SOURCE_DIR_FIX,
        ))

def _package_paths(f):
    """(path below f's package, path below f's repository root) of f.

    The package is that of the label that owns f: the source file's own
    label, or the rule that generated it. Files of external repositories are
    relative to their repository and package the same way.
    """
    repo_path = f.short_path
    if repo_path.startswith("../"):
        repo_path = repo_path[3:].partition("/")[2]
    pkg = f.owner.package if f.owner else ""
    if pkg and repo_path.startswith(pkg + "/"):
        return repo_path[len(pkg) + 1:], repo_path
    return repo_path, repo_path

def _relative_dst(ctx, attr, target, f):
    """Where f goes below its destination directory.

    That is its path below its package, minus strip_prefix.
    """
    in_pkg, in_repo = _package_paths(f)
    sp = ctx.attr.strip_prefix
    if not sp:
        return in_pkg
    base, prefix = in_pkg, sp.strip("/")
    if prefix.startswith("./"):
        prefix = prefix[2:]
    if sp.startswith("/"):
        base = in_repo
    if prefix in ("", "."):
        return base
    if base.startswith(prefix + "/"):
        return base[len(prefix) + 1:]
    if base == prefix and f.is_directory:
        return ""  # a tree artifact's contents go to the directory itself
    fail(("%s: strip_prefix %r does not prefix %s (from %s in %s), which is %r below its %s.\n" +
          "  fix: strip_prefix applies to every file of srcs and of files entries whose destination ends in \"/\"; " +
          "give this file an exact destination in files (one not ending in \"/\"), move it to another image_layer, " +
          "or change strip_prefix (relative to the file's package; a leading \"/\" makes it relative to the repository root)") % (
        ctx.label,
        sp,
        f.short_path,
        target.label,
        attr,
        base,
        "repository" if sp.startswith("/") else "package",
    ))

def _binary_entries(ctx, target, dst):
    """The executable of target at dst, and its runfiles tree beside it.

    Returns (files, symlinks, runfiles depset). Inside the runfiles tree the
    executable itself becomes a symlink to dst instead of a second copy.
    A runfile is a program (0755) iff it is generated: whether a file is
    generated is declared, unlike its bits on disk. Checked-in runfiles
    (scripts' sources, data) are 0644 unless `executables` or `modes` say
    otherwise.
    """
    info = target[DefaultInfo]
    exe = info.files_to_run.executable
    if not exe:
        fail("%s: binaries: %s is not executable; list it in srcs or files instead" % (ctx.label, target.label))
    runfiles = info.default_runfiles
    tree = dst + ".runfiles"
    entries = [(exe, dst, True)]
    links = {}
    for f in runfiles.files.to_list():
        _refuse_source_dir(ctx, "binaries", target, f)
        if f == exe:
            links[_join(tree, _runfiles_path(ctx, f))] = "/" + dst.lstrip("/")
        else:
            entries.append((f, _join(tree, _runfiles_path(ctx, f)), not f.is_source))
    for link in runfiles.symlinks.to_list():
        entries.append((link.target_file, _join(tree, ctx.workspace_name, link.path), not link.target_file.is_source))
    for link in runfiles.root_symlinks.to_list():
        entries.append((link.target_file, _join(tree, link.path), not link.target_file.is_source))
    transitive = [runfiles.files]

    # Under bzlmod, runfiles libraries inside the container resolve
    # repository names through `<tree>/_repo_mapping` (Bazel 7+); Bazel 4
    # has no such file, and WORKSPACE builds do not need it.
    repo_mapping = getattr(info.files_to_run, "repo_mapping_manifest", None)
    if repo_mapping:
        entries.append((repo_mapping, _join(tree, "_repo_mapping"), False))
        transitive.append(depset([repo_mapping]))
    return entries, links, depset(transitive = transitive)

def _image_layer_impl(ctx):
    pkg = ctx.attr.package_dir
    blob = ctx.actions.declare_file(ctx.label.name + _EXTENSIONS[ctx.attr.compression])
    descriptor = ctx.actions.declare_file(ctx.label.name + ".descriptor.json")

    # (File, destination, label for errors, attribute, executable). Every
    # mode comes from these declared facts; see _program.
    mapped = []
    transitive = []
    for target in ctx.attr.srcs:
        for f in target[DefaultInfo].files.to_list():
            _refuse_source_dir(ctx, "srcs", target, f)
            mapped.append((f, _join(pkg, _relative_dst(ctx, "srcs", target, f)), label_str(target.label), "srcs", _program(target, f)))
    for target, dst in ctx.attr.files.items():
        files = target[DefaultInfo].files.to_list()
        for f in files:
            _refuse_source_dir(ctx, "files", target, f)
        if len(files) == 1 and not dst.endswith("/"):
            mapped.append((files[0], _join(pkg, dst), label_str(target.label), "files", _program(target, files[0])))
            continue
        if not dst.endswith("/"):
            fail("%s: files: %s gives %d files, so its destination %r must be a directory ending in \"/\"" % (
                ctx.label,
                target.label,
                len(files),
                dst,
            ))
        for f in files:
            mapped.append((f, _join(pkg, dst, _relative_dst(ctx, "files", target, f)), label_str(target.label), "files", _program(target, f)))
    for f in ctx.files.tars:
        if f.is_source and f.is_directory:
            fail("%s: tars: %s is a checked-in directory, not a tar file.\n  fix: list tar files only" % (ctx.label, f.short_path))
    symlinks = {_join(pkg, p): t for p, t in ctx.attr.symlinks.items()}
    for target, dst in ctx.attr.binaries.items():
        entries, links, runfiles = _binary_entries(ctx, target, _join(pkg, dst))
        transitive.append(runfiles)
        for f, d, executable in entries:
            mapped.append((f, d, label_str(target.label), "binaries", executable))
        symlinks.update(links)

    # The descriptor names the layer: target as the history records it,
    # bazel_label as push hands it back to `bazel build` (only if it differs).
    bazel_label = label_for_bazel(ctx.label)
    spec = {
        "bazel_label": bazel_label if bazel_label != label_str(ctx.label) else "",
        "compression": ctx.attr.compression,
        "compression_level": ctx.attr.compression_level,
        "dir_mode": ctx.attr.dir_mode,
        "empty_dirs": [_join(pkg, d) for d in ctx.attr.empty_dirs],
        "executables": [_join(pkg, p) for p in ctx.attr.executables],
        "file_mode": ctx.attr.mode,
        "files": [
            {"attr": attr, "dst": d, "executable": executable, "label": label, "src": f.path, "tree": f.is_directory}
            for f, d, label, attr, executable in mapped
        ],
        "gid": ctx.attr.gid,
        "modes": {_join(pkg, p): m for p, m in ctx.attr.modes.items()},
        "mtime": ctx.attr.mtime,
        "owners": {_join(pkg, p): o for p, o in ctx.attr.owners.items()},
        "symlinks": [{"path": p, "target": t} for p, t in symlinks.items()],
        "tars": [f.path for f in ctx.files.tars],
        "target": label_str(ctx.label),
        "uid": ctx.attr.uid,
        "v": WIRE_VERSION,
    }
    spec_file = ctx.actions.declare_file(ctx.label.name + ".layer.json")
    ctx.actions.write(spec_file, json.encode(spec))

    inputs = depset([spec_file] + [m[0] for m in mapped] + ctx.files.tars, transitive = transitive)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["layer", "--spec", spec_file.path, "--blob", blob.path, "--descriptor", descriptor.path],
        inputs = inputs,
        outputs = [blob, descriptor],
        mnemonic = "StrataLayer",
        progress_message = "Building layer %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([blob, descriptor])),
        LayerInfo(blob = blob, descriptor = descriptor, label = ctx.label, inputs = inputs),
    ]

ATTRS = {
    "binaries": attr.label_keyed_string_dict(
        doc = "Executable target -> destination path. The executable is placed at the destination and its runfiles tree at `<destination>.runfiles/`, laid out as `bazel run` lays it out.",
        cfg = "target",
    ),
    "compression": attr.string(
        doc = "Layer compression: `gzip` (pgzip, level 6, 1 MiB blocks), `zstd` (default level) or `none`.",
        default = "gzip",
        values = ["gzip", "zstd", "none"],
    ),
    "compression_level": attr.int(
        doc = "0 (the default): the pinned level of `compression` (gzip 6, zstd's default). gzip: 1 (fastest) to 9 (smallest); zstd: 1 to 22 on zstd's scale, mapped onto the encoder's four speeds (1-2, 3-5, 6-9, 10-22). Part of the layer digest. `bench/README.md` has speed against size.",
        default = 0,
    ),
    "dir_mode": attr.string(
        doc = "Mode of directories: declared ones, copied ones and implicit parents (which are owned by 0:0). Octal string.",
        default = "0755",
    ),
    "empty_dirs": attr.string_list(
        doc = "Directories to create, e.g. `[\"/tmp\", \"/var/cache/app\"]`. Combine with `modes` for `1777` and the like.",
    ),
    "executables": attr.string_list(
        doc = "Destination paths of files that are programs (`0755`), e.g. checked-in scripts: a file's mode never comes from its bits on disk. Applied after `mode`, before `modes`.",
    ),
    "files": attr.label_keyed_string_dict(
        doc = "Label -> destination path. A tree artifact (declared directory) is copied recursively to the destination; checked-in directories are refused (use a `glob`). A destination ending in `/` is a directory: each file of the label goes below it at its path relative to its package, minus `strip_prefix`. Any other destination needs a label that gives one file.",
        allow_files = True,
    ),
    "gid": attr.int(
        doc = "Default group id of every entry, 0..2147483647 (entries of `tars` keep theirs).",
        default = 0,
    ),
    "mode": attr.string(
        doc = "Mode of every file. Empty (the default): `0755` for programs, `0644` for the rest. A file is a program if it is its target's executable (the executable of a `*_binary`, not a checked-in file) or listed in `executables`; in `binaries`' runfiles trees, generated files are programs and checked-in ones are not. Bits on disk never count.",
        default = "",
    ),
    "modes": attr.string_dict(
        doc = "Destination path -> octal mode, overriding the defaults for that entry, e.g. `{\"/tmp\": \"1777\"}`.",
    ),
    "mtime": attr.int(
        doc = "Modification time of every entry, in seconds since the epoch. Keep it fixed: it is part of the layer digest.",
        default = 0,
    ),
    "owners": attr.string_dict(
        doc = "Destination path -> `\"uid:gid\"` (each 0..2147483647), overriding `uid`/`gid` for that entry.",
    ),
    "package_dir": attr.string(
        doc = "Directory prefixed to every destination (`srcs`, `files`, `binaries`, `symlinks`, `empty_dirs`, `executables`, `modes`, `owners`). Not applied to `tars`.",
        default = "",
    ),
    "srcs": attr.label_list(
        doc = "Files placed at `package_dir/<path relative to their package, minus strip_prefix>`, e.g. `glob([\"static/**\"])` keeps `static/css/` and `static/js/` apart.",
        allow_files = True,
    ),
    "strip_prefix": attr.string(
        doc = "Prefix removed from the package-relative path of every file of `srcs` and of `files` entries whose destination ends in `/`, e.g. `\"static\"`. A leading `/` makes it relative to the repository root. A file it does not prefix is an error.",
        default = "",
    ),
    "symlinks": attr.string_dict(
        doc = "Link path -> target, e.g. busybox applets `{\"/bin/sh\": \"/bin/busybox\"}`. The target is stored verbatim.",
    ),
    "tars": attr.label_list(
        doc = "Existing tar files (plain, gzip or zstd) merged into the layer, read as GNU tar reads them: sparse files (`tar --sparse`, PAX or GNU format) are expanded, long names kept, hard links become copies. Entries keep their mode, uid and gid; mtimes are reset. Devices, FIFOs, uid/gid outside 0..2147483647 and paths under a symlink are refused.",
        allow_files = [".tar", ".tar.gz", ".tgz", ".tar.zst"],
    ),
    "uid": attr.int(
        doc = "Default user id of every entry, 0..2147483647 (entries of `tars` keep theirs).",
        default = 0,
    ),
    "_strata": STRATA_EXEC,
}

image_layer = rule(
    implementation = _image_layer_impl,
    doc = "Builds one reproducible OCI layer: the blob and its descriptor, in one action.",
    attrs = ATTRS,
    provides = [LayerInfo],
)
