/*
 * gunzip(input, output): inflates a whole gzip file into `output` with libdeflate (vendored in
 * vendor/libdeflate: ~1.8x Node's zlib on CloudTrail files). Returns the bytes written, or -1
 * when `output` is too small (the caller grows it and calls again: ISIZE is only a hint).
 *
 * The gzip framing (RFC 1952) is parsed here rather than by libdeflate's wrapper so that what is
 * accepted and what is refused are zlib's, as Node's gunzipSync gives them (the fallback when this
 * module is not built; `test/read-log-bytes.test.ts` runs both): members are concatenated; after
 * a member, a zero byte ends the input (padding); anything else must be another member; the CRC
 * and length of each member, and the header CRC when flagged, are checked. Errors are thrown
 * with zlib's messages and codes (`Z_DATA_ERROR`, `Z_BUF_ERROR` for input that ends too soon).
 * libdeflate does not tell a truncated deflate stream from a corrupt one: both are
 * `Z_DATA_ERROR` "invalid compressed data (corrupt or truncated)".
 */
#ifndef IAMTRIM_NO_NAPI
#include <node_api.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include "vendor/libdeflate/libdeflate.h"

#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10
#define FRESERVED 0xe0

typedef struct {
  const char *message;
  const char *code;
} Failure;

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Skips a zero-terminated header field from *pos; 0 when the input ends first. */
static int skip_terminated(const uint8_t *in, size_t n, size_t *pos) {
  while (*pos < n) {
    if (in[(*pos)++] == 0) return 1;
  }
  return 0;
}

/*
 * Parses one member's header at *pos (moved past it). Returns NULL, or why the header is refused.
 */
static const Failure *member_header(const uint8_t *in, size_t n, size_t *pos) {
  static const Failure bad_header = {"incorrect header check", "Z_DATA_ERROR"};
  static const Failure bad_method = {"unknown compression method", "Z_DATA_ERROR"};
  static const Failure bad_flags = {"unknown header flags set", "Z_DATA_ERROR"};
  static const Failure bad_header_crc = {"header crc mismatch", "Z_DATA_ERROR"};
  static const Failure end = {"unexpected end of file", "Z_BUF_ERROR"};
  size_t start = *pos;
  if (n - start >= 1 && in[start] != 0x1f) return &bad_header;
  if (n - start >= 2 && in[start + 1] != 0x8b) return &bad_header;
  if (n - start >= 3 && in[start + 2] != 8) return &bad_method;
  if (n - start >= 4 && (in[start + 3] & FRESERVED) != 0) return &bad_flags;
  if (n - start < 10) return &end;
  uint8_t flags = in[start + 3];
  size_t p = start + 10;
  if (flags & FEXTRA) {
    if (n - p < 2) return &end;
    size_t extra = (size_t)in[p] | (size_t)in[p + 1] << 8;
    p += 2;
    if (n - p < extra) return &end;
    p += extra;
  }
  if ((flags & FNAME) && !skip_terminated(in, n, &p)) return &end;
  if ((flags & FCOMMENT) && !skip_terminated(in, n, &p)) return &end;
  if (flags & FHCRC) {
    if (n - p < 2) return &end;
    uint32_t crc = libdeflate_crc32(0, in + start, p - start) & 0xffff;
    if (crc != ((uint32_t)in[p] | (uint32_t)in[p + 1] << 8)) return &bad_header_crc;
    p += 2;
  }
  *pos = p;
  return NULL;
}

/*
 * Inflates every member of in[0..n) into out[0..cap). Returns the bytes written, -1 when out is
 * too small, or -2 with *failure set.
 */
static int64_t inflate_members(struct libdeflate_decompressor *d, const uint8_t *in, size_t n, uint8_t *out, size_t cap, const Failure **failure) {
  static const Failure bad_data = {"invalid compressed data (corrupt or truncated)", "Z_DATA_ERROR"};
  static const Failure bad_crc = {"incorrect data check", "Z_DATA_ERROR"};
  static const Failure bad_length = {"incorrect length check", "Z_DATA_ERROR"};
  static const Failure end = {"unexpected end of file", "Z_BUF_ERROR"};
  size_t pos = 0;
  size_t written = 0;
  do {
    const Failure *refused = member_header(in, n, &pos);
    if (refused != NULL) {
      *failure = refused;
      return -2;
    }
    size_t used = 0;
    size_t made = 0;
    enum libdeflate_result r = libdeflate_deflate_decompress_ex(d, in + pos, n - pos, out + written, cap - written, &used, &made);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return -1;
    if (r != LIBDEFLATE_SUCCESS) {
      *failure = &bad_data;
      return -2;
    }
    pos += used;
    if (n - pos < 8) {
      *failure = &end;
      return -2;
    }
    if (libdeflate_crc32(0, out + written, made) != le32(in + pos)) {
      *failure = &bad_crc;
      return -2;
    }
    if ((uint32_t)made != le32(in + pos + 4)) {
      *failure = &bad_length;
      return -2;
    }
    pos += 8;
    written += made;
    /* zlib (as Node runs it) stops at a zero byte after a member: padding, not another member. */
  } while (pos < n && in[pos] != 0);
  return (int64_t)written;
}

#ifndef IAMTRIM_NO_NAPI
static int typed_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, length, &p, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

napi_value iamtrim_gunzip(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "gunzip(input, output) takes two arguments");
    return NULL;
  }
  uint8_t *in, *out;
  size_t n, cap;
  if (!typed_bytes(env, argv[0], &in, &n) || !typed_bytes(env, argv[1], &out, &cap)) {
    napi_throw_type_error(env, NULL, "gunzip: input and output must be Uint8Arrays");
    return NULL;
  }
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  if (d == NULL) {
    napi_throw_error(env, NULL, "iamtrim native gunzip: out of memory");
    return NULL;
  }
  const Failure *failure = NULL;
  int64_t written = inflate_members(d, in, n, out, cap, &failure);
  libdeflate_free_decompressor(d);
  if (failure != NULL) {
    napi_throw_error(env, failure->code, failure->message);
    return NULL;
  }
  napi_value result;
  if (napi_create_double(env, (double)written, &result) != napi_ok) return NULL;
  return result;
}
#endif /* IAMTRIM_NO_NAPI */
