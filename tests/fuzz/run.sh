#!/bin/sh
# Runs every libFuzzer target for a while, starting from a scratch copy of its seed corpus.
# Usage: tests/fuzz/run.sh <build-dir> <seconds-per-target>
# The build dir must be configured with CHATSTREAM_FUZZ=ON (clang), e.g. the `fuzz` preset.
# Exits non-zero if a target crashes (crash inputs are kept in <build-dir>/fuzz-artifacts/).
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 <build-dir> <seconds-per-target>" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$build/fuzz-artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$artifacts"

status=0
for target in fuzz_sse_parser fuzz_ndjson fuzz_dialect; do
  exe="$build/tests/fuzz/$target"
  if [ ! -x "$exe" ]; then
    echo "run.sh: $exe not built (configure with -DCHATSTREAM_FUZZ=ON)" >&2
    exit 2
  fi
  mkdir -p "$scratch/$target"
  cp "$here/corpus/$target/"* "$scratch/$target/"
  echo "== $target for ${seconds}s"
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$scratch/$target" \
      >"$scratch/$target.log" 2>&1; then
    tail -n 12 "$scratch/$target.log"
  else
    status=1
    tail -n 60 "$scratch/$target.log"
    echo "run.sh: $target FAILED (artifacts in $artifacts)" >&2
  fi
done
exit $status
