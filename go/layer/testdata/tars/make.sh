#!/usr/bin/env bash
# Regenerates the seed tars of go/layer's tar tests with GNU tar (1.34 made
# the checked-in ones): one tree holding sparse files, a hard link and a long
# name, archived in every sparse format archive/tar reads. SHA256SUMS holds
# the files' own digests, taken before archiving, so the tests compare the
# layer with the input, not with another tar reader.
set -euo pipefail
cd "$(dirname "$0")"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/t/data/$(printf 'd%.0s' {1..60})"
# sparse: 64 KiB, data in two places, holes around them.
truncate -s 64K "$src/t/data/sparse"
printf 'hello' | dd of="$src/t/data/sparse" bs=1 seek=20000 conv=notrunc status=none
printf 'end' | dd of="$src/t/data/sparse" bs=1 seek=65533 conv=notrunc status=none
# a-sparse: 8 KiB with one data block; archived first, so reading its
# expanded size raw from the tar runs into the next members without an error.
truncate -s 8K "$src/t/data/a-sparse"
printf 'tail' | dd of="$src/t/data/a-sparse" bs=1 seek=8000 conv=notrunc status=none
# many: six data fragments, more than an old GNU header's four slots.
truncate -s 200K "$src/t/data/many"
for i in 1 2 3 4 5 6; do
  printf 'fragment %d' "$i" | dd of="$src/t/data/many" bs=1 seek=$((i * 30000)) conv=notrunc status=none
done
printf 'plain\n' >"$src/t/data/plain.txt"
head -c 8192 /dev/zero | tr '\0' p >"$src/t/data/pad"
ln "$src/t/data/plain.txt" "$src/t/data/hard"
printf 'long\n' >"$src/t/data/$(printf 'd%.0s' {1..60})/$(printf 'f%.0s' {1..60}).txt"
(cd "$src/t" && find . -type f ! -name hard | sort | xargs sha256sum) >SHA256SUMS
common=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -b1 -C "$src/t" .)
tar --sparse --format=gnu -cf gnu-sparse.tar "${common[@]}"
tar --sparse --format=pax --sparse-version=0.0 -cf pax-sparse-0.0.tar "${common[@]}"
tar --sparse --format=pax --sparse-version=0.1 -cf pax-sparse-0.1.tar "${common[@]}"
tar --sparse --format=pax --sparse-version=1.0 -cf pax-sparse-1.0.tar "${common[@]}"
tar --sparse --format=pax -czf pax-sparse.tar.gz "${common[@]}"
# Only the small sparse file and a plain one: a reader that copies the
# expanded size raw from the data offset gives wrong bytes without an error.
tar --sparse --format=pax -b1 --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$src/t" -cf pax-sparse-small.tar ./data/a-sparse ./data/pad
