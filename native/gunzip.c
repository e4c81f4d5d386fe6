/*
 * Inflates a whole gzip file with libdeflate (vendored in vendor/libdeflate: ~1.8x Node's zlib on
 * CloudTrail files); scan-napi.c binds it as gunzip(input, output), which returns the bytes
 * written, or -1 when `output` is too small (the caller grows it and calls again: ISIZE is only a
 * hint).
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
#include "scan.h"
#include "vendor/libdeflate/libdeflate.h"

#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10
#define FRESERVED 0xe0

static const Failure BAD_HEADER = {"incorrect header check", "Z_DATA_ERROR"};
static const Failure BAD_METHOD = {"unknown compression method", "Z_DATA_ERROR"};
static const Failure BAD_FLAGS = {"unknown header flags set", "Z_DATA_ERROR"};
static const Failure BAD_HEADER_CRC = {"header crc mismatch", "Z_DATA_ERROR"};
static const Failure BAD_DATA = {"invalid compressed data (corrupt or truncated)", "Z_DATA_ERROR"};
static const Failure BAD_CRC = {"incorrect data check", "Z_DATA_ERROR"};
static const Failure BAD_LENGTH = {"incorrect length check", "Z_DATA_ERROR"};
static const Failure END = {"unexpected end of file", "Z_BUF_ERROR"};

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Skips a zero-terminated header field from *pos; 0 when the input ends first. */
static int skip_terminated(const uint8_t *in, size_t n, size_t *pos) {
  while (*pos < n) {
    if (in[(*pos)++] == 0) return 1;
  }
  return 0;
}

/* Parses one member's header at *pos (moved past it). Returns NULL, or why it is refused. */
static const Failure *member_header(const uint8_t *in, size_t n, size_t *pos) {
  size_t start = *pos;
  if (n - start >= 1 && in[start] != 0x1f) return &BAD_HEADER;
  if (n - start >= 2 && in[start + 1] != 0x8b) return &BAD_HEADER;
  if (n - start >= 3 && in[start + 2] != 8) return &BAD_METHOD;
  if (n - start >= 4 && (in[start + 3] & FRESERVED) != 0) return &BAD_FLAGS;
  if (n - start < 10) return &END;
  uint8_t flags = in[start + 3];
  size_t p = start + 10;
  if (flags & FEXTRA) {
    if (n - p < 2) return &END;
    size_t extra = (size_t)in[p] | (size_t)in[p + 1] << 8;
    p += 2;
    if (n - p < extra) return &END;
    p += extra;
  }
  if ((flags & FNAME) && !skip_terminated(in, n, &p)) return &END;
  if ((flags & FCOMMENT) && !skip_terminated(in, n, &p)) return &END;
  if (flags & FHCRC) {
    if (n - p < 2) return &END;
    uint32_t crc = libdeflate_crc32(0, in + start, p - start) & 0xffff;
    if (crc != ((uint32_t)in[p] | (uint32_t)in[p + 1] << 8)) return &BAD_HEADER_CRC;
    p += 2;
  }
  *pos = p;
  return NULL;
}

/* Checks one member's trailer at *pos (moved past it) against the `made` bytes it inflated to.
   Returns NULL, or why it is refused. */
static const Failure *member_trailer(const uint8_t *in, size_t n, size_t *pos, const uint8_t *made_at, size_t made) {
  if (n - *pos < 8) return &END;
  if (libdeflate_crc32(0, made_at, made) != le32(in + *pos)) return &BAD_CRC;
  if ((uint32_t)made != le32(in + *pos + 4)) return &BAD_LENGTH;
  *pos += 8;
  return NULL;
}

int64_t inflate_members(struct libdeflate_decompressor *d, const uint8_t *in, size_t n, uint8_t *out, size_t cap, const Failure **failure) {
  size_t pos = 0;
  size_t written = 0;
  do {
    const Failure *refused = member_header(in, n, &pos);
    size_t used = 0;
    size_t made = 0;
    if (refused == NULL) {
      enum libdeflate_result r = libdeflate_deflate_decompress_ex(d, in + pos, n - pos, out + written, cap - written, &used, &made);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return -1;
      pos += used;
      refused = r == LIBDEFLATE_SUCCESS ? member_trailer(in, n, &pos, out + written, made) : &BAD_DATA;
    }
    if (refused != NULL) {
      *failure = refused;
      return -2;
    }
    written += made;
    /* zlib (as Node runs it) stops at a zero byte after a member: padding, not another member. */
  } while (pos < n && in[pos] != 0);
  return (int64_t)written;
}
