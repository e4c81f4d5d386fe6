#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the native code (fuzz_scan.c: the record locator, scan-*.c but
# the N-API binding; fuzz_gunzip.c:
# gzip framing and libdeflate) with AddressSanitizer and UndefinedBehaviorSanitizer, and runs each
# for a share of SECONDS (default 120: the smoke run .ci/run starts). See docs/fuzzing.md.
#
#   native/fuzz/run.sh [SECONDS]          # smoke run, split between the two targets
#   FUZZ_JOBS=2 native/fuzz/run.sh 1200   # a long run
#
# Without clang it installs Debian's (as root, with apt-get); when it cannot, it says why and
# skips (exit 0), never silently. A finding stops the run with exit 1 and leaves the input in
# native/fuzz/build/ (crash-*, leak-*, timeout-*): reproduce it with build/fuzz_<target> <file>.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-120}"
build="${FUZZ_BUILD:-$here/build}"

if ! command -v clang >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "fuzz: installing clang (Debian) for libFuzzer"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null) || true
  fi
fi
if ! command -v clang >/dev/null 2>&1; then
  why="not root or no apt-get"
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && why="apt-get install clang failed"
  echo "fuzz: SKIPPED, clang is not installed and could not be ($why); install clang to run the native fuzz smoke run"
  exit 0
fi

mkdir -p "$build"
vendor="$here/../vendor/libdeflate"
libdeflate=("$vendor/lib/deflate_decompress.c" "$vendor/lib/crc32.c" "$vendor/lib/utils.c" "$vendor/lib/x86/cpu_features.c" "$vendor/lib/arm/cpu_features.c")
flags=(-g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -I "$vendor")
scan=("$here/../scan-json.c" "$here/../scan-walk.c" "$here/../scan-values.c" "$here/../scan-group.c")
clang "${flags[@]}" -o "$build/fuzz_scan" "$here/fuzz_scan.c" "${scan[@]}" "${libdeflate[@]}"
clang "${flags[@]}" -o "$build/fuzz_gunzip" "$here/fuzz_gunzip.c" "${libdeflate[@]}"

jobs="${FUZZ_JOBS:-1}"
# The walker takes two thirds of the time: its input language is larger.
scan_seconds=$(( seconds * 2 / 3 ))
gunzip_seconds=$(( seconds - scan_seconds ))
status=0
for target in scan gunzip; do
  t=$([ "$target" = scan ] && echo "$scan_seconds" || echo "$gunzip_seconds")
  work="$build/corpus-$target"
  mkdir -p "$work"
  dict=()
  [ "$target" = scan ] && dict=(-dict="$here/json.dict")
  echo "fuzz: $target for ${t}s"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  if ! (cd "$build" && "$build/fuzz_$target" "${dict[@]}" -max_total_time="$t" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -jobs="$jobs" -workers="$jobs" -print_final_stats=1 -artifact_prefix="$build/" "$work" "$here/corpus/$target" 2>&1 \
      | tee "$build/$target.log" | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|fuzz_scan:|fuzz_gunzip:|SUMMARY)' ); then
    :
  fi
  if grep -qE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer)|runtime error|fuzz_(scan|gunzip):|deadly signal' "$build/$target.log" "$build"/fuzz-*.log 2>/dev/null; then
    echo "fuzz: $target FOUND a problem; see $build/$target.log and the crash-* file in $build"
    status=1
  fi
done
[ "$status" = 0 ] && echo "fuzz: no findings"
exit "$status"
