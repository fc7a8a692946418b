"""Whether the build runs with --stamp, for rules that follow it (stamp = -1).

Bazel 4 gives rules no direct way to read --stamp; a config_setting can, so
//rules/private:stamp_flag carries the answer in a provider.
"""

StampInfo = provider(doc = "Whether --stamp is on.", fields = {"enabled": "bool"})

def _stamp_setting_impl(ctx):
    return [StampInfo(enabled = ctx.attr.enabled)]

stamp_setting = rule(
    implementation = _stamp_setting_impl,
    attrs = {"enabled": attr.bool(doc = "Set by a select on --stamp.")},
)

def stamping(ctx):
    """Resolves a rule's `stamp` attribute (1, 0 or -1) against --stamp."""
    if ctx.attr.stamp == -1:
        return ctx.attr._stamp_flag[StampInfo].enabled
    return ctx.attr.stamp == 1
