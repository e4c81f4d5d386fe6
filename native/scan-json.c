/*
 * RFC 8259 strictness (scan.h): strings with their escapes, the number grammar and literals, whole
 * values skipped iteratively with the scan's own bracket stack, member names decoded where they
 * have an escape. Every failure is a longjmp to the scan's start (fail) with the error kind.
 */
#include "scan.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int hex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The value of the four hex digits at p (a `\u` escape's), or -1. */
static int hex4(const uint8_t *p) {
  int v = 0;
  for (int h = 0; h < 4; h++) {
    int x = hex(p[h]);
    if (x < 0) return -1;
    v = v * 16 + x;
  }
  return v;
}

/* RFC 8259's one-letter escapes, and the characters they stand for. */
static const char ESCAPES[] = "\"\\/bfnrt", ESCAPED[] = "\"\\/\b\f\n\r\t";

/* A byte that ends a run of plain string bytes: a quote, a backslash, a control character. */
static inline int string_special(uint8_t c) { return c == '"' || c == '\\' || c < 0x20; }

/*
 * i at an opening quote; the index after the closing quote. Fails on a raw control character
 * (U+0000 to U+001F) and on an escape RFC 8259 does not define (`\u` takes four hex digits; a
 * lone surrogate is accepted, as JSON.parse accepts it). Sets sc->plain when the string has no
 * escape.
 */
size_t skip_string(Scan *sc, size_t i) {
  const uint8_t *s = sc->s;
  const size_t n = sc->n;
  size_t j = i + 1;
  int plain = 1;
  for (;;) {
#if defined(__SSE2__)
    /* Most strings are plain: find the next quote, backslash or control byte 16 bytes at a time. */
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    while (j + 16 <= n) {
      __m128i v = _mm_loadu_si128((const __m128i *)(s + j));
      __m128i low = _mm_cmpeq_epi8(_mm_max_epu8(v, control), control); /* v <= 0x1f */
      unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), low));
      if (m != 0) {
        j += (size_t)__builtin_ctz(m);
        break;
      }
      j += 16;
    }
#endif
    while (j < n && !string_special(s[j])) j++;
    if (j >= n) fail(sc, E_UNTERMINATED_STRING, i);
    uint8_t c = s[j];
    if (c == '"') {
      sc->plain = plain;
      return j + 1;
    }
    if (c < 0x20) fail(sc, E_CONTROL_CHARACTER, j);
    plain = 0;
    if (j + 1 >= n) fail(sc, E_UNTERMINATED_STRING, i);
    uint8_t e = s[j + 1];
    if (e == 'u') {
      if (n - j < 6 || hex4(s + j + 2) < 0) fail(sc, E_BAD_ESCAPE, j);
      j += 6;
    } else if (e != 0 && strchr(ESCAPES, e) != NULL) {
      j += 2;
    } else {
      fail(sc, E_BAD_ESCAPE, j);
    }
  }
}

/* i at the first byte of a number, true, false or null: the index after it (RFC 8259's grammar:
   no NaN, no leading zero, no "1.", no "+1"; what may follow is the caller's to check). */
static size_t skip_scalar(Scan *sc, size_t i) {
  int c = at(sc, i);
  if (c == 't' || c == 'f' || c == 'n') {
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    size_t len = c == 'f' ? 5 : 4;
    if (sc->n - i >= len && memcmp(sc->s + i, word, len) == 0) return i + len;
    fail(sc, E_BAD_LITERAL, i);
  }
  size_t j = c == '-' ? i + 1 : i;
  if (at(sc, j) == '0') {
    j++;
  } else if (at(sc, j) >= '1' && at(sc, j) <= '9') {
    while (is_digit(at(sc, j))) j++;
  } else if (c < 0) {
    fail(sc, E_END_OF_INPUT, i);
  } else {
    fail(sc, c == '-' ? E_BAD_NUMBER : E_EXPECTED_VALUE, j);
  }
  if (at(sc, j) == '.') {
    j++;
    if (!is_digit(at(sc, j))) fail(sc, E_BAD_NUMBER, j);
    while (is_digit(at(sc, j))) j++;
  }
  if (at(sc, j) == 'e' || at(sc, j) == 'E') {
    j++;
    if (at(sc, j) == '+' || at(sc, j) == '-') j++;
    if (!is_digit(at(sc, j))) fail(sc, E_BAD_NUMBER, j);
    while (is_digit(at(sc, j))) j++;
  }
  return j;
}

/*
 * i at the first byte of a value: the index after it, the whole value checked against RFC 8259.
 * Iterative, with its own bracket stack: nesting is limited (max_depth open containers,
 * counting the sc->depth the walk is inside), never by the C stack.
 */
size_t skip_value(Scan *sc, size_t i) {
  Ints *open = &sc->closers; /* the closing brackets of the containers open in the value */
  const size_t limit = sc->max_depth > sc->depth ? sc->max_depth - sc->depth : 0;
  int c, closer;
  open->len = 0;
value:
  c = at(sc, i);
  if (c == '"') {
    i = skip_string(sc, i);
    goto after;
  }
  if (c == '{' || c == '[') {
    if (open->len >= limit) fail(sc, E_TOO_DEEP, i);
    closer = c == '{' ? '}' : ']';
    i = skip_space(sc, i + 1);
    if (at(sc, i) == closer) {
      i++;
      goto after;
    }
    push(sc, open, closer);
    if (c == '[') goto value;
    goto member;
  }
  i = skip_scalar(sc, i);
  goto after;
member:
  if (at(sc, i) != '"') fail(sc, i >= sc->n ? E_END_OF_INPUT : E_EXPECTED_MEMBER_NAME, i);
  i = skip_space(sc, skip_string(sc, i));
  if (at(sc, i) != ':') fail(sc, i >= sc->n ? E_END_OF_INPUT : E_EXPECTED_COLON, i);
  i = skip_space(sc, i + 1);
  goto value;
after:
  if (open->len == 0) return i;
  i = skip_space(sc, i);
  c = at(sc, i);
  closer = open->data[open->len - 1];
  if (c == ',') {
    i = skip_space(sc, i + 1);
    if (closer == '}') goto member;
    goto value;
  }
  if (c == closer) {
    open->len--;
    i++;
    goto after;
  }
  fail(sc, c < 0 ? E_END_OF_INPUT : closer == '}' ? E_EXPECTED_COMMA_BRACE : E_EXPECTED_COMMA_BRACKET, i);
}

/* The id of the member named key[0, len) in `lookup`, or NOT_READ. */
static int find_member(const Lookup *lookup, const uint8_t *key, size_t len) {
  int slot = len == 0 ? 0 : lookup->slot[key_slot(len, key)];
  if (slot == 0) return NOT_READ;
  if (slot > 0) {
    const Member *m = &lookup->names[slot - 1];
    return m->len == len && memcmp(m->name, key, len) == 0 ? m->id : NOT_READ;
  }
  for (const Member *m = lookup->names; m->name != NULL; m++) {
    if (m->len == len && memcmp(m->name, key, len) == 0) return m->id;
  }
  return NOT_READ;
}

/* The member id of the key token [start, end) (quotes included), or NOT_READ. A key with an
   escape is decoded (as JSON.parse would, failing where it would fail). */
int member_id(Scan *sc, const Lookup *lookup, size_t start, size_t end) {
  size_t len = end - start - 2;
  const uint8_t *key = sc->s + start + 1;
  if (sc->plain) return find_member(lookup, key, len);
  /* Decode into ASCII; any non-ASCII character makes it match no name (names are ASCII). */
  char decoded[64];
  size_t k = 0;
  int ascii = 1;
  for (size_t i = 0; i < len; i++) {
    int c = key[i];
    if (c < 0x20) goto bad;
    if (c == '\\') {
      if (++i >= len) goto bad;
      const char *simple = key[i] == 0 ? NULL : strchr(ESCAPES, key[i]);
      if (simple != NULL) {
        c = ESCAPED[simple - ESCAPES];
      } else if (key[i] == 'u' && i + 4 < len) { /* four hex digits, all inside the key */
        c = hex4(key + i + 1);
        if (c < 0) goto bad;
        i += 4;
      } else {
        goto bad;
      }
    }
    if (c >= 0x80) ascii = 0;
    else if (k < sizeof decoded) decoded[k++] = (char)c;
    else ascii = 0;
  }
  return ascii ? find_member(lookup, (const uint8_t *)decoded, k) : NOT_READ;
bad:
  sc->error_end = end;
  fail(sc, E_BAD_KEY, start);
}
