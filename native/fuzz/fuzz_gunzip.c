/*
 * libFuzzer harness for native/gunzip.c's gzip framing and libdeflate inflation, built with
 * AddressSanitizer and UndefinedBehaviorSanitizer by native/fuzz/run.sh (docs/fuzzing.md). The
 * input is the gzip file; the output buffer is 1 MiB (a larger file reports "too small", as the
 * JavaScript side sees it before growing the buffer). Checks: no memory error, the result is -1,
 * -2 with a failure, or a byte count within the buffer, and the same input gives the same result
 * into a buffer twice as large when it fit.
 */
#define IAMTRIM_NO_NAPI
#include "../gunzip.c"

#include <stdio.h>
#include <string.h>

#define OUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct libdeflate_decompressor *d;
  static uint8_t *out, *again;
  if (d == NULL) {
    d = libdeflate_alloc_decompressor();
    out = malloc(OUT);
    again = malloc(2 * OUT);
  }
  uint8_t *in = malloc(size == 0 ? 1 : size);
  memcpy(in, data, size);
  const Failure *failure = NULL;
  int64_t written = inflate_members(d, in, size, out, OUT, &failure);
  if (!(written == -1 || (written == -2 && failure != NULL) || (written >= 0 && written <= OUT && failure == NULL))) {
    fprintf(stderr, "fuzz_gunzip: result %lld\n", (long long)written);
    abort();
  }
  if (written >= 0) {
    const Failure *second = NULL;
    int64_t w2 = inflate_members(d, in, size, again, 2 * OUT, &second);
    if (w2 != written || memcmp(out, again, (size_t)written) != 0) {
      fprintf(stderr, "fuzz_gunzip: output depends on the buffer size\n");
      abort();
    }
  }
  free(in);
  return 0;
}
