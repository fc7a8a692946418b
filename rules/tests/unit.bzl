"""A minimal Starlark unit-test helper that needs nothing but Bazel 4.2+.

A test is a rule with `test = True` whose implementation checks pure
functions at analysis and returns `unit_result(ctx, failures)`: a test script
that prints the failures and exits non-zero, so a broken expectation shows as
a failing `bazel test`, not a broken build.
"""

def expect_eq(failures, what, got, want):
    """Appends a message to failures unless got == want."""
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got, want))

def unit_result(ctx, failures):
    """The providers of a unit test rule.

    Args:
      ctx: the test rule's context.
      failures: messages of failed expectations; empty when all passed.

    Returns:
      DefaultInfo with a test script that prints failures and exits 1 if any.
    """
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    lines = ["#!/bin/sh"]
    for f in failures:
        lines.append("echo '%s'" % ("FAIL: " + f).replace("'", "'\\''"))
    lines.append("echo '%d failed'" % len(failures))
    lines.append("exit %d" % (1 if failures else 0))
    ctx.actions.write(script, "\n".join(lines) + "\n", is_executable = True)
    return [DefaultInfo(executable = script)]
