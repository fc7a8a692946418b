"""image_load and the index's `.load`: `bazel run` targets that load an image into docker or podman.

One script for both: an image is an index of one child that needs no
platform choice.
"""

load(":actions.bzl", "write_image_files")
load(":image_index_info.bzl", "ImageIndexInfo")
load(":image_info.bzl", "ImageInfo")
load(":label.bzl", "label_str")
load(":launcher.bzl", "LAUNCHER", "launcher", "read_lines")
load(":strata_attr.bzl", "STRATA_RUN")

# What the load target runs from its runfiles tree (launcher.sh.tpl): only
# bash builtins until an engine runs: the script must explain itself even
# with a PATH that has nothing on it.
#
# podman (local, Linux) gets the image through containers-storage: the script
# lays out an OCI directory of symlinks to the blobs Bazel built and runs
# `podman pull oci:DIR`, which asks the store for each layer before it opens
# the blob, so a layer the store already has is neither read nor written.
# Every other engine (docker, nerdctl, a remote podman) gets the
# docker-archive on stdin, written by strata while the engine reads it (no
# NAME.tar is built for a load: a podman load would not read it, and it is a
# full copy of every layer); docker skips the layers it has on its side.
_RUN = """label="{label}"
load_label="{load_label}"
strata="{strata}"
# One entry per child image, in index order.
image_files=({image_files})
shallow=({shallow})
archive_hint={hint}
manifests=({manifests})
digests=({digests})
repo_tags=({repo_tags})
configs=({configs})
platforms_file="{platforms}"

child=0
want=""
if [[ -n $platforms_file ]]; then
  {read_platforms}
  if [[ "${{1:-}}" == --platform=* ]]; then
    want=${{1#--platform=}}
    shift
  elif [[ "${{1:-}}" == --platform ]]; then
    want=${{2:-}}
    shift 2
  else
    case "$(uname -m)" in
      x86_64 | amd64) want=linux/amd64 ;;
      aarch64 | arm64) want=linux/arm64 ;;
      armv7l) want=linux/arm/v7 ;;
      i?86) want=linux/386 ;;
      ppc64le) want=linux/ppc64le ;;
      s390x) want=linux/s390x ;;
      riscv64) want=linux/riscv64 ;;
      *) want=linux/$(uname -m) ;;
    esac
  fi
  child=-1
  for i in "${{!platforms[@]}}"; do
    p=${{platforms[$i]}}
    # linux/arm64 matches linux/arm64/v8 too.
    if [[ $p == "$want" || $p == "$want"/* ]]; then
      child=$i
      break
    fi
  done
  if ((child < 0)); then
    echo "ERROR: $label: the index has no image for $want (it has: ${{platforms[*]}})." >&2
    echo "  fix: pick one with: bazel run $load_label -- --platform ${{platforms[0]}}" >&2
    exit 1
  fi
fi
# A base pulled without its layer blobs (image_pull's default) cannot be
# loaded: no engine gets a layer that is not on this machine.
if [[ ${{shallow[$child]}} == 1 ]]; then
  echo "ERROR: $label: a layer of its base image was not downloaded (image_pull keeps base layers in the registry by default), so no engine can load it." >&2
  echo "  fix: set download_layers = True on the base's image_pull" >&2
  exit 1
fi
# Build without the Bytes: under --remote_download_minimal Bazel leaves a
# `bazel run` target's runfiles that were remote cache hits in the cache, and
# no engine can load a file that is not here. (A case, not a nameref: this
# part runs under macOS's bash 3.2 too.)
case $child in
{need}
esac
for f in "${{need[@]}}"; do
  if [[ ! -e $f ]]; then
    echo "ERROR: $label: $f is not on this machine: the build left it in the remote cache (--remote_download_minimal), and an engine can only load files that are here." >&2
    echo "  fix: bazel run --remote_download_toplevel $load_label (a push needs neither: it streams the layers from the cache)" >&2
    exit 1
  fi
done

# via_storage says whether engine is a podman that shares this machine's
# files (so `podman pull oci:DIR` can read the blobs in place).
via_storage() {{
  local engine=$1 a
  shift
  [[ ${{engine##*/}} == podman && ${{STRATA_LOAD_VIA:-}} != archive ]] || return 1
  [[ $(uname -s) == Linux && -z "${{CONTAINER_HOST:-}}" ]] || return 1
  for a in "$@"; do
    case $a in -r | --remote | --remote=* | --url | --url=* | --connection | --connection=* | -c) return 1 ;; esac
  done
}}

# storage_load pulls the child from an OCI layout of symlinks into podman's
# containers-storage, then names it like `podman load` would have.
storage_load() {{
  local engine=$1 m digest cfg mt="" size i d blob id tmpname
  shift
  # podman names the image after the directory, and names are lowercase.
  dir=${{TMPDIR:-/tmp}}
  [[ $dir =~ ^[a-z0-9/._-]+$ ]] || dir=/tmp
  dir=${{dir%/}}/strata-load.$$.$RANDOM
  mkdir -m 700 "$dir"
  trap 'rm -rf "$dir"' EXIT

  mkdir -p "$dir/blobs/sha256"
  m=$PWD/${{manifests[$child]}}
  read -r digest < "${{digests[$child]}}" || [[ -n $digest ]]
  IFS= read -r -d '' cfg < "$m" || true
  [[ $cfg =~ \\"mediaType\\":\\ *\\"(application/vnd\\.[a-z.]+manifest[^\\"]*)\\" ]] && mt=${{BASH_REMATCH[1]}}
  [[ $cfg =~ \\"config\\":\\ *\\{{[^}}]*\\"digest\\":\\ *\\"sha256:([0-9a-f]{{64}})\\" ]] || {{
    echo "ERROR: $label: no config digest in $m" >&2
    exit 1
  }}
  id=${{BASH_REMATCH[1]}}
  ln -s "$m" "$dir/blobs/sha256/${{digest#sha256:}}"
  ln -s "$PWD/${{configs[$child]}}" "$dir/blobs/sha256/$id"
  # Each child's layers as descriptor, blob pairs (a case, not a nameref:
  # one bash for every script).
  pairs=()
  case $child in
{layers}
  esac
  for ((i = 0; i < ${{#pairs[@]}}; i += 2)); do
    IFS= read -r -d '' d < "${{pairs[$i]}}" || true
    [[ $d =~ \\"digest\\":\\ *\\"sha256:([0-9a-f]{{64}})\\" ]] || {{
      echo "ERROR: $label: no digest in ${{pairs[$i]}}" >&2
      exit 1
    }}
    blob=${{pairs[$((i + 1))]}}
    ln -sf "$PWD/$blob" "$dir/blobs/sha256/${{BASH_REMATCH[1]}}"
  done
  size=$(wc -c < "$m")
  printf '{{"imageLayoutVersion":"1.0.0"}}' > "$dir/oci-layout"
  printf '{{"schemaVersion":2,"manifests":[{{%s"digest":"%s","size":%d}}]}}' \\
    "${{mt:+\\"mediaType\\":\\"$mt\\",}}" "$digest" "$size" > "$dir/index.json"
  if ! "$engine" pull "$@" "oci:$dir" >&2; then
    echo "ERROR: $label: $engine pull oci:$dir failed (see above)." >&2
    echo "  fix: if this podman cannot read this machine's files (a remote one), load the docker-archive instead: STRATA_LOAD_VIA=archive bazel run $label.load" >&2
    exit 1
  fi
  # podman names an image pulled from a directory after the directory.
  tmpname=$("$engine" image inspect "$@" --format '{{{{index .RepoTags 0}}}}' "$id" 2>/dev/null) || tmpname=""
  for t in "${{repo_tags[@]:$child:1}}"; do
    [[ -n $t ]] || continue
    for tag in $t; do "$engine" tag "$@" "$id" "$tag"; done
  done
  if [[ $tmpname == */strata-load.* ]]; then "$engine" untag "$@" "$id" "$tmpname"; fi
  echo "Loaded image: sha256:$id ${{repo_tags[$child]}}"
}}

if [[ -n "${{STRATA_LOAD_ENGINE:-}}" ]]; then
  engines=("$STRATA_LOAD_ENGINE")
  if ! command -v "$STRATA_LOAD_ENGINE" >/dev/null 2>&1; then
    echo "ERROR: $label: STRATA_LOAD_ENGINE=$STRATA_LOAD_ENGINE: no such command on PATH." >&2
    echo "  fix: install it, name it by its path, or unset STRATA_LOAD_ENGINE to try {tools_text}; or $archive_hint" >&2
    exit 1
  fi
else
  engines=({tools})
fi
what=$label
[[ -n $want ]] && what="the $want image of $label"
skipped=0
for engine in "${{engines[@]}}"; do
  command -v "$engine" >/dev/null 2>&1 || continue
  # The docker CLI is only a client: without a daemon its load fails, so say
  # why and try the next engine (unless the user chose docker).
  if [[ ${{engine##*/}} == docker && -z "${{STRATA_LOAD_ENGINE:-}}" ]]; then
    if ! reason=$("$engine" version --format '{{{{.Server.Version}}}}' 2>&1 >/dev/null); then
      echo "$label: skipping $engine: no daemon answers (${{reason//$'\\n'/ }})" >&2
      skipped=$((skipped + 1))
      continue
    fi
  fi
  if via_storage "$engine" "$@"; then
    echo "loading $what into $engine (containers-storage: layers it has are skipped)" >&2
    storage_load "$engine" "$@"
    exit 0
  fi
  echo "loading $what into $engine" >&2
  tag_args=()
  for tag in ${{repo_tags[$child]}}; do tag_args+=(--tag "$tag"); done
  "$strata" docker-archive --image-files "${{image_files[$child]}}" ${{tag_args[@]+"${{tag_args[@]}}"}} --out - | "$engine" load "$@"
  exit 0
done
if ((skipped)); then
  echo "ERROR: $label: no engine on PATH could load the image ({tools_text}; see above)." >&2
else
  echo "ERROR: $label: {none_on_path}." >&2
fi
echo "  fix: install one of them, or $archive_hint" >&2
exit 1
"""

def _none_on_path(tools):
    if len(tools) == 1:
        return "%s is not on PATH" % tools[0]
    if len(tools) == 2:
        return "neither %s nor %s is on PATH" % (tools[0], tools[1])
    return "none of %s is on PATH" % ", ".join(tools)

def _archive_hint(ctx, label, images, platforms):
    """How to get the image without an engine, for the script's error messages."""
    if platforms:
        return "write the index as an OCI layout: bazel build %s --output_groups=oci_layout" % label
    tarball = images[0].tarball
    prefix = ctx.bin_dir.path + "/"
    where = " (then bazel-bin/%s)" % tarball.path[len(prefix):] if tarball.path.startswith(prefix) else ""
    return "write the docker-archive: bazel build %s --output_groups=tarball%s" % (label, where)

def _q(s):
    return "'%s'" % s.replace("'", "'\\''")

def _words(files):
    return " ".join([_q(f.short_path) for f in files])

def _stage(ctx, keep, i, f, n):
    """f itself when keep, else a symlink to it named for child i."""
    if keep:
        return f
    s = ctx.actions.declare_file("%s.d/%d/%s" % (ctx.label.name, i, n))
    ctx.actions.symlink(output = s, target_file = f)
    return s

def load_script(ctx, label, images, tools, platforms = None):
    """Writes the load script for images and returns its DefaultInfo.

    Args:
      ctx: the rule context.
      label: the Label of the image or index, for messages.
      images: list of ImageInfo, one per child (one for an image).
      tools: engines to try, in order.
      platforms: for an index, the File listing each child's platform.

    Returns:
      DefaultInfo with the script as executable.
    """
    if not tools:
        fail("%s: tools is empty (fix: leave it out to try docker, then podman)" % ctx.label)

    # Children of one image split over platforms share short_paths (only
    # their configuration directories differ), so in runfiles one would hide
    # the other: in an index each child's files get names of their own.
    image_files, shallow, manifests, configs, digests, tags, layer_lines, need, files = [], [], [], [], [], [], [], [], []
    for i, img in enumerate(images):
        staged = {}
        for f, n in [(img.manifest, "manifest.json"), (img.config, "config.json"), (img.digest, "digest")]:
            staged[f] = _stage(ctx, platforms == None, i, f, n)
        pairs = []
        for j, layer in enumerate(img.layers):
            staged[layer.descriptor] = _stage(ctx, platforms == None, i, layer.descriptor, "%d.json" % j)
            if layer.blob:
                staged[layer.blob] = _stage(ctx, platforms == None, i, layer.blob, "%d.blob" % j)
                pairs.extend([staged[layer.descriptor], staged[layer.blob]])
        m, c, d = staged[img.manifest], staged[img.config], staged[img.digest]

        # The docker-archive path hands strata the child's files as the
        # runfiles tree has them.
        f = write_image_files(ctx, "%s.d/%d/image" % (ctx.label.name, i), img.files.owner, img.manifest, img.config, img.digest, img.layers, paths = {k: v.short_path for k, v in staged.items()})
        image_files.append(f)
        shallow.append("1" if [layer for layer in img.layers if not layer.blob] else "0")
        manifests.append(m)
        configs.append(c)
        digests.append(d)
        tags.append(" ".join(getattr(img, "repo_tags", None) or []))
        layer_lines.append("  %d) pairs=(%s) ;;" % (i, _words(pairs)))
        need.append("  %d) need=(%s) ;;" % (i, _words([f, m, c, d] + pairs)))
        files.extend([f] + staged.values() + pairs)
    if platforms:
        files.append(platforms)
    what = "an image" if platforms == None else "the child of an image index that matches this machine (or --platform os/arch[/variant])"
    return launcher(ctx, "loads %s into docker or podman." % what, _RUN.format(
        tools = " ".join([_q(t) for t in tools]),
        tools_text = ", ".join(tools),
        none_on_path = _none_on_path(tools),
        label = label,
        load_label = label_str(ctx.label),
        need = "\n".join(need),
        strata = ctx.executable._strata_run.short_path,
        image_files = _words(image_files),
        shallow = " ".join(shallow),
        hint = _q(_archive_hint(ctx, label, images, platforms)),
        manifests = _words(manifests),
        digests = _words(digests),
        repo_tags = " ".join([_q(t) for t in tags]),
        configs = _words(configs),
        layers = "\n".join(layer_lines),
        read_platforms = read_lines("platforms", '"$platforms_file"'),
        platforms = platforms.short_path if platforms else "",
    ), files + [ctx.executable._strata_run])

_DOC = """

Tries each of `tools` on PATH in order; a `docker` CLI whose daemon does not
answer is skipped, with docker's reason. `STRATA_LOAD_ENGINE=podman` (a
command or a path) uses that engine only. A local podman gets the image
through containers-storage (`podman pull oci:DIR` over the built blobs), so
layers it already has are neither read nor written; other engines get the
docker-archive on stdin (`STRATA_LOAD_VIA=archive` forces that for podman
too). Arguments after `--` go to every engine command (podman: global flags
such as `--storage-driver=vfs`). strata writes the docker-archive while the
engine reads it, so a load builds no `NAME.tar`. Without any engine it fails
and says how to get the docker-archive (`--output_groups=tarball`).
"""

# The attributes of both load rules but the one naming what they load.
_ATTRS = {
    "tools": attr.string_list(doc = "Engines to try, in order (commands on PATH, or paths).", default = ["docker", "podman"]),
    "_launcher": LAUNCHER,
    "_strata_run": STRATA_RUN,
}

def _image_load_impl(ctx):
    return [load_script(ctx, ctx.attr.image.label, [ctx.attr.image[ImageInfo]], ctx.attr.tools)]

image_load = rule(
    implementation = _image_load_impl,
    doc = "`bazel run` target that loads an image into docker or podman." + _DOC,
    attrs = dict(_ATTRS, image = attr.label(doc = "The `image` to load.", mandatory = True, providers = [ImageInfo])),
    executable = True,
)

def _index_load_impl(ctx):
    idx = ctx.attr.index[ImageIndexInfo]
    return [load_script(ctx, ctx.attr.index.label, idx.images, ctx.attr.tools, platforms = idx.platforms)]

image_index_load = rule(
    implementation = _index_load_impl,
    doc = "`bazel run` target that loads the child of an index matching this machine (or `-- --platform os/arch`) into docker or podman." + _DOC,
    attrs = dict(_ATTRS, index = attr.label(doc = "The `image_index` to load from.", mandatory = True, providers = [ImageIndexInfo])),
    executable = True,
)
