"""What image_push attaches after the push: SBOM and provenance referrers.

The documents are built by the image's `sbom` and `provenance` output
groups. A local (no-remote) action copies them into one small file in the
push target's runfiles, for the reason push.json is made locally: Bazel 4
does not download a `bazel run` target's runfiles that were remote cache
hits under Build without the Bytes. The push reads only that file: no layer
blob is read again. The signing key is never an input here; the push reads
it when it runs (STRATA_SIGNING_KEY).
"""

load(":actions.bzl", "run_local")
load(":label.bzl", "label_str")

def _group(target, name):
    if OutputGroupInfo not in target:
        return []
    og = target[OutputGroupInfo]
    return getattr(og, name).to_list() if hasattr(og, name) else []

def attach_args(ctx, args):
    """Adds --attach-spec to a push's args; returns the runfiles it needs.

    Args:
      ctx: the image_push rule's context (image, attach, _strata).
      args: the push's Args.

    Returns:
      Files the push target's runfiles need.
    """
    if not ctx.attr.attach:
        return []
    sbom = _group(ctx.attr.image, "sbom")
    provenance = _group(ctx.attr.image, "provenance")
    if not sbom and not provenance:
        return []
    out = ctx.actions.declare_file(ctx.label.name + ".attach.json")
    aargs = ctx.actions.args()
    aargs.add_all(["attach-spec", "--target", label_str(ctx.label), "--out", out])
    aargs.add_all(sbom, before_each = "--sbom")
    aargs.add_all(provenance, before_each = "--provenance")
    run_local(ctx, aargs, sbom + provenance, out, "StrataAttachSpec", "Bundling the SBOM and provenance of %s for push" % label_str(ctx.label))
    args.add("--attach-spec", out.short_path)
    return [out]
