"""The platform an image_index builds a child image for.

image_index(image = ..., platforms = [...]) builds the image once per platform
through a split transition on --platforms. A transition only sees the
platform's label, not its constraints, so it also sets the `index_platform`
build setting to that label; the `target_platform` rule, analysed in the
child's configuration, then reads the platform's @platforms//os and
@platforms//cpu constraints and tells the image its os, architecture and
variant. Outside an index the setting is empty and nothing changes.
"""

IndexPlatformInfo = provider(doc = "The platform label an image_index transitioned to, or \"\".", fields = {"label": "string"})

TargetPlatformInfo = provider(
    doc = "os, architecture and variant of the image_index child being built; all \"\" outside an index.",
    fields = {
        "architecture": "string: OCI architecture, e.g. `arm64`.",
        "os": "string: OCI os, e.g. `linux`.",
        "platform": "string: the platform's label, for messages.",
        "variant": "string: CPU variant, e.g. `v7`, or \"\".",
    },
)

def _index_platform_impl(ctx):
    return [IndexPlatformInfo(label = ctx.build_setting_value)]

index_platform = rule(
    implementation = _index_platform_impl,
    attrs = {},
    build_setting = config.string(flag = False),
)

# @platforms constraint -> OCI value. Only constraints with one obvious OCI
# spelling are listed; anything else is refused with the platform's name.
_OS = {
    "freebsd": "freebsd",
    "linux": "linux",
    "windows": "windows",
}
_CPU = {
    "aarch64": ("arm64", ""),
    "arm64": ("arm64", ""),
    "armv7": ("arm", "v7"),
    "i386": ("386", ""),
    "ppc": ("ppc64le", ""),
    "riscv64": ("riscv64", ""),
    "s390x": ("s390x", ""),
    "x86_32": ("386", ""),
    "x86_64": ("amd64", ""),
}

def _target_platform_impl(ctx):
    label = ctx.attr._index_platform[IndexPlatformInfo].label
    if not label:
        return [TargetPlatformInfo(os = "", architecture = "", variant = "", platform = "")]
    oses = [v for k, v in _OS.items() if ctx.target_platform_has_constraint(getattr(ctx.attr, "_os_" + k)[platform_common.ConstraintValueInfo])]
    cpus = [v for k, v in _CPU.items() if ctx.target_platform_has_constraint(getattr(ctx.attr, "_cpu_" + k)[platform_common.ConstraintValueInfo])]
    if len(oses) != 1 or len(cpus) != 1:
        fail(("platform %s: its constraints do not map to an OCI os/architecture (it needs one @platforms//os of %s " +
              "and one @platforms//cpu of %s)\n  fix: add those constraint_values to the platform, or set os and " +
              "architecture on the image and list it in images instead") % (label, ", ".join(sorted(_OS)), ", ".join(sorted(_CPU))))
    return [TargetPlatformInfo(os = oses[0], architecture = cpus[0][0], variant = cpus[0][1], platform = label)]

_TP_ATTRS = {"_index_platform": attr.label(default = Label("//rules/private:index_platform"))}
_TP_ATTRS.update({"_os_" + k: attr.label(default = Label("@platforms//os:" + k)) for k in _OS})
_TP_ATTRS.update({"_cpu_" + k: attr.label(default = Label("@platforms//cpu:" + k)) for k in _CPU})

target_platform = rule(
    implementation = _target_platform_impl,
    attrs = _TP_ATTRS,
)

_INDEX_PLATFORM = str(Label("//rules/private:index_platform"))

def _platforms_split_impl(settings, attr):
    _ignore = settings  # buildifier: disable=unused-variable
    return {
        str(p): {
            "//command_line_option:platforms": str(p),
            _INDEX_PLATFORM: str(p),
        }
        for p in attr.platforms
    }

platforms_split = transition(
    implementation = _platforms_split_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms", _INDEX_PLATFORM],
)
