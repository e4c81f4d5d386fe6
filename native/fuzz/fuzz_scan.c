/*
 * libFuzzer harness for the record locator (native/scan.h and the scan-*.c it declares, all but
 * the N-API binding scan-napi.c), built with AddressSanitizer and
 * UndefinedBehaviorSanitizer by native/fuzz/run.sh (docs/fuzzing.md). The first input byte picks
 * the file shape (wrapped, array, lines), the rest is the file. Besides memory errors it checks:
 *
 * - strictness, against an independent RFC 8259 checker below: every text the walk accepts is
 *   valid JSON within the nesting limit, every text it refuses as "json" is invalid, and every
 *   invalid text is refused;
 * - the rows of an accepted file: record and field spans inside the input and in order, string
 *   ids below the string count, no more records than the limit.
 */
#include "../scan.h"

#include <stdio.h>

#define FUZZ_DEPTH 64
#define FUZZ_RECORDS 1000

/* The request-key members the scan lists (a sample of request-keys.json's, all three kinds). */
static const char NAMES[] = "0bucketName\n2key\n1tableName\n0requestItems\n2Key\n0Bucket\n1queueUrl\n0iamInstanceProfile\n";

static int ref_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* A string at s[*i] == '"'; 1 and *i past it when valid. */
static int ref_string(const uint8_t *s, size_t n, size_t *i) {
  size_t j = *i + 1;
  while (j < n) {
    uint8_t c = s[j];
    if (c == '"') {
      *i = j + 1;
      return 1;
    }
    if (c < 0x20) return 0;
    if (c != '\\') {
      j++;
      continue;
    }
    if (j + 1 >= n) return 0;
    uint8_t e = s[j + 1];
    if (e == 'u') {
      if (j + 5 >= n) return 0;
      for (size_t k = j + 2; k < j + 6; k++) {
        uint8_t h = s[k];
        if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return 0;
      }
      j += 6;
    } else if (strchr("\"\\/bfnrt", e) != NULL && e != 0) {
      j += 2;
    } else {
      return 0;
    }
  }
  return 0;
}

static size_t ref_digits(const uint8_t *s, size_t n, size_t j) {
  while (j < n && s[j] >= '0' && s[j] <= '9') j++;
  return j;
}

/* A number or literal at s[*i]; 1 and *i past it when valid. */
static int ref_scalar(const uint8_t *s, size_t n, size_t *i) {
  static const char *const words[] = {"true", "false", "null"};
  for (int w = 0; w < 3; w++) {
    size_t len = strlen(words[w]);
    if (n - *i >= len && memcmp(s + *i, words[w], len) == 0) {
      *i += len;
      return 1;
    }
  }
  size_t j = *i;
  if (j < n && s[j] == '-') j++;
  if (j >= n) return 0;
  if (s[j] == '0') j++;
  else if (s[j] >= '1' && s[j] <= '9') j = ref_digits(s, n, j);
  else return 0;
  if (j < n && s[j] == '.') {
    size_t k = ref_digits(s, n, j + 1);
    if (k == j + 1) return 0;
    j = k;
  }
  if (j < n && (s[j] == 'e' || s[j] == 'E')) {
    j++;
    if (j < n && (s[j] == '+' || s[j] == '-')) j++;
    size_t k = ref_digits(s, n, j);
    if (k == j) return 0;
    j = k;
  }
  *i = j;
  return 1;
}

/*
 * 1 when s[0, n) is one JSON value (`many`: one or more, whitespace between) after an optional
 * byte order mark; *deepest is the most containers open at once in what it read.
 */
static int ref_valid(const uint8_t *s, size_t n, int many, size_t *deepest) {
  enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, AFTER };
  uint8_t *stack = malloc(n + 1);
  size_t d = 0, i = 0, values = 0;
  int state = VALUE, ok = 0;
  *deepest = 0;
  if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) i = 3;
  for (;;) {
    while (i < n && ref_space(s[i])) i++;
    if (state == AFTER && d == 0) {
      values++;
      if (i == n || !many) {
        ok = i == n;
        break;
      }
      state = VALUE;
    }
    if (i == n) break;
    uint8_t c = s[i];
    if (state == VALUE_OR_CLOSE && c == ']') {
      d--;
      i++;
      state = AFTER;
      continue;
    }
    if (state == KEY_OR_CLOSE && c == '}') {
      d--;
      i++;
      state = AFTER;
      continue;
    }
    if (state == VALUE || state == VALUE_OR_CLOSE) {
      if (c == '{' || c == '[') {
        stack[d++] = c == '{' ? '}' : ']';
        if (d > *deepest) *deepest = d;
        i++;
        state = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
      } else if (c == '"') {
        if (!ref_string(s, n, &i)) break;
        state = AFTER;
      } else {
        if (!ref_scalar(s, n, &i)) break;
        state = AFTER;
      }
    } else if (state == KEY || state == KEY_OR_CLOSE) {
      if (c != '"' || !ref_string(s, n, &i)) break;
      while (i < n && ref_space(s[i])) i++;
      if (i >= n || s[i] != ':') break;
      i++;
      state = VALUE;
    } else {
      if (c == ',') {
        i++;
        state = stack[d - 1] == '}' ? KEY : VALUE;
      } else if (c == stack[d - 1]) {
        d--;
        i++;
      } else {
        break;
      }
    }
  }
  free(stack);
  return ok;
}

static void check(int condition, const char *what, const Scan *sc) {
  if (condition) return;
  fprintf(stderr, "fuzz_scan: %s (error %d \"%s\" at %zu)\n", what, sc->error, MESSAGES[sc->error], sc->error_at);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int shape = data[0] % 3;
  size_t n = size - 1;
  /* A copy of exactly the file's size, so a read past its end is a heap overflow ASan sees. */
  uint8_t *text = malloc(n == 0 ? 1 : n);
  memcpy(text, data + 1, n);
  char *names_text = malloc(sizeof NAMES);
  memcpy(names_text, NAMES, sizeof NAMES);
  static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  Scan sc;
  scan_run(&sc, names_text, text, n, shape, FUZZ_DEPTH, FUZZ_RECORDS, seed);
  check(sc.error != E_NO_MEMORY, "out of memory", &sc);
  size_t deepest;
  int valid = ref_valid(text, n, shape == SHAPE_LINES, &deepest);
  const char *code = CODES[sc.error];
  if (sc.error == E_NONE) {
    check(valid, "accepted invalid JSON", &sc);
    check(deepest <= FUZZ_DEPTH, "accepted nesting past the limit", &sc);
    check(sc.rows.len / STRIDE <= FUZZ_RECORDS, "more records than the limit", &sc);
    for (size_t k = 0; k < sc.rows.len / STRIDE; k++) {
      const int32_t *row = sc.rows.data + k * STRIDE;
      check(row[0] >= 0 && row[0] < row[1] && (size_t)row[1] <= n, "record span out of the input", &sc);
      for (int f = 0; f < F_COUNT; f++) {
        int32_t id = row[2 + 3 * f], start = row[3 + 3 * f], end = row[4 + 3 * f];
        if (id == ABSENT) continue;
        check(start >= row[0] && start < end && end <= row[1], "field span out of its record", &sc);
        check(id < 0 || (size_t)id < sc.strings.count, "string id past the strings", &sc);
      }
      check(sc.group_of.data[k] >= 0 && (size_t)sc.group_of.data[k] < sc.group_count, "group out of range", &sc);
    }
  } else if (strcmp(code, "json") == 0) {
    check(!valid, "refused valid JSON as invalid", &sc);
  } else if (strcmp(code, "depth") == 0) {
    check(!valid || deepest > FUZZ_DEPTH, "refused nesting within the limit", &sc);
  } else {
    check(strcmp(code, "memory") != 0, "out of memory", &sc);
  }
  if (!valid) check(sc.error != E_NONE, "accepted invalid JSON", &sc);
  scan_free(&sc);
  free(names_text);
  free(text);
  return 0;
}
