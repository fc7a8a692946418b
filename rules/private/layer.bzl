"""Implementation of image_layer."""

load(":label.bzl", "label_str")
load(":layer_info.bzl", "LayerInfo")
load(":strata_attr.bzl", "STRATA_EXEC")

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

def _executable(target, f):
    """None for source files (their execute bit is reliable), else a bool."""
    if f.is_source:
        return None
    return f == target[DefaultInfo].files_to_run.executable

def _binary_entries(ctx, target, dst):
    """The executable of target at dst, and its runfiles tree beside it.

    Returns (files, symlinks, runfiles depset). Inside the runfiles tree the
    executable itself becomes a symlink to dst instead of a second copy.
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
        if f == exe:
            links[_join(tree, _runfiles_path(ctx, f))] = "/" + dst.lstrip("/")
        else:
            # A runfile may be another program, so generated ones keep their
            # (always executable) bits: None.
            entries.append((f, _join(tree, _runfiles_path(ctx, f)), None))
    for link in runfiles.symlinks.to_list():
        entries.append((link.target_file, _join(tree, ctx.workspace_name, link.path), None))
    for link in runfiles.root_symlinks.to_list():
        entries.append((link.target_file, _join(tree, link.path), None))
    return entries, links, runfiles.files

def _image_layer_impl(ctx):
    pkg = ctx.attr.package_dir
    blob = ctx.actions.declare_file(ctx.label.name + _EXTENSIONS[ctx.attr.compression])
    descriptor = ctx.actions.declare_file(ctx.label.name + ".descriptor.json")

    # (File, destination, label for errors, executable: True/False/None).
    # Bazel sets every generated file to 0555, so only for source files can
    # the strata tool trust the execute bit (None); for generated files the
    # rule knows whether the file is a target's executable.
    mapped = []
    transitive = []
    for target in ctx.attr.srcs:
        for f in target.files.to_list():
            mapped.append((f, _join(pkg, f.basename), label_str(target.label), _executable(target, f)))
    for target, dst in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) == 1 and not dst.endswith("/"):
            mapped.append((files[0], _join(pkg, dst), label_str(target.label), _executable(target, files[0])))
            continue
        if not dst.endswith("/"):
            fail("%s: files: %s gives %d files, so its destination %r must be a directory ending in \"/\"" % (
                ctx.label,
                target.label,
                len(files),
                dst,
            ))
        for f in files:
            mapped.append((f, _join(pkg, dst, f.basename), label_str(target.label), _executable(target, f)))
    symlinks = {_join(pkg, p): t for p, t in ctx.attr.symlinks.items()}
    for target, dst in ctx.attr.binaries.items():
        entries, links, runfiles = _binary_entries(ctx, target, _join(pkg, dst))
        transitive.append(runfiles)
        for f, d, executable in entries:
            mapped.append((f, d, label_str(target.label), executable))
        symlinks.update(links)

    spec = {
        "compression": ctx.attr.compression,
        "dir_mode": ctx.attr.dir_mode,
        "empty_dirs": [_join(pkg, d) for d in ctx.attr.empty_dirs],
        "file_mode": ctx.attr.mode,
        "files": [
            {"dst": d, "executable": executable, "label": label, "src": f.path}
            for f, d, label, executable in mapped
        ],
        "gid": ctx.attr.gid,
        "modes": {_join(pkg, p): m for p, m in ctx.attr.modes.items()},
        "mtime": ctx.attr.mtime,
        "owners": {_join(pkg, p): o for p, o in ctx.attr.owners.items()},
        "symlinks": [{"path": p, "target": t} for p, t in symlinks.items()],
        "tars": [f.path for f in ctx.files.tars],
        "target": label_str(ctx.label),
        "uid": ctx.attr.uid,
    }
    spec_file = ctx.actions.declare_file(ctx.label.name + ".layer.json")
    ctx.actions.write(spec_file, json.encode(spec))

    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["layer", "--spec", spec_file.path, "--blob", blob.path, "--descriptor", descriptor.path],
        inputs = depset([spec_file] + [m[0] for m in mapped] + ctx.files.tars, transitive = transitive),
        outputs = [blob, descriptor],
        mnemonic = "StrataLayer",
        progress_message = "Building layer %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([blob, descriptor])),
        LayerInfo(blob = blob, descriptor = descriptor, label = ctx.label),
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
    "dir_mode": attr.string(
        doc = "Mode of directories: declared ones, copied ones and implicit parents (which are owned by 0:0). Octal string.",
        default = "0755",
    ),
    "empty_dirs": attr.string_list(
        doc = "Directories to create, e.g. `[\"/tmp\", \"/var/cache/app\"]`. Combine with `modes` for `1777` and the like.",
    ),
    "files": attr.label_keyed_string_dict(
        doc = "Label -> destination path. A directory (tree artifact) is copied recursively to the destination. A label that gives several files needs a destination ending in `/`.",
        allow_files = True,
    ),
    "gid": attr.int(
        doc = "Default group id of every entry (entries of `tars` keep theirs).",
        default = 0,
    ),
    "mode": attr.string(
        doc = "Mode of every file. Empty (the default): `0755` for programs, `0644` for the rest. A checked-in file is a program if its owner execute bit is set; a generated file (Bazel makes them all 0555) if it is its target's executable. Generated runfiles keep `0755`.",
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
        doc = "Destination path -> `\"uid:gid\"`, overriding `uid`/`gid` for that entry.",
    ),
    "package_dir": attr.string(
        doc = "Directory prefixed to every destination (`srcs`, `files`, `binaries`, `symlinks`, `empty_dirs`, `modes`, `owners`). Not applied to `tars`.",
        default = "",
    ),
    "srcs": attr.label_list(
        doc = "Files placed at `package_dir/<basename>`.",
        allow_files = True,
    ),
    "symlinks": attr.string_dict(
        doc = "Link path -> target, e.g. busybox applets `{\"/bin/sh\": \"/bin/busybox\"}`. The target is stored verbatim.",
    ),
    "tars": attr.label_list(
        doc = "Existing tar files (plain, gzip or zstd) whose entries are merged into the layer, normalized like every other entry. Hard links become copies.",
        allow_files = [".tar", ".tar.gz", ".tgz", ".tar.zst"],
    ),
    "uid": attr.int(
        doc = "Default user id of every entry (entries of `tars` keep theirs).",
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
