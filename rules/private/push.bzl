"""image_push, image_probe and the index's image_index_push, image_index_probe: `bazel run` targets that push an image or index, or check that it is pushed."""

load(":actions.bzl", "add_image_files", "image_files_inputs", "run_local")
load(":attach.bzl", "attach_args")
load(":image_index_info.bzl", "ImageIndexInfo")
load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":launcher.bzl", "LAUNCHER", "strata_launcher")
load(":stamp.bzl", "stamping")
load(":strata_attr.bzl", "STRATA_EXEC", "STRATA_RUN")

def tag_template_args(ctx, args, templates):
    """Passes tag templates to a push, filled when it runs; returns its extra runfiles.

    Templates are expanded when the push runs, from status files in the
    runfiles: links to bazel-out/{stable,volatile}-status.txt, which Bazel
    rewrites on every stamped build. A tag filled at build time from a
    volatile key would keep its first value, since Bazel does not re-run an
    action when only volatile-status.txt changed. Unstamped, push refuses the
    templates and names the fix.

    Args:
      ctx: the push or probe rule's context (stamp, _stamp_flag, _strata).
      args: the push's Args, to add --tag-template and --status to.
      templates: tags with `{VAR}` placeholders.

    Returns:
      Files the push target's runfiles need.
    """
    if not templates:
        return []
    args.add_all(templates, before_each = "--tag-template")
    if not stamping(ctx):
        return []
    status = [ctx.info_file, ctx.version_file]
    args.add_all([f.short_path for f in status], before_each = "--status")

    # NAME.tags.txt: the tags as of this build, so `bazel build --stamp`
    # catches an undefined key early. Push does not read it.
    tags_file = ctx.actions.declare_file(ctx.label.name + ".tags.txt")
    targs = ctx.actions.args()
    targs.add_all(["tags", "--target", label_str(ctx.label), "--out", tags_file])
    targs.add_all(templates, before_each = "--template")
    targs.add_all(status, before_each = "--status")
    run_local(ctx, targs, status, tags_file, "StrataTags", "Expanding tags of %s" % label_str(ctx.label))
    return status + [tags_file]

def write_push_spec(ctx, args, inputs, mnemonic = "StrataPushSpec"):
    """Runs the push spec action: `strata push-spec` or `index-push-spec`.

    Everything push needs except blobs, in one small file made by a local
    action. Runfiles never carry blobs (`bazel run` would download them),
    and with Build without the Bytes Bazel 4 does not download a run
    target's runfiles that were remote cache hits: a no-remote action's
    output is always on this machine. Push reads each blob where the build
    left it, or streams it from the remote cache.

    Args:
      ctx: the push or probe rule's context.
      args: the subcommand and its flags, without --out.
      inputs: what the subcommand reads (never a layer blob).
      mnemonic: StrataPushSpec or StrataIndexPushSpec.

    Returns:
      The push spec File, NAME.push.json.
    """
    spec = ctx.actions.declare_file(ctx.label.name + ".push.json")
    args.add("--out", spec)
    run_local(ctx, args, inputs, spec, mnemonic, "Writing push spec of %s" % label_str(ctx.label))
    return spec

def push_command(ctx, command, spec):
    """The strata command line of a push or probe target, and the Files it reads.

    Args:
      ctx: the rule's context (repositories, remote_tags, stamp).
      command: push, probe, push-index or probe-index.
      spec: the push spec File.

    Returns:
      (Args, list of Files for the runfiles).
    """
    args = ctx.actions.args()
    args.add_all([command, "--target", label_str(ctx.label), "--spec", spec.short_path])
    args.add_all(ctx.attr.repositories, before_each = "--default-repository")
    args.add_all([t for t in ctx.attr.remote_tags if "{" not in t], before_each = "--tag")
    runfiles = [spec] + tag_template_args(ctx, args, [t for t in ctx.attr.remote_tags if "{" in t])
    return args, runfiles

def _image_push_impl(ctx, command = "push"):
    image = ctx.attr.image[ImageInfo]

    # Each layer's descriptor names the label push hands back to `bazel
    # build` when the cache evicted the layer (@@canonical under bzlmod).
    sargs = ctx.actions.args()
    sargs.add_all(["push-spec", "--image-files", image.files])
    spec = write_push_spec(ctx, sargs, image_files_inputs(image))
    args, runfiles = push_command(ctx, command, spec)
    if getattr(ctx.attr, "dry_run", False):
        args.add("--dry-run")
    if command == "push":
        runfiles.extend(attach_args(ctx, args))
    return strata_launcher(ctx, args, runfiles)

# What push and probe targets, of an image or an index, run with.
_PRIVATE_ATTRS = {
    "_launcher": LAUNCHER,
    "_stamp_flag": attr.label(default = Label("//rules/private:stamp_flag")),
    "_strata": STRATA_EXEC,
    "_strata_run": STRATA_RUN,
}

_ATTRS = dict(
    _PRIVATE_ATTRS,
    image = attr.label(doc = "The `image` (or `image_pull`) the repositories should hold: what push uploads and probe looks for.", mandatory = True, providers = [ImageInfo]),
    remote_tags = attr.string_list(doc = "Tags to set in every repository. `{VAR}` placeholders are filled from Bazel's workspace status when the stamped push runs (`bazel run --stamp`), e.g. `pr-{PR_NUMBER}-{SHORT_SHA}`, volatile keys included, and the result is sanitized into a legal tag (lowercase, `/` → `-`, at most 128 characters, keeping the part after the last `-` intact). See [stamping](stamping.md)."),
    repositories = attr.string_list(doc = "Repositories to push to, e.g. `registry.example.com/team/app`; several registries or organisations in one run."),
    stamp = attr.int(doc = "1: fill tag templates from the workspace status; 0: do not (a push with templates then fails, naming them, unless run with `-- --skip-tag-templates`); -1: follow `--stamp`.", default = -1, values = [-1, 0, 1]),
)

def _image_probe_impl(ctx):
    return _image_push_impl(ctx, command = "probe")

image_probe = rule(
    implementation = _image_probe_impl,
    doc = """`bazel run` target that tells whether every repository already holds the image and its tags.

Prints the image digest and, per repository, present / tags to move / missing
blobs. Exit code 0: everything is pushed, CI may skip build, test and push;
3: something is missing; anything else is an error that must stop CI (1:
input or registry, 2: usage, 70: a bug in strata; see docs/exit_codes.md). With a remote cache and
`--remote_download_toplevel`, a fresh CI machine gets the digest without
building or downloading any layer. Arguments after `--` as for image_push.
""",
    attrs = _ATTRS,
    executable = True,
)

image_push = rule(
    implementation = _image_push_impl,
    doc = """`bazel run` target that pushes an image: only missing blobs, in parallel, verified, with retries.

Prints `repo@sha256:...` per repository. Arguments after `--` are passed to
`strata push`: `--repository R` (replaces `repositories`), `--tag T` (adds),
`--dry-run`, `--refs-out FILE`, `--attempts N`, `--timeout D`, `--jobs N`.

After the push, the image's SBOM and provenance (built by the `image`'s
`sbom` and `provenance` output groups) are attached as OCI referrers; with
`STRATA_SIGNING_KEY` set when the push runs, the image is signed and the
provenance attested in cosign's format. See [signing](signing.md).
""",
    attrs = dict(
        _ATTRS,
        attach = attr.bool(
            doc = "Attach the image's SBOM (SPDX JSON) and SLSA provenance (in-toto statement) to the pushed manifest as OCI referrers, and, when `STRATA_SIGNING_KEY` names a key at `bazel run` time, attest the provenance in cosign's format. False: push without them (a key still signs the image). An image without the documents (`image_pull`) gets only the signature. See [signing](signing.md).",
            default = True,
        ),
        dry_run = attr.bool(doc = "Only list what would be uploaded and tagged.", default = False),
    ),
    executable = True,
)

def _index_push_impl(ctx, command = "push-index"):
    idx = ctx.attr.index[ImageIndexInfo]

    # One small local file with the index and, per child, what `strata push`
    # needs (as image_push's push spec): never a blob, see write_push_spec.
    sargs = ctx.actions.args()
    sargs.add_all(["index-push-spec", "--index", idx.index, "--index-digest", idx.digest])
    spec = write_push_spec(ctx, sargs, [idx.index, idx.digest] + add_image_files(sargs, idx.images), "StrataIndexPushSpec")
    args, runfiles = push_command(ctx, command, spec)
    if ctx.attr.platform_tags:
        args.add("--platform-tags")
    return strata_launcher(ctx, args, runfiles)

def _index_probe_impl(ctx):
    return _index_push_impl(ctx, command = "probe-index")

_INDEX_ATTRS = dict(
    _PRIVATE_ATTRS,
    index = attr.label(doc = "The `image_index` to push.", mandatory = True, providers = [ImageIndexInfo]),
    platform_tags = attr.bool(doc = "Also point `{tag}-{arch}` (`{tag}-{arch}{variant}` with a variant, e.g. `1.2-armv7`) at each child, for clients that do not read indexes yet."),
    remote_tags = attr.string_list(doc = "Tags to set on the index in every repository; `{VAR}` templates as in image_push. Children get no tags (unless `platform_tags`)."),
    repositories = attr.string_list(doc = "Repositories to push to."),
    stamp = attr.int(doc = "1: fill tag templates from the workspace status; 0: do not; -1: follow `--stamp`.", default = -1, values = [-1, 0, 1]),
)

image_index_push = rule(
    implementation = _index_push_impl,
    doc = """`bazel run` target that pushes an image index: every child's blobs and manifest first, the index last.

Tags go on the index only (plus `{tag}-{arch}` per child with
`platform_tags`). A repository that already holds the index costs one
request (plus one per tag). Arguments after `--` as for image_push:
`--repository R`, `--tag T`, `--dry-run`, `--refs-out FILE`, `--attempts N`,
`--timeout D`, `--jobs N`.
""",
    attrs = _INDEX_ATTRS,
    executable = True,
)

image_index_probe = rule(
    implementation = _index_probe_impl,
    doc = """`bazel run` target that tells whether every repository already holds the image index and its tags.

Exit code 0: everything is pushed; 3: something is missing; 1: an error.
""",
    attrs = _INDEX_ATTRS,
    executable = True,
)
