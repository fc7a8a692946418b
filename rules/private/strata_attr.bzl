"""The implicit attributes that give rules the strata tool.

An implicit label attribute, not a toolchain: declaring `toolchains = [...]`
makes Bazel 4.2.3 resolve toolchains, which downloads rules_cc/rules_java.
"""

# For actions: the tool runs on the execution platform.
STRATA_EXEC = attr.label(
    default = Label("@strata_tool//:strata"),
    executable = True,
    cfg = "exec",
    allow_single_file = True,
)

# For `bazel run` targets: the tool ships in runfiles and runs where the user is.
STRATA_RUN = attr.label(
    default = Label("@strata_tool//:strata"),
    executable = True,
    cfg = "target",
    allow_single_file = True,
)
