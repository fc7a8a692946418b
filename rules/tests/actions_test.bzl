"""Analysis tests: what the image and push actions read.

The image, inspect, push-spec and index actions consume layer descriptors
(the index: child manifests and configs), never layer blobs: a remote-cache user then downloads kilobytes, and the image
action's key does not hash megabytes. These tests fail if a change makes any
of them take a blob (`*.tar`, `*.tar.gz`, `*.tar.zst`) as input.
"""

_BLOB_SUFFIXES = [".tar", ".tar.gz", ".tar.zst"]

def _no_blob_inputs_test_impl(ctx):
    failures = []
    seen = []
    for action in ctx.attr.target_under_test.actions:
        if action.mnemonic not in ctx.attr.mnemonics:
            continue
        seen.append(action.mnemonic)
        for f in action.inputs.to_list():
            for suffix in _BLOB_SUFFIXES:
                if f.basename.endswith(suffix) and not f.basename.endswith(".image.tar"):
                    failures.append("%s reads the layer blob %s" % (action.mnemonic, f.short_path))
    for m in ctx.attr.mnemonics:
        if m not in seen:
            failures.append("%s has no %s action (the test would prove nothing)" % (ctx.attr.target_under_test.label, m))
    return [AnalysisTestResultInfo(success = not failures, message = "\n".join(failures))]

no_blob_inputs_test = rule(
    implementation = _no_blob_inputs_test_impl,
    doc = "Fails when an action of target_under_test with one of `mnemonics` takes a layer blob as input.",
    attrs = {
        "mnemonics": attr.string_list(doc = "Actions to check.", mandatory = True),
        "target_under_test": attr.label(doc = "The target whose actions are checked.", mandatory = True),
    },
    analysis_test = True,
)
