"""Repository rules that provide the `strata` tool for every execution platform.

The tool binary is an input of every strata action, so its bytes are part of
every action key: two machines that build different binaries share nothing
through a remote cache. The build is therefore pinned and needs nothing on the
machine but Bazel:

* Prebuilt: when rules/private/strata_prebuilt.bzl (written by
  scripts/release.sh for a release) lists a binary for the platform, it is
  downloaded by sha256. Nothing is compiled.
* From source otherwise: the Go toolchain of go.mod's `toolchain` line is
  downloaded by sha256 (rules/private/go_toolchain.bzl) from the Go module
  proxy that GOPROXY names, and builds the tool with `CGO_ENABLED=0`,
  `-trimpath`, `-buildvcs=false`, `-ldflags=-s -w`, `GOTOOLCHAIN=local`, `GOENV=off`,
  `GOFLAGS=-mod=readonly`: a Go, GOROOT or GOFLAGS on the machine does not
  matter. Cross-compiled for the execution platform, so a macOS laptop sends
  Linux workers a Linux binary, byte-identical to one built on Linux.

`strata_tool` (the hub, `@strata_tool//:strata`) selects the binary of the
execution platform; `strata_tool_platform` builds or downloads one. Every Go
file of the tool is listed in strata_tool_srcs.bzl and watched, so Bazel
re-runs the build when one changes (a test keeps the list complete).
"""

load(":go_toolchain.bzl", "GO_TOOLCHAIN", "GO_TOOLCHAIN_SHA256")
load(":strata_prebuilt.bzl", "STRATA_PREBUILT")
load(":strata_tool_srcs.bzl", "STRATA_TOOL_SRCS")

# Execution platforms with a strata binary: name -> (GOOS, GOARCH, constraints).
STRATA_PLATFORMS = {
    "darwin_amd64": ("darwin", "amd64", ["@platforms//os:macos", "@platforms//cpu:x86_64"]),
    "darwin_arm64": ("darwin", "arm64", ["@platforms//os:macos", "@platforms//cpu:aarch64"]),
    "linux_amd64": ("linux", "amd64", ["@platforms//os:linux", "@platforms//cpu:x86_64"]),
    "linux_arm64": ("linux", "arm64", ["@platforms//os:linux", "@platforms//cpu:aarch64"]),
}

def strata_platform_repo(name, platform):
    """The repository of one platform's binary, e.g. `strata_tool_linux_amd64`."""
    return "%s_%s" % (name, platform)

def getenv(rctx, name, default = None):
    """An environment variable, recorded as a dependency of the repository.

    rctx.getenv (Bazel 7.1+) makes a change of the variable re-run the rule;
    older Bazels only do that for the names listed in the rule's `environ`,
    which must therefore list every name read here.
    """
    if hasattr(rctx, "getenv"):
        return rctx.getenv(name, default)
    return rctx.os.environ.get(name, default)

def watch(rctx, label):
    """Makes a change of the file at label re-run the repository rule.

    Bazel 4-7 do that for every file resolved with rctx.path(label); Bazel 8
    only for files passed to rctx.watch (7.1+).
    """
    if hasattr(rctx, "watch"):
        rctx.watch(label)
    else:
        rctx.path(label)

def host_platform(rctx):
    """The STRATA_PLATFORMS name of the machine running Bazel.

    Args:
      rctx: a repository_ctx.

    Returns:
      A key of STRATA_PLATFORMS, e.g. "linux_amd64".
    """
    os = rctx.os.name.lower()
    arch = rctx.os.arch if hasattr(rctx.os, "arch") else ""
    if not arch:
        res = rctx.execute(["uname", "-m"])
        arch = res.stdout.strip()
    goos = "darwin" if os.startswith("mac") else "linux" if os.startswith("linux") else os
    goarch = {"aarch64": "arm64", "amd64": "amd64", "arm64": "arm64", "x86_64": "amd64"}.get(arch, arch)
    name = "%s_%s" % (goos, goarch)
    if name not in STRATA_PLATFORMS:
        fail("rules_strata: no strata tool for this machine (%s/%s); supported: %s" % (os, arch, ", ".join(sorted(STRATA_PLATFORMS.keys()))))
    return name

def _run(rctx, cmd, env, root, what):
    res = rctx.execute(cmd, environment = env, working_directory = str(root), timeout = 1800)
    if res.return_code != 0:
        fail("rules_strata: %s failed (exit %d):\n%s%s" % (what, res.return_code, res.stdout, res.stderr))
    return res.stdout

def _goproxy(rctx):
    """The first HTTP(S) entry of GOPROXY (`direct` and `off` cannot serve zips)."""
    value = getenv(rctx, "GOPROXY", "")
    if not value:
        # A Go on the machine is not needed, but if there is one, its
        # configured proxy is the user's choice.
        go = rctx.which("go")
        if go:
            res = rctx.execute([go, "env", "GOPROXY"], environment = {"GOTOOLCHAIN": "local"})
            if res.return_code == 0:
                value = res.stdout.strip()
    for entry in value.replace("|", ",").split(","):
        entry = entry.strip().rstrip("/")
        if entry.startswith("https://") or entry.startswith("http://"):
            return entry
    fail("rules_strata: building the strata tool needs the Go module proxy, and GOPROXY names none (%r). " % value +
         "fix: set GOPROXY to your Go module proxy, e.g. `build --repo_env=GOPROXY=https://...` in .bazelrc " +
         "(`go env GOPROXY` prints Go's default), or use a release of rules_strata, which ships prebuilt tools.")

def _go_sdk(rctx, proxy):
    """Downloads the pinned Go toolchain for this machine; returns its `go`."""
    host = host_platform(rctx)
    version = "v0.0.1-%s.%s" % (GO_TOOLCHAIN, host.replace("_", "-"))
    rctx.report_progress("Downloading Go %s for %s (about 70 MB, once per machine: Bazel's repository cache keeps it)" % (GO_TOOLCHAIN, host))
    rctx.download_and_extract(
        url = "%s/golang.org/toolchain/@v/%s.zip" % (proxy, version),
        sha256 = GO_TOOLCHAIN_SHA256[host],
        output = "go_sdk",
        stripPrefix = "golang.org/toolchain@" + version,
    )
    go = rctx.path("go_sdk/bin/go")

    # Module zips keep the execute bit, but not every extractor applies it.
    rctx.execute(["chmod", "-R", "u+x", str(rctx.path("go_sdk/bin")), str(rctx.path("go_sdk/pkg/tool"))])
    return go

def _build_from_source(rctx, goos, goarch):
    go_mod = rctx.path(rctx.attr.go_mod)
    root = go_mod.dirname
    for src in rctx.attr.srcs:
        watch(rctx, src)  # editing the file re-runs this rule
    toolchain = _toolchain_from_go_mod(rctx.read(go_mod))
    if toolchain != GO_TOOLCHAIN:
        fail("rules_strata: go.mod pins %s but rules/private/go_toolchain.bzl pins %s (fix: scripts/update-go-toolchain.sh)" % (toolchain, GO_TOOLCHAIN))
    proxy = _goproxy(rctx)
    go = _go_sdk(rctx, proxy)
    env = {
        "CGO_ENABLED": "0",
        "GO111MODULE": "on",
        "GOAMD64": "v1",
        "GOARCH": goarch,
        "GOARM64": "v8.0",
        "GOENV": "off",
        "GOEXPERIMENT": "",
        "GOFLAGS": "-mod=readonly",
        "GONOSUMDB": getenv(rctx, "GONOSUMDB", ""),
        "GOOS": goos,
        "GOPRIVATE": getenv(rctx, "GOPRIVATE", ""),
        "GOPROXY": proxy,
        "GOROOT": str(go.dirname.dirname),
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
    }

    # The user's module and build caches when there is a home (fast rebuilds,
    # shared with their other builds); otherwise caches in this repository.
    home = getenv(rctx, "HOME", "")
    env["GOPATH"] = (home + "/go") if home else str(rctx.path("gopath"))
    env["GOMODCACHE"] = getenv(rctx, "GOMODCACHE", "") or env["GOPATH"] + "/pkg/mod"
    env["GOCACHE"] = getenv(rctx, "GOCACHE", "") or ((home + "/.cache/go-build") if home else str(rctx.path("gocache")))
    rctx.report_progress("Building strata for %s/%s with %s (dependencies from the Go module proxy)" % (goos, goarch, toolchain))
    _run(rctx, [
        go,
        "build",
        "-trimpath",
        "-buildvcs=false",
        # No symbol table or DWARF (panics still name functions and lines):
        # 0.69x the bytes every fresh machine downloads and Bazel hashes.
        # scripts/release.sh passes the same flags.
        "-ldflags=-s -w",
        "-o",
        str(rctx.path("strata")),
        "./tools/strata",
    ], env, root, "building strata for %s/%s with %s" % (goos, goarch, toolchain))
    rctx.delete("go_sdk")
    return "built from source with %s" % toolchain

def _toolchain_from_go_mod(content):
    for line in content.splitlines():
        fields = line.strip().split(" ")
        if len(fields) == 2 and fields[0] == "toolchain":
            return fields[1]
    fail("rules_strata: go.mod has no `toolchain goX.Y.Z` line; the strata build needs a pinned Go toolchain")

def _strata_tool_platform_impl(rctx):
    goos, goarch, _ = STRATA_PLATFORMS[rctx.attr.platform]
    prebuilt = STRATA_PREBUILT.get(rctx.attr.platform)
    if prebuilt and not getenv(rctx, "STRATA_BUILD_FROM_SOURCE", ""):
        rctx.report_progress("Downloading the prebuilt strata for %s" % rctx.attr.platform)
        rctx.download(url = prebuilt["urls"], output = "strata", sha256 = prebuilt["sha256"], executable = True)
        how = "prebuilt %s" % prebuilt["sha256"]
    else:
        how = _build_from_source(rctx, goos, goarch)
    rctx.file("HOW", how + "\n")
    rctx.file("BUILD.bazel", """# Generated by rules_strata: the strata tool for {platform} ({how}).
exports_files(["strata"], visibility = ["//visibility:public"])
""".format(platform = rctx.attr.platform, how = how))

strata_tool_platform = repository_rule(
    implementation = _strata_tool_platform_impl,
    doc = "The strata multitool for one execution platform: prebuilt, or built from rules_strata's Go module.",
    attrs = {
        "go_mod": attr.label(doc = "The module's go.mod; its directory is the build root.", default = Label("//:go.mod"), allow_single_file = True),
        "platform": attr.string(doc = "A key of STRATA_PLATFORMS.", mandatory = True, values = STRATA_PLATFORMS.keys()),
        "srcs": attr.label_list(doc = "Every file the tool is built from, so Bazel re-runs the build when one changes.", default = STRATA_TOOL_SRCS, allow_files = True),
    },
    environ = ["GOPROXY", "GONOSUMDB", "GOPRIVATE", "HOME", "GOCACHE", "GOMODCACHE", "STRATA_BUILD_FROM_SOURCE"],
)

def _strata_tool_impl(rctx):
    lines = [
        "# Generated by rules_strata: the strata tool of the execution platform",
        "# (cfg = \"exec\" attributes) or of the target platform (`bazel run`).",
        "",
    ]
    conditions = []
    for platform in sorted(STRATA_PLATFORMS.keys()):
        constraints = STRATA_PLATFORMS[platform][2]
        lines.append("config_setting(name = %r, constraint_values = %r)\n" % (platform, constraints))
        conditions.append("        %r: \"@%s//:strata\"," % (":" + platform, strata_platform_repo(rctx.attr.repo_prefix, platform)))
    lines.append("""alias(
    name = "strata",
    actual = select(
        {{
{conditions}
        }},
        no_match_error = "rules_strata has a strata tool for {supported} only: this execution platform is none of them",
    ),
    visibility = ["//visibility:public"],
)
""".format(conditions = "\n".join(conditions), supported = ", ".join(sorted(STRATA_PLATFORMS.keys()))))
    rctx.file("BUILD.bazel", "\n".join(lines))

strata_tool = repository_rule(
    implementation = _strata_tool_impl,
    doc = "`@strata_tool//:strata`: selects the strata binary of the platform the action runs on.",
    attrs = {
        "repo_prefix": attr.string(doc = "Name prefix of the per-platform repositories.", default = "strata_tool"),
    },
)

def strata_tool_repositories(name = "strata_tool"):
    """Declares the hub and one repository per platform (fetched only when selected)."""
    for platform in STRATA_PLATFORMS.keys():
        strata_tool_platform(name = strata_platform_repo(name, platform), platform = platform)
    strata_tool(name = name, repo_prefix = name)
