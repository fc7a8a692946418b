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

# The file list of a layer travels to the strata tool in a param file that
# Bazel writes when the action runs (Args.add_all with map_each), never as a
# list built in analysis: depset.to_list() there costs time and retained
# memory in proportion to the file count, for every layer on every analysis.
# So analysis only records per-target facts (a group header) and hands the
# target's depset over as it is; the tool computes each file's destination
# (strip_prefix, package paths, runfiles layout) from the facts below.
# The format is one argument per line ("multiline"), read by go/layer's
# filelist.go; its first line names the version.
FILE_LIST_VERSION = "strata-layer-files-v1"

def _group(args, kind, attr, label, dst, exe = "", workspace = "", link = "", strip_prefix = ""):
    """A group header: how the records that follow map to destinations."""
    args.add_all(["G", kind, attr, label, dst, exe, workspace, link, strip_prefix])

def _file_record(f):
    """map_each of File lists: path, short_path, owning package, flags.

    Top-level on purpose: Bazel 4.2 has no allow_closure, so a map_each
    function cannot capture the rule's context.
    """
    flags = ("t" if f.is_directory else "") + ("s" if f.is_source else "")
    return ["F", f.path, f.short_path, f.owner.package if f.owner else "", flags]

def _link_record(link):
    """map_each of runfiles symlinks: link path, target file path, flags."""
    t = link.target_file
    return ["L", link.path, t.path, ("t" if t.is_directory else "") + ("s" if t.is_source else "")]

def _add_files(args, files):
    # expand_directories = False: a tree artifact stays one record, and the
    # tool walks it itself (keeping its empty directories and symlinks, as
    # before); Bazel's expansion would flatten it into its files.
    args.add_all(files, map_each = _file_record, expand_directories = False)

def _add_binary(ctx, args, target, dst):
    """The executable of target at dst, and its runfiles tree beside it.

    Returns the runfiles depset (action inputs). Inside the runfiles tree the
    executable itself becomes a symlink to dst instead of a second copy. A
    runfile is a program (0755) iff it is generated: whether a file is
    generated is declared, unlike its bits on disk. Checked-in runfiles
    (scripts' sources, data) are 0644 unless `executables` or `modes` say
    otherwise.
    """
    info = target[DefaultInfo]
    exe = info.files_to_run.executable
    if not exe:
        fail("%s: binaries: %s is not executable; list it in srcs or files instead" % (ctx.label, target.label))
    runfiles = info.default_runfiles
    label = label_str(target.label)
    tree = dst + ".runfiles"
    _group(args, "program", "binaries", label, dst)
    args.add_all([exe], map_each = _file_record, expand_directories = False)
    _group(args, "runfiles", "binaries", label, tree, exe = exe.path, workspace = ctx.workspace_name, link = "/" + dst.lstrip("/"))
    _add_files(args, runfiles.files)
    _group(args, "symlinks", "binaries", label, tree, workspace = ctx.workspace_name)
    args.add_all(runfiles.symlinks, map_each = _link_record)
    _group(args, "root_symlinks", "binaries", label, tree)
    args.add_all(runfiles.root_symlinks, map_each = _link_record)

    # The targets of runfiles symlinks are not in runfiles.files, and
    # Starlark has no depset of them: these two lists are flattened for the
    # action's inputs. They hold the links a rule declared one by one
    # (ctx.runfiles(symlinks = ...)), not a binary's files, so they stay
    # small where runfiles.files is large.
    links = runfiles.symlinks.to_list() + runfiles.root_symlinks.to_list()
    transitive = [runfiles.files, depset([exe] + [link.target_file for link in links])]

    # Under bzlmod, runfiles libraries inside the container resolve
    # repository names through `<tree>/_repo_mapping` (Bazel 7+); Bazel 4
    # has no such file, and WORKSPACE builds do not need it.
    repo_mapping = getattr(info.files_to_run, "repo_mapping_manifest", None)
    if repo_mapping:
        _group(args, "exact", "binaries", label, tree + "/_repo_mapping")
        args.add_all([repo_mapping], map_each = _file_record, expand_directories = False)
        transitive.append(depset([repo_mapping]))
    return depset(transitive = transitive)

def _image_layer_impl(ctx):
    pkg = ctx.attr.package_dir
    blob = ctx.actions.declare_file(ctx.label.name + _EXTENSIONS[ctx.attr.compression])
    descriptor = ctx.actions.declare_file(ctx.label.name + ".descriptor.json")

    # Every file's destination and mode come from declared facts (a file
    # is a program iff it is its target's generated executable; see
    # go/layer/filelist.go), in this order: srcs, files, binaries. The order matters
    # where two sources give the same destination and content: the first
    # one's mode stays.
    file_args = ctx.actions.args()
    file_args.set_param_file_format("multiline")
    file_args.use_param_file("--files=%s", use_always = True)
    file_args.add(FILE_LIST_VERSION)
    transitive = []
    for target in ctx.attr.srcs:
        info = target[DefaultInfo]
        exe = info.files_to_run.executable
        _group(file_args, "srcs", "srcs", label_str(target.label), pkg, exe = exe.path if exe else "", strip_prefix = ctx.attr.strip_prefix)
        _add_files(file_args, info.files)
        transitive.append(info.files)
    for target, dst in ctx.attr.files.items():
        info = target[DefaultInfo]
        exe = info.files_to_run.executable
        label = label_str(target.label)
        if dst.endswith("/"):
            _group(file_args, "dir", "files", label, _join(pkg, dst), exe = exe.path if exe else "", strip_prefix = ctx.attr.strip_prefix)
        else:
            # Exactly one file: the tool checks the count, as counting here
            # would flatten the depset.
            _group(file_args, "exact", "files", label, _join(pkg, dst), exe = exe.path if exe else "")
        _add_files(file_args, info.files)
        transitive.append(info.files)
    for f in ctx.files.tars:
        if f.is_source and f.is_directory:
            fail("%s: tars: %s is a checked-in directory, not a tar file.\n  fix: list tar files only" % (ctx.label, f.short_path))
    symlinks = {_join(pkg, p): t for p, t in ctx.attr.symlinks.items()}
    for target, dst in ctx.attr.binaries.items():
        transitive.append(_add_binary(ctx, file_args, target, _join(pkg, dst)))

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
        "files": [],
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

    inputs = depset([spec_file] + ctx.files.tars, transitive = transitive)
    ctx.actions.run(
        executable = ctx.executable._strata,
        arguments = ["layer", "--spec", spec_file.path, "--blob", blob.path, "--descriptor", descriptor.path, file_args],
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
