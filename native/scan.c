/*
 * iamtrim's native record locator: a single-pass walk of one file's JSON bytes that checks the
 * whole text against RFC 8259 (literals, numbers, strings, escapes, structure, nothing after the
 * document) and the CloudTrail shapes a scan reads (a delivery file's {"Records":[...]}, a JSON
 * array of records, JSON lines of record objects), and for each CloudTrail record returns where
 * the fields a usage scan reads start and end, giving each plain string value a per-file id, so
 * the JavaScript side decodes each distinct string once. For each distinct `requestParameters`
 * and `resources` value the walk lists where the members a scan reads are (the request-key
 * members, each resource's ARN); values with equal listings share an id (RAW - class), so the
 * JavaScript side reduces each class once without walking its bytes again. Records whose fields
 * but their time have equal ids share a group, so it attributes each group once. Everything else
 * (attribution, windows, call rows) stays in TypeScript.
 *
 * Strict by construction: any text JSON.parse refuses is refused here, and so are a duplicate
 * name among the members the walk reads (a second "Records", a record's second "userIdentity"),
 * nesting deeper than the caller's limit and more records than its limit. The caller has
 * checked that the bytes are UTF-8 (Node's isUtf8). A refused file is bad as a whole: no rows are
 * returned with the error. `test/strict-differential.test.ts` holds accept/reject and rows equal
 * to JSON.parse and the reference attribution on mutated files; `native/fuzz/` runs this file
 * under libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer (docs/fuzzing.md).
 *
 * Hashes of the bytes (string, span and class tables) are keyed with a per-process random seed
 * the caller passes, so keys an attacker chose to collide in one process do not in another.
 */
#ifndef IAMTRIM_NO_NAPI
#include <node_api.h>
#endif
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Fields, in output order; must match FIELDS in record-index.ts. */
enum {
  F_EVENT_TIME, F_TIMESTAMP, F_EVENT_TYPE, F_EVENT_SOURCE, F_EVENT_NAME, F_AWS_REGION,
  F_RECIPIENT_ACCOUNT_ID, F_EVENT_CATEGORY, F_ERROR_CODE, F_REQUEST_PARAMETERS, F_RESOURCES,
  F_ACCOUNT_ID, F_INVOKED_BY, F_ISSUER_TYPE, F_ISSUER_ARN, F_ISSUER_USER_NAME, F_COUNT
};
/* Per record: start, end, then (id, start, end) per field, then the span of its object key
   (KEY_AT: the requestParameters member whose bytes its class leaves out, see VALUE_KEY). */
#define KEY_AT (2 + 3 * F_COUNT)
#define STRIDE (KEY_AT + 2)
#define ABSENT (-1)
#define RAW (-2)

typedef struct { const char *name; int id; size_t len; } Member;

/* Record members; id < 0 marks a container walked for nested members. */
#define USER_IDENTITY (-10)
#define SESSION_CONTEXT (-11)
#define SESSION_ISSUER (-12)
#define RECORDS_ARRAY (-13)
static const Member RECORD_MEMBERS[] = {
  {"eventTime", F_EVENT_TIME, 9}, {"@timestamp", F_TIMESTAMP, 10}, {"eventType", F_EVENT_TYPE, 9},
  {"eventSource", F_EVENT_SOURCE, 11}, {"eventName", F_EVENT_NAME, 9}, {"awsRegion", F_AWS_REGION, 9},
  {"recipientAccountId", F_RECIPIENT_ACCOUNT_ID, 18}, {"eventCategory", F_EVENT_CATEGORY, 13},
  {"errorCode", F_ERROR_CODE, 9}, {"userIdentity", USER_IDENTITY, 12},
  {"requestParameters", F_REQUEST_PARAMETERS, 17}, {"resources", F_RESOURCES, 9}, {NULL, 0, 0}};
static const Member IDENTITY_MEMBERS[] = {
  {"accountId", F_ACCOUNT_ID, 9}, {"invokedBy", F_INVOKED_BY, 9}, {"sessionContext", SESSION_CONTEXT, 14}, {NULL, 0, 0}};
static const Member SESSION_MEMBERS[] = {{"sessionIssuer", SESSION_ISSUER, 13}, {NULL, 0, 0}};
static const Member ISSUER_MEMBERS[] = {
  {"type", F_ISSUER_TYPE, 4}, {"arn", F_ISSUER_ARN, 3}, {"userName", F_ISSUER_USER_NAME, 8}, {NULL, 0, 0}};
static const Member WRAPPER_MEMBERS[] = {{"Records", RECORDS_ARRAY, 7}, {NULL, 0, 0}};

/* A Member table with a 64-slot index by the key's length, first and last byte: the index of
   the one name in a slot plus 1, 0 for none, -1 for several (then the table is searched). */
typedef struct {
  const Member *names;
  int8_t slot[64];
} Lookup;

static inline unsigned key_slot(size_t len, const uint8_t *key) { return (unsigned)(len * 7 + key[0] * 3 + key[len - 1]) & 63; }

static void lookup_init(Lookup *l, const Member *names) {
  l->names = names;
  memset(l->slot, 0, sizeof l->slot);
  for (int i = 0; names[i].name != NULL; i++) {
    unsigned k = key_slot(names[i].len, (const uint8_t *)names[i].name);
    l->slot[k] = l->slot[k] == 0 ? (int8_t)(i + 1) : -1;
  }
}

/* Error kinds, and their messages (record-index.ts words the limits' and the duplicate's). */
enum {
  E_NONE, E_UNTERMINATED_STRING, E_END_OF_INPUT, E_EXPECTED_VALUE, E_EXPECTED_OBJECT,
  E_EXPECTED_MEMBER_NAME, E_EXPECTED_COLON, E_EXPECTED_COMMA_BRACE, E_EXPECTED_ARRAY,
  E_EXPECTED_COMMA_BRACKET, E_BAD_KEY, E_NO_MEMORY, E_CONTROL_CHARACTER, E_BAD_ESCAPE,
  E_BAD_LITERAL, E_BAD_NUMBER, E_TRAILING_TEXT, E_DUPLICATE_MEMBER, E_TOO_DEEP, E_TOO_MANY_RECORDS,
  E_NO_RECORDS, E_RECORDS_NOT_ARRAY, E_NOT_A_RECORD, E_NO_VALUE, E_EXPECTED_WRAPPER
};
static const char *const MESSAGES[] = {
  "", "unterminated string", "unexpected end of input", "expected a value", "expected an object",
  "expected a member name", "expected \":\"", "expected \",\" or \"}\"", "expected a JSON array of records",
  "expected \",\" or \"]\"", "bad key", "out of memory", "raw control character in a string",
  "invalid escape in a string", "invalid literal (JSON has only true, false and null)", "invalid number",
  "text after the end of the JSON document", "duplicate member name", "nesting too deep", "too many records",
  "no \"Records\" array: not a CloudTrail delivery file", "\"Records\" is not an array",
  "a JSON lines file holds a value that is not a record object", "no JSON value",
  "expected the {\"Records\":[...]} object of a CloudTrail delivery file"};
/* The error codes record-index.ts tells apart (the limits are worded there). */
static const char *const CODES[] = {
  "", "json", "json", "json", "json", "json", "json", "json", "shape", "json", "json", "memory", "json", "json",
  "json", "json", "json", "duplicate", "depth", "records", "shape", "shape", "shape", "json", "shape"};

typedef struct {
  uint32_t hash;
  int32_t id; /* -1: empty */
  size_t start, len;
} Slot;

/* An open-addressing table of byte spans: equal bytes, equal id (numbered from 0 per file). */
typedef struct {
  Slot *slots;
  size_t mask, count;
} Table;

/* A growable list of ints. */
typedef struct {
  int32_t *data;
  size_t len, cap;
} Ints;

/* Member names given by the caller (the request-key members): sorted by length, with where
   each length starts, so a key is compared with the names of its length only. */
#define LONGEST_NAME 64
typedef struct {
  Member *names;
  size_t count;
  size_t from[LONGEST_NAME + 2];
  /* By id: 1 when every key reads the member as a scalar (an object or array there gives none). */
  uint8_t *scalar;
  /* By id: 1 for a member read only as the S3 object key (see VALUE_KEY). */
  uint8_t *object_key;
} Names;

/* A growable byte string. */
typedef struct {
  uint8_t *data;
  size_t len, cap;
} Bytes;

/* Where the members a scan reads are, per class n of requestParameters or resources values:
   `at[n]` indexes `parts` (see list_params, list_resources and classify). */
typedef struct {
  Ints parts, at;
} Reduced;

typedef struct {
  const uint8_t *s;
  size_t n;
  jmp_buf fail;
  /* The member tables the walk reads. */
  Lookup record_members, identity_members, session_members, issuer_members, wrapper_members;
  int error;
  size_t error_at, error_end;
  /* Output rows. */
  int32_t *rows;
  size_t row_count, row_cap;
  int32_t *row; /* the record being filled */
  /* Interned strings: tokens (quotes excluded) by hash. */
  Table strings;
  size_t *tokens; /* id -> start, len pairs */
  size_t token_cap;
  /* The raw values of requestParameters and of resources by their bytes (span ids), each span's
     class (values whose listings are equal), the classes by their listings' canonical bytes, and
     each class's listing. */
  Table params, resources;
  Ints param_class, resource_class;
  Table param_classes, resource_classes;
  Bytes canon;
  Reduced params_reduced, resources_reduced;
  /* Per requestParameters span id: its object key's offset from the value's start and length,
     or -1, -1 (see VALUE_KEY). */
  Ints param_key;
  /* Per resources span id: -1 (no S3 object ARN), or where its object ARNs' suffixes are listed
     in `suffixes` (a count, then offset and length pairs); and its class with every listed
     value's bytes, computed when a record's suffixes are not its key (-1 until then). */
  Ints resource_suffixes, suffixes, resource_exact, resource_span;
  /* The current record's requestParameters and resources span ids (-1: none). */
  int32_t record_params, record_resources;
  const Names *param_names;
  /* Records by their grouping fields (see group_record): record -> group. */
  Table groups;
  Ints group_of;
  size_t group_count;
  /* Whether the string skip_string last skipped has no backslash. */
  int plain;
  /* Bracket stack for skip_value. */
  uint8_t *closers;
  size_t closer_cap;
  /* Limits: open containers (objects and arrays) at once, records per file. */
  size_t max_depth, max_records;
  /* Containers the walk is inside (skip_value counts from here). */
  size_t depth;
  /* Whether the wrapper object had a Records member. */
  int records_found;
  /* The hash key (hash_span, group_record). */
  uint64_t k0, k1;
} Scan;

static _Noreturn void fail(Scan *sc, int error, size_t at) {
  sc->error = error;
  sc->error_at = at;
  longjmp(sc->fail, 1);
}

static inline int at(const Scan *sc, size_t i) { return i < sc->n ? sc->s[i] : -1; }
static inline int is_space(int c) { return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09; }
static inline int is_digit(int c) { return c >= '0' && c <= '9'; }
static inline size_t skip_space(const Scan *sc, size_t i) {
  while (i < sc->n && is_space(sc->s[i])) i++;
  return i;
}
static int hex(int c);

/* A byte that ends a run of plain string bytes: a quote, a backslash, a control character. */
static inline int string_special(uint8_t c) { return c == '"' || c == '\\' || c < 0x20; }

/*
 * i at an opening quote; the index after the closing quote. Fails on a raw control character
 * (U+0000 to U+001F) and on an escape RFC 8259 does not define (`\u` takes four hex digits; a
 * lone surrogate is accepted, as JSON.parse accepts it). Sets sc->plain when the string has no
 * escape.
 */
static size_t skip_string(Scan *sc, size_t i) {
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
      if (n - j < 6) fail(sc, E_BAD_ESCAPE, j);
      for (size_t h = 2; h < 6; h++) {
        if (hex(s[j + h]) < 0) fail(sc, E_BAD_ESCAPE, j);
      }
      j += 6;
    } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
      j += 2;
    } else {
      fail(sc, E_BAD_ESCAPE, j);
    }
  }
}

static void push_closer(Scan *sc, size_t *depth, uint8_t closer) {
  if (*depth == sc->closer_cap) {
    size_t cap = sc->closer_cap * 2;
    uint8_t *grown = realloc(sc->closers, cap);
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    sc->closers = grown;
    sc->closer_cap = cap;
  }
  sc->closers[(*depth)++] = closer;
}

/* i at the first byte of a number, true, false or null: the index after it (RFC 8259's grammar:
   no NaN, no leading zero, no "1.", no "+1"; what may follow is the caller's to check). */
static size_t skip_scalar(Scan *sc, size_t i) {
  const uint8_t *s = sc->s;
  const size_t n = sc->n;
  int c = at(sc, i);
  if (c == 't' || c == 'f' || c == 'n') {
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    size_t len = c == 'f' ? 5 : 4;
    if (n - i >= len && memcmp(s + i, word, len) == 0) return i + len;
    fail(sc, E_BAD_LITERAL, i);
  }
  size_t j = i;
  if (c == '-') j++;
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
static size_t skip_value(Scan *sc, size_t i) {
  size_t depth = 0;
  const size_t limit = sc->max_depth > sc->depth ? sc->max_depth - sc->depth : 0;
  int c;
value:
  c = at(sc, i);
  if (c == '"') {
    i = skip_string(sc, i);
    goto after;
  }
  if (c == '{' || c == '[') {
    if (depth >= limit) fail(sc, E_TOO_DEEP, i);
    uint8_t closer = c == '{' ? '}' : ']';
    push_closer(sc, &depth, closer);
    i = skip_space(sc, i + 1);
    if (at(sc, i) == closer) {
      depth--;
      i++;
      goto after;
    }
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
  if (depth == 0) return i;
  i = skip_space(sc, i);
  c = at(sc, i);
  if (c == ',') {
    i = skip_space(sc, i + 1);
    if (sc->closers[depth - 1] == '}') goto member;
    goto value;
  }
  if (c == sc->closers[depth - 1]) {
    depth--;
    i++;
    goto after;
  }
  fail(sc, c < 0 ? E_END_OF_INPUT : sc->closers[depth - 1] == '}' ? E_EXPECTED_COMMA_BRACE : E_EXPECTED_COMMA_BRACKET, i);
}

/*
 * skip_value inside a value skip_value has already passed (so it cannot fail): the index after
 * the value at i.
 */
static size_t skip_listed(Scan *sc, size_t i) { return skip_value(sc, i); }

static int hex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The member id of the key token [start, end) (quotes included), or 0 with *found = 0. A key
   with an escape is decoded (as JSON.parse would, failing where it would fail). */
static int member_id(Scan *sc, const Lookup *lookup, size_t start, size_t end, int *found) {
  const uint8_t *s = sc->s;
  const Member *names = lookup->names;
  size_t len = end - start - 2;
  const uint8_t *key = s + start + 1;
  if (sc->plain) {
    int slot = len == 0 ? 0 : lookup->slot[key_slot(len, key)];
    if (slot > 0) {
      const Member *m = &names[slot - 1];
      *found = m->len == len && memcmp(m->name, key, len) == 0;
      return *found ? m->id : 0;
    }
    if (slot == 0) {
      *found = 0;
      return 0;
    }
    for (const Member *m = names; m->name != NULL; m++) {
      if (m->len == len && m->name[0] == key[0] && memcmp(m->name, key, len) == 0) {
        *found = 1;
        return m->id;
      }
    }
    *found = 0;
    return 0;
  }
  /* Decode into ASCII; any non-ASCII character makes it match no name (names are ASCII). */
  char decoded[64];
  size_t k = 0;
  int ascii = 1;
  for (size_t i = 0; i < len; i++) {
    int c = key[i];
    if (c < 0x20) goto bad;
    if (c == '\\') {
      if (++i >= len) goto bad;
      int e = key[i];
      switch (e) {
        case '"': case '\\': case '/': c = e; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
          if (i + 4 >= len) goto bad; /* four hex digits, all inside the key */
          int v = 0;
          for (int h = 1; h <= 4; h++) {
            int x = hex(key[i + h]);
            if (x < 0) goto bad;
            v = v * 16 + x;
          }
          i += 4;
          c = v;
          break;
        }
        default: goto bad;
      }
    }
    if (c >= 0x80) ascii = 0;
    else if (k < sizeof decoded) decoded[k++] = (char)c;
    else ascii = 0;
  }
  if (ascii) {
    for (const Member *m = names; m->name != NULL; m++) {
      if (m->len == k && memcmp(m->name, decoded, k) == 0) {
        *found = 1;
        return m->id;
      }
    }
  }
  *found = 0;
  return 0;
bad:
  sc->error_end = end;
  fail(sc, E_BAD_KEY, start);
  return 0;
}

/* The high and low halves of a 64x64-bit product folded together (wyhash's mum). */
static inline uint64_t mum(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
  uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
  uint64_t hi = ha * hb, mid1 = ha * lb, mid2 = la * hb, lo = la * lb;
  uint64_t t = lo + (mid1 << 32);
  uint64_t carry = t < lo;
  uint64_t low = t + (mid2 << 32);
  carry += low < t;
  hi += (mid1 >> 32) + (mid2 >> 32) + carry;
  return low ^ hi;
#endif
}

/*
 * A hash of a byte span, 8 bytes a step, keyed by the scan's per-process seed (k0, k1): keys
 * chosen to collide offline do not collide here, and a table's probe runs stay short whatever
 * the bytes an attacker wrote into a record.
 */
static uint32_t hash_span(const Scan *sc, const uint8_t *p, size_t len) {
  uint64_t h = sc->k0 ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = mum(w ^ sc->k1, h ^ 0x9E3779B97F4A7C15ull);
  }
  uint64_t w = 0;
  memcpy(&w, p + i, len - i);
  h = mum(w ^ sc->k1 ^ ((uint64_t)(len - i) << 59), h ^ sc->k0 ^ 0xC4CEB9FE1A85EC53ull);
  return (uint32_t)(h ^ (h >> 32));
}

static int table_init(Table *t) {
  t->mask = 1023;
  t->count = 0;
  t->slots = malloc((t->mask + 1) * sizeof(Slot));
  if (t->slots == NULL) return 0;
  for (size_t i = 0; i <= t->mask; i++) t->slots[i].id = -1;
  return 1;
}

static void grow_table(Scan *sc, Table *t) {
  size_t cap = (t->mask + 1) * 2;
  Slot *slots = malloc(cap * sizeof(Slot));
  if (slots == NULL) fail(sc, E_NO_MEMORY, 0);
  for (size_t i = 0; i < cap; i++) slots[i].id = -1;
  for (size_t i = 0; i <= t->mask; i++) {
    Slot *old = &t->slots[i];
    if (old->id < 0) continue;
    size_t k = old->hash & (cap - 1);
    while (slots[k].id >= 0) k = (k + 1) & (cap - 1);
    slots[k] = *old;
  }
  free(t->slots);
  t->slots = slots;
  t->mask = cap - 1;
}

/* The id of the bytes base[start, start + len) in `t` (hash `h`), all of whose entries are in
   `base`; *fresh is set when it is new. */
static int32_t table_id(Scan *sc, Table *t, const uint8_t *base, uint32_t h, size_t start, size_t len, int *fresh) {
  const uint8_t *p = base + start;
  size_t k = h & t->mask;
  for (;;) {
    Slot *slot = &t->slots[k];
    if (slot->id < 0) break;
    if (slot->hash == h && slot->len == len && memcmp(base + slot->start, p, len) == 0) {
      *fresh = 0;
      return slot->id;
    }
    k = (k + 1) & t->mask;
  }
  int32_t id = (int32_t)t->count++;
  Slot *slot = &t->slots[k];
  slot->hash = h;
  slot->id = id;
  slot->start = start;
  slot->len = len;
  if (t->count * 2 > t->mask + 1) grow_table(sc, t);
  *fresh = 1;
  return id;
}

/* The id of the string content [start, start + len), new ids numbered from 0 per file. */
static int32_t intern(Scan *sc, size_t start, size_t len) {
  int fresh;
  int32_t id = table_id(sc, &sc->strings, sc->s, hash_span(sc, sc->s + start, len), start, len, &fresh);
  if (!fresh) return id;
  if ((size_t)id == sc->token_cap) {
    size_t cap = sc->token_cap * 2;
    size_t *grown = realloc(sc->tokens, cap * 2 * sizeof(size_t));
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    sc->tokens = grown;
    sc->token_cap = cap;
  }
  sc->tokens[2 * id] = start;
  sc->tokens[2 * id + 1] = len;
  return id;
}

static void push(Scan *sc, Ints *list, int32_t value) {
  if (list->len == list->cap) {
    size_t cap = list->cap == 0 ? 1024 : list->cap * 2;
    int32_t *grown = realloc(list->data, cap * sizeof(int32_t));
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    list->data = grown;
    list->cap = cap;
  }
  list->data[list->len++] = value;
}

/* The id of the plain key token [start, end) (quotes included) in `names`, or -1. */
static int name_id(const Scan *sc, const Names *names, size_t start, size_t end) {
  size_t len = end - start - 2;
  if (len > LONGEST_NAME) return -1;
  const uint8_t *key = sc->s + start + 1;
  for (size_t k = names->from[len]; k < names->from[len + 1]; k++) {
    if (names->names[k].name[0] == key[0] && memcmp(names->names[k].name, key, len) == 0) return names->names[k].id;
  }
  return -1;
}

/* How a listed value reads (the fourth int of its entry). */
#define VALUE_JSON 0  /* decode its bytes */
#define VALUE_PLAIN 1 /* a string without escapes: its bytes between the quotes */
#define VALUE_INERT 2 /* gives nothing, whatever its bytes: read as null */
/* A string without escapes, the only member read as the S3 object key: the class leaves its bytes
   out, so requests that differ only in the object read share it; each record's own key is at
   KEY_AT in its row. */
#define VALUE_KEY 3
/* A string without escapes, an S3 object ARN (`arn:<partition>:s3:::<bucket>/<key>`) whose key
   is the record's object key (VALUE_KEY): the class keeps only its `arn:...:s3:::<bucket>/` head.
   A record whose object ARNs are not its key's gets the class with every value's bytes. */
#define VALUE_OBJECT 4

/* A member value [start, end) as listed, just skipped (so sc->plain is its own if a string):
   which member, where, and how it reads. `inert`: the value gives nothing (see list_members). */
static void push_value(Scan *sc, Ints *parts, int32_t which, size_t start, size_t end, int inert) {
  int plain = sc->s[start] == '"' && sc->plain;
  push(sc, parts, which);
  push(sc, parts, (int32_t)start);
  push(sc, parts, (int32_t)end);
  push(sc, parts, inert ? VALUE_INERT : plain ? VALUE_PLAIN : VALUE_JSON);
}

/* Whether a listed value gives nothing to what the scan reads from it: null (no key reads null);
   for a request-key member read only as a scalar, an object or array; for ARN or arn, anything
   but a non-empty string. Such values share a class whatever their bytes. */
static int inert(const Scan *sc, const Names *names, int arn, int id, size_t start, size_t end) {
  uint8_t c = sc->s[start];
  if (arn) return c != '"' || end - start == 2;
  if (end - start == 4 && memcmp(sc->s + start, "null", 4) == 0) return 1;
  return (c == '{' || c == '[') && names->scalar[id];
}

/*
 * Lists the members of the object at i that `names` holds, into parts: their count m, then
 * (name id, value start, value end, plain) per member in document order, duplicates included (a
 * decoder assigns them in order, so the last wins as in JSON.parse). Returns 0 when a member name
 * has an escape or the object's syntax is broken: the caller then marks the value unlisted, and
 * the scan decodes its bytes (and reports what is wrong) as it did before values were listed.
 */
static int list_members(Scan *sc, Ints *parts, size_t i, const Names *names, int arn) {
  size_t count_at = parts->len;
  push(sc, parts, 0);
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) == '}') return 1;
  for (;;) {
    if (at(sc, j) != '"') return 0;
    size_t key_end = skip_string(sc, j);
    if (!sc->plain) return 0; /* an escape in the member name */
    int id;
    if (arn) {
      size_t len = key_end - j - 2;
      id = len == 3 && memcmp(sc->s + j + 1, "ARN", 3) == 0 ? 0 : len == 3 && memcmp(sc->s + j + 1, "arn", 3) == 0 ? 1 : -1;
    } else {
      id = name_id(sc, names, j, key_end);
    }
    j = skip_space(sc, key_end);
    if (at(sc, j) != ':') return 0;
    size_t start = skip_space(sc, j + 1);
    size_t end = skip_listed(sc, start);
    if (end == 0) return 0;
    if (id >= 0) {
      push_value(sc, parts, id, start, end, inert(sc, names, arn, id, start, end));
      parts->data[count_at]++;
    }
    j = skip_space(sc, end);
    if (at(sc, j) == '}') return 1;
    if (at(sc, j) != ',') return 0;
    j = skip_space(sc, j + 1);
  }
}

/* Lists requestParameters value [start, ...) at the end of parts: -1 (not an object, an escaped
   member name or broken syntax: decode the bytes), or the request-key members as list_members
   gives them. */
static void list_params(Scan *sc, size_t start) {
  Ints *parts = &sc->params_reduced.parts;
  size_t mark = parts->len;
  if (sc->s[start] == '{' && list_members(sc, parts, start, sc->param_names, 0)) return;
  parts->len = mark;
  push(sc, parts, -1);
}

/* Lists resources value [start, ...) at the end of parts: -1 (not an array, an escaped member
   name, broken syntax), or the element count e, then per element -1 (not an object) or its ARN
   and arn members (ids 0, 1) as list_members gives them. */
static void list_resources(Scan *sc, size_t start) {
  Ints *parts = &sc->resources_reduced.parts;
  size_t mark = parts->len;
  if (sc->s[start] == '[') {
    push(sc, parts, 0);
    size_t j = skip_space(sc, start + 1);
    int ok = 1;
    if (at(sc, j) != ']') {
      for (;;) {
        size_t end = skip_listed(sc, j);
        if (end == 0) {
          ok = 0;
          break;
        }
        parts->data[mark]++;
        if (sc->s[j] != '{') push(sc, parts, -1);
        else if (!list_members(sc, parts, j, NULL, 1)) {
          ok = 0;
          break;
        }
        j = skip_space(sc, end);
        if (at(sc, j) == ']') break;
        if (at(sc, j) != ',') {
          ok = 0;
          break;
        }
        j = skip_space(sc, j + 1);
      }
    }
    if (ok) return;
  }
  parts->len = mark;
  push(sc, parts, -1);
}

static void put(Scan *sc, const void *p, size_t len) {
  Bytes *b = &sc->canon;
  if (b->len + len > b->cap) {
    size_t cap = b->cap == 0 ? 65536 : b->cap;
    while (cap < b->len + len) cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
}

static void put_int(Scan *sc, int32_t value) { put(sc, &value, sizeof value); }

/* The length of the `arn:<partition>:s3:::<bucket>/` head of the string p[0, len), or 0 when it
   has none (fold.ts's objectArnHead: /^arn:[^:]+:s3:::[^/]+\//). */
static size_t object_arn_head(const uint8_t *p, size_t len) {
  if (len < 4 || memcmp(p, "arn:", 4) != 0) return 0;
  size_t i = 4;
  while (i < len && p[i] != ':') i++;
  if (i == 4 || len - i < 6 || memcmp(p + i, ":s3:::", 6) != 0) return 0;
  size_t bucket = i + 6, j = bucket;
  while (j < len && p[j] != '/') j++;
  return j == bucket || j == len ? 0 : j + 1;
}

/* Marks the object key of the request parameters listed at parts[mark..] (VALUE_KEY): the one
   member read as the S3 object key, when there is exactly one and it is a plain string. Its
   offset from `start` and length go to param_key. */
static void mark_object_key(Scan *sc, size_t mark, size_t start) {
  int32_t *parts = sc->params_reduced.parts.data;
  int32_t m = parts[mark];
  size_t key = 0;
  int found = 0;
  for (int32_t e = 0; e < m; e++) {
    size_t k = mark + 1 + 4 * (size_t)e;
    if (!sc->param_names->object_key[parts[k]]) continue;
    found++;
    key = k;
  }
  if (found == 1 && parts[key + 3] == VALUE_PLAIN) {
    parts[key + 3] = VALUE_KEY;
    push(sc, &sc->param_key, parts[key + 1] - (int32_t)start);
    push(sc, &sc->param_key, parts[key + 2] - parts[key + 1]);
  } else {
    push(sc, &sc->param_key, -1);
    push(sc, &sc->param_key, -1);
  }
}

/* Marks the S3 object ARNs of the resources listed at parts[mark..] (VALUE_OBJECT) and lists
   their key suffixes (offsets from `start`) in resource_suffixes. */
static void mark_object_arns(Scan *sc, size_t mark, size_t start) {
  int32_t *parts = sc->resources_reduced.parts.data;
  size_t k = mark;
  int32_t elements = parts[k++];
  size_t from = sc->suffixes.len;
  for (int32_t e = 0; e < elements; e++) {
    int32_t m = parts[k++];
    for (; m > 0; m--, k += 4) {
      if (parts[k + 3] != VALUE_PLAIN) continue;
      size_t head = object_arn_head(sc->s + parts[k + 1] + 1, (size_t)(parts[k + 2] - parts[k + 1]) - 2);
      if (head == 0) continue;
      parts[k + 3] = VALUE_OBJECT;
      if (sc->suffixes.len == from) push(sc, &sc->suffixes, 0);
      sc->suffixes.data[from]++;
      push(sc, &sc->suffixes, parts[k + 1] + 1 + (int32_t)head - (int32_t)start);
      push(sc, &sc->suffixes, parts[k + 2] - 1 - (parts[k + 1] + 1 + (int32_t)head));
    }
  }
  push(sc, &sc->resource_suffixes, sc->suffixes.len == from ? -1 : (int32_t)from);
}

/* Appends the m listed values at parts[k..] as (id, length, bytes); returns the index after them. */
static size_t put_values(Scan *sc, const int32_t *parts, size_t k, int32_t m) {
  for (; m > 0; m--, k += 4) {
    put_int(sc, parts[k]);
    if (parts[k + 3] == VALUE_INERT || parts[k + 3] == VALUE_KEY) {
      put_int(sc, parts[k + 3] == VALUE_INERT ? -1 : -2);
      continue;
    }
    size_t len = (size_t)(parts[k + 2] - parts[k + 1]);
    if (parts[k + 3] == VALUE_OBJECT) {
      len = object_arn_head(sc->s + parts[k + 1] + 1, len - 2);
      put_int(sc, -3);
      put_int(sc, (int32_t)len);
      put(sc, sc->s + parts[k + 1] + 1, len);
      continue;
    }
    put_int(sc, (int32_t)len);
    put(sc, sc->s + parts[k + 1], len);
  }
  return k;
}

/*
 * The class of the value [start, end) just listed at parts[mark..]: values whose listings hold the
 * same members with the same bytes in the same order share a class (the scan reduces them alike);
 * an unlisted value is its own class. A new class keeps its listing (at[class] = mark); a known
 * one drops it.
 */
static int32_t classify(Scan *sc, Reduced *r, Table *classes, int resources, size_t mark, size_t start, size_t end) {
  size_t from = sc->canon.len;
  const int32_t *parts = r->parts.data;
  size_t k = mark;
  int32_t head = parts[k++];
  put_int(sc, head);
  if (head < 0) {
    put(sc, sc->s + start, end - start);
  } else if (!resources) {
    put_values(sc, parts, k, head);
  } else {
    for (int32_t e = 0; e < head; e++) {
      int32_t m = parts[k++];
      put_int(sc, m);
      if (m > 0) k = put_values(sc, parts, k, m);
    }
  }
  size_t len = sc->canon.len - from;
  int fresh;
  int32_t id = table_id(sc, classes, sc->canon.data, hash_span(sc, sc->canon.data + from, len), from, len, &fresh);
  if (fresh) {
    push(sc, &r->at, (int32_t)mark);
  } else {
    r->parts.len = mark;
    sc->canon.len = from;
  }
  return id;
}

/* The id (RAW - class) of the requestParameters or resources value [start, end). */
static int32_t reduced_id(Scan *sc, int params, size_t start, size_t end) {
  Table *spans = params ? &sc->params : &sc->resources;
  Ints *class_of = params ? &sc->param_class : &sc->resource_class;
  int fresh;
  int32_t n = table_id(sc, spans, sc->s, hash_span(sc, sc->s + start, end - start), start, end - start, &fresh);
  if (params) sc->record_params = n;
  else sc->record_resources = n;
  if (!fresh) return RAW - class_of->data[n];
  Reduced *r = params ? &sc->params_reduced : &sc->resources_reduced;
  size_t mark = r->parts.len;
  if (params) {
    list_params(sc, start);
    if (r->parts.data[mark] >= 0) mark_object_key(sc, mark, start);
    else {
      push(sc, &sc->param_key, -1);
      push(sc, &sc->param_key, -1);
    }
  } else {
    list_resources(sc, start);
    if (r->parts.data[mark] >= 0) mark_object_arns(sc, mark, start);
    else push(sc, &sc->resource_suffixes, -1);
    push(sc, &sc->resource_exact, -1);
    push(sc, &sc->resource_span, (int32_t)start);
    push(sc, &sc->resource_span, (int32_t)end);
  }
  int32_t cls = classify(sc, r, params ? &sc->param_classes : &sc->resource_classes, !params, mark, start, end);
  push(sc, class_of, cls);
  return RAW - cls;
}

/* The class of resources span n with every listed value's bytes (no VALUE_OBJECT), for a record
   whose object ARNs are not its object key's. */
static int32_t exact_resources_class(Scan *sc, int32_t n) {
  if (sc->resource_exact.data[n] >= 0) return sc->resource_exact.data[n];
  /* Listed again from the span's first bytes, this time without VALUE_OBJECT. */
  size_t start = (size_t)sc->resource_span.data[2 * n], end = (size_t)sc->resource_span.data[2 * n + 1];
  Reduced *r = &sc->resources_reduced;
  size_t mark = r->parts.len;
  list_resources(sc, start);
  int32_t cls = classify(sc, r, &sc->resource_classes, 1, mark, start, end);
  sc->resource_exact.data[n] = cls;
  return cls;
}

/*
 * Settles the current record's object key: its span goes to KEY_AT when its requestParameters
 * have one (VALUE_KEY), and its resources keep their class (VALUE_OBJECT) only when every object
 * ARN's suffix is that key; otherwise they take the class with every value's bytes.
 */
static void settle_object_key(Scan *sc) {
  int32_t *row = sc->row;
  size_t key_start = 0, key_len = 0;
  int keyed = 0;
  if (sc->record_params >= 0 && sc->param_key.data[2 * sc->record_params] >= 0) {
    key_start = (size_t)row[3 + 3 * F_REQUEST_PARAMETERS] + (size_t)sc->param_key.data[2 * sc->record_params];
    key_len = (size_t)sc->param_key.data[2 * sc->record_params + 1];
    row[KEY_AT] = (int32_t)key_start;
    row[KEY_AT + 1] = (int32_t)(key_start + key_len);
    keyed = 1;
  }
  if (sc->record_resources < 0) return;
  int32_t from = sc->resource_suffixes.data[sc->record_resources];
  if (from < 0) return;
  int ok = keyed;
  const int32_t *suffixes = sc->suffixes.data + from;
  size_t base = (size_t)row[3 + 3 * F_RESOURCES];
  /* The key's bytes between its quotes, against each suffix (which excludes the closing quote). */
  for (int32_t i = 0; i < suffixes[0] && ok; i++) {
    size_t off = (size_t)suffixes[1 + 2 * i], len = (size_t)suffixes[2 + 2 * i];
    ok = len == key_len - 2 && memcmp(sc->s + base + off, sc->s + key_start + 1, len) == 0;
  }
  if (!ok) row[2 + 3 * F_RESOURCES] = RAW - exact_resources_class(sc, sc->record_resources);
}

/* The fields a record's group is keyed on: all but its time. */
#define FIRST_GROUP_FIELD F_EVENT_TYPE

/*
 * Gives record k a group: records whose fields other than eventTime and @timestamp have equal
 * ids share one (groups numbered from 0 in order of first record). A record with another field
 * that is not a plain string (its id is RAW whatever the value) is a group of its own.
 */
static void group_record(Scan *sc, size_t k) {
  const int32_t *row = sc->rows + k * STRIDE;
  uint64_t h = sc->k0;
  int alone = 0;
  for (int f = FIRST_GROUP_FIELD; f < F_COUNT; f++) {
    int32_t id = row[2 + 3 * f];
    if (id <= RAW && f != F_REQUEST_PARAMETERS && f != F_RESOURCES) alone = 1;
    h = mum(h ^ (uint32_t)id, sc->k1 ^ 0xFF51AFD7ED558CCDull);
  }
  int32_t group = (int32_t)sc->group_count;
  if (!alone) {
    Table *t = &sc->groups;
    uint32_t hash = (uint32_t)(h ^ (h >> 32));
    size_t i = hash & t->mask;
    for (;;) {
      Slot *slot = &t->slots[i];
      if (slot->id < 0) break;
      if (slot->hash == hash) {
        const int32_t *other = sc->rows + slot->start * STRIDE;
        int f = FIRST_GROUP_FIELD;
        while (f < F_COUNT && other[2 + 3 * f] == row[2 + 3 * f]) f++;
        if (f == F_COUNT) {
          push(sc, &sc->group_of, slot->id);
          return;
        }
      }
      i = (i + 1) & t->mask;
    }
    Slot *slot = &t->slots[i];
    slot->hash = hash;
    slot->id = group;
    slot->start = k;
    slot->len = 0;
    if (++t->count * 2 > t->mask + 1) grow_table(sc, t);
  }
  sc->group_count++;
  push(sc, &sc->group_of, group);
}

/* Records field `field` of the current record as the value at `start`; returns its end. */
static size_t take(Scan *sc, int field, size_t start) {
  size_t end = skip_value(sc, start);
  int32_t *slot = sc->row + 2 + 3 * field;
  int32_t id = RAW;
  if (field == F_REQUEST_PARAMETERS || field == F_RESOURCES) {
    /* Equal listings, equal id (RAW - class): the scan reduces each class once. */
    id = reduced_id(sc, field == F_REQUEST_PARAMETERS, start, end);
  } else if (sc->s[start] == '"' && sc->plain) {
    /* skip_value has just skipped this string: sc->plain is its own. */
    id = intern(sc, start + 1, end - start - 2);
  }
  slot[0] = id;
  slot[1] = (int32_t)start;
  slot[2] = (int32_t)end;
  return end;
}

static size_t walk_object(Scan *sc, size_t i, const Lookup *names);
static size_t walk_records(Scan *sc, size_t i);

/* A member the walk reads: a field, a wrapper's Records array, or an object holding fields. */
static size_t member(Scan *sc, int id, size_t start) {
  if (id >= 0) return take(sc, id, start);
  if (id == RECORDS_ARRAY) {
    sc->records_found = 1;
    if (at(sc, start) != '[') fail(sc, E_RECORDS_NOT_ARRAY, start);
    return walk_records(sc, start);
  }
  if (at(sc, start) != '{') return skip_value(sc, start);
  switch (id) {
    case USER_IDENTITY: return walk_object(sc, start, &sc->identity_members);
    case SESSION_CONTEXT: return walk_object(sc, start, &sc->session_members);
    default: return walk_object(sc, start, &sc->issuer_members);
  }
}

/* Enters a container at i (fails past the nesting limit). */
static void enter(Scan *sc, size_t i) {
  if (sc->depth >= sc->max_depth) fail(sc, E_TOO_DEEP, i);
  sc->depth++;
}

/*
 * Walks the object at i, reading the members `names` holds. A name it reads that comes twice
 * fails the walk (JSON.parse would keep the last; CloudTrail never writes one twice, so it is
 * tampering or corruption, and no reading of it is right).
 */
static size_t walk_object(Scan *sc, size_t i, const Lookup *names) {
  if (at(sc, i) != '{') fail(sc, E_EXPECTED_OBJECT, i);
  enter(sc, i);
  uint32_t seen = 0;
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) == '}') {
    sc->depth--;
    return j + 1;
  }
  for (;;) {
    if (at(sc, j) != '"') fail(sc, j >= sc->n ? E_END_OF_INPUT : E_EXPECTED_MEMBER_NAME, j);
    size_t key_end = skip_string(sc, j);
    int found;
    int id = member_id(sc, names, j, key_end, &found);
    if (found) {
      uint32_t bit = 1u << (id >= 0 ? id : F_COUNT + (USER_IDENTITY - id));
      if (seen & bit) {
        sc->error_end = key_end;
        fail(sc, E_DUPLICATE_MEMBER, j);
      }
      seen |= bit;
    }
    j = key_end;
    if (at(sc, j) != ':') {
      j = skip_space(sc, j);
      if (at(sc, j) != ':') fail(sc, j >= sc->n ? E_END_OF_INPUT : E_EXPECTED_COLON, j);
    }
    size_t start = skip_space(sc, j + 1);
    j = found ? member(sc, id, start) : skip_value(sc, start);
    j = skip_space(sc, j);
    int c = at(sc, j);
    if (c == '}') {
      sc->depth--;
      return j + 1;
    }
    if (c != ',') fail(sc, c < 0 ? E_END_OF_INPUT : E_EXPECTED_COMMA_BRACE, j);
    j = skip_space(sc, j + 1);
  }
}

static void new_row(Scan *sc, size_t start) {
  if (sc->row_count == sc->row_cap) {
    size_t cap = sc->row_cap * 2;
    int32_t *grown = realloc(sc->rows, cap * STRIDE * sizeof(int32_t));
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    sc->rows = grown;
    sc->row_cap = cap;
  }
  int32_t *row = sc->rows + sc->row_count * STRIDE;
  row[0] = (int32_t)start;
  row[1] = -1;
  for (int f = 0; f < F_COUNT; f++) {
    row[2 + 3 * f] = ABSENT;
    row[3 + 3 * f] = -1;
    row[4 + 3 * f] = -1;
  }
  row[KEY_AT] = -1;
  row[KEY_AT + 1] = -1;
  sc->row = row;
  sc->record_params = -1;
  sc->record_resources = -1;
}

/* One element of a records array: a record object, or any other value (counted, not read). */
static size_t record(Scan *sc, size_t start) {
  if (sc->row_count >= sc->max_records) fail(sc, E_TOO_MANY_RECORDS, start);
  new_row(sc, start);
  size_t end;
  if (at(sc, start) != '{') {
    end = skip_value(sc, start);
    sc->row[1] = (int32_t)end;
    group_record(sc, sc->row_count++);
    return end;
  }
  end = walk_object(sc, start, &sc->record_members);
  sc->row[1] = (int32_t)end;
  settle_object_key(sc);
  group_record(sc, sc->row_count++);
  return end;
}

static size_t walk_records(Scan *sc, size_t i) {
  if (at(sc, i) != '[') fail(sc, i >= sc->n ? E_END_OF_INPUT : E_EXPECTED_ARRAY, i);
  enter(sc, i);
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) == ']') {
    sc->depth--;
    return j + 1;
  }
  for (;;) {
    j = skip_space(sc, record(sc, j));
    int c = at(sc, j);
    if (c == ']') {
      sc->depth--;
      return j + 1;
    }
    if (c != ',') fail(sc, c < 0 ? E_END_OF_INPUT : E_EXPECTED_COMMA_BRACKET, j);
    j = skip_space(sc, j + 1);
  }
}

/* How a file holds its records (discover.ts's FileShape). */
enum { SHAPE_WRAPPED, SHAPE_ARRAY, SHAPE_LINES };

/*
 * The whole document: after a UTF-8 byte order mark (RFC 8259 lets a parser ignore one) and
 * whitespace, a delivery file's {"Records":[...]} object (other members are skipped), one JSON
 * array of records, or JSON lines (record objects separated by whitespace); then only whitespace.
 */
static void walk_document(Scan *sc, int shape) {
  const uint8_t *s = sc->s;
  size_t j = sc->n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf ? 3 : 0;
  j = skip_space(sc, j);
  if (j >= sc->n) fail(sc, E_NO_VALUE, j);
  if (shape == SHAPE_LINES) {
    while (j < sc->n) {
      if (s[j] != '{') fail(sc, E_NOT_A_RECORD, j);
      j = skip_space(sc, record(sc, j));
    }
    return;
  }
  if (shape == SHAPE_WRAPPED) {
    if (s[j] != '{') fail(sc, E_EXPECTED_WRAPPER, j);
    size_t end = walk_object(sc, j, &sc->wrapper_members);
    if (!sc->records_found) fail(sc, E_NO_RECORDS, j);
    j = end;
  } else {
    j = walk_records(sc, j);
  }
  j = skip_space(sc, j);
  if (j < sc->n) fail(sc, E_TRAILING_TEXT, j);
}

/* Names from `text` ("1a\n0b\n...": per name a flag, 0, 1 for scalar-only, 2 for read only as
   the S3 object key, then the name; ids in order); 0 when out of memory. */
static int names_init(Names *names, char *text) {
  size_t count = 0;
  for (char *p = text; *p != '\0'; p++) count += *p == '\n';
  names->names = calloc(count + 1, sizeof(Member));
  names->scalar = calloc(count + 1, 1);
  names->object_key = calloc(count + 1, 1);
  names->count = 0;
  if (names->names == NULL || names->scalar == NULL || names->object_key == NULL) return 0;
  int id = 0;
  for (char *p = text; *p != '\0';) {
    char *end = strchr(p, '\n');
    if (end == NULL || end == p) break;
    names->scalar[id] = *p == '1' || *p == '2';
    names->object_key[id] = *p++ == '2';
    *end = '\0';
    size_t len = (size_t)(end - p);
    if (len > 0 && len <= LONGEST_NAME) names->names[names->count++] = (Member){p, id, len};
    id++;
    p = end + 1;
  }
  /* Stable insertion sort by length (under a hundred names). */
  for (size_t i = 1; i < names->count; i++) {
    Member m = names->names[i];
    size_t k = i;
    while (k > 0 && names->names[k - 1].len > m.len) {
      names->names[k] = names->names[k - 1];
      k--;
    }
    names->names[k] = m;
  }
  size_t k = 0;
  for (size_t len = 0; len <= LONGEST_NAME + 1; len++) {
    while (k < names->count && names->names[k].len < len) k++;
    names->from[len] = k;
  }
  return 1;
}

/* Seed bytes to a hash key. */
static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
  return v;
}

/*
 * Sets up a scan of data[0, length) (`names_text` as names_init takes it, consumed) and walks it.
 * Afterwards sc->error is E_NONE, the error the walk stopped at (no rows are kept with it), or
 * E_NO_MEMORY. scan_free releases it either way.
 */
static void scan_run(Scan *sc, Names *names, char *names_text, const uint8_t *data, size_t length, int shape,
                     size_t max_depth, size_t max_records, const uint8_t seed[16]) {
  memset(sc, 0, sizeof *sc);
  memset(names, 0, sizeof *names);
  sc->param_names = names;
  lookup_init(&sc->record_members, RECORD_MEMBERS);
  lookup_init(&sc->identity_members, IDENTITY_MEMBERS);
  lookup_init(&sc->session_members, SESSION_MEMBERS);
  lookup_init(&sc->issuer_members, ISSUER_MEMBERS);
  lookup_init(&sc->wrapper_members, WRAPPER_MEMBERS);
  sc->s = data;
  sc->n = length;
  sc->max_depth = max_depth;
  sc->max_records = max_records;
  sc->k0 = le64(seed);
  sc->k1 = le64(seed + 8);
  sc->row_cap = 1024;
  sc->rows = malloc(sc->row_cap * STRIDE * sizeof(int32_t));
  int tables = table_init(&sc->strings) & table_init(&sc->params) & table_init(&sc->resources) & table_init(&sc->param_classes) &
               table_init(&sc->resource_classes) & table_init(&sc->groups) & names_init(names, names_text);
  sc->token_cap = 512;
  sc->tokens = malloc(sc->token_cap * 2 * sizeof(size_t));
  sc->closer_cap = 64;
  sc->closers = malloc(sc->closer_cap);
  if (sc->rows == NULL || !tables || sc->tokens == NULL || sc->closers == NULL) {
    sc->error = E_NO_MEMORY;
  } else if (setjmp(sc->fail) == 0) {
    walk_document(sc, shape);
  }
  /* A refused file is bad as a whole: nothing of it is read. */
  if (sc->error != E_NONE) sc->row_count = 0;
}

static void scan_free(Scan *sc, Names *names) {
  void *owned[] = {
    sc->rows, sc->strings.slots, sc->params.slots, sc->resources.slots, sc->param_classes.slots,
    sc->resource_classes.slots, sc->groups.slots, sc->param_class.data, sc->resource_class.data,
    sc->group_of.data, sc->canon.data, sc->params_reduced.parts.data, sc->params_reduced.at.data,
    sc->resources_reduced.parts.data, sc->resources_reduced.at.data, sc->param_key.data,
    sc->resource_suffixes.data, sc->suffixes.data, sc->resource_exact.data, sc->resource_span.data,
    names->names, names->scalar, names->object_key, sc->tokens, sc->closers,
  };
  for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++) free(owned[k]);
}

#ifndef IAMTRIM_NO_NAPI
/* An Int32Array holding a copy of `list`. */
static napi_status int32_array(napi_env env, const Ints *list, napi_value *out) {
  napi_value buffer;
  void *data;
  size_t bytes = list->len * sizeof(int32_t);
  napi_status status = napi_create_arraybuffer(env, bytes, &data, &buffer);
  if (status != napi_ok) return status;
  if (bytes > 0) memcpy(data, list->data, bytes);
  return napi_create_typedarray(env, napi_int32_array, list->len, buffer, 0, out);
}

/* The interface version record-index.ts checks (a module built from another scan.c is stale). */
#define ABI 2

/*
 * locate(bytes: Uint8Array, shape: 0 wrapped | 1 array | 2 lines, paramNames: string,
 *   maxDepth: number, maxRecords: number, seed: Uint8Array(16)) -> { rows: Int32Array, count,
 *   strings: string[], params: Int32Array, paramsAt: Int32Array, resources: Int32Array,
 *   resourcesAt: Int32Array, groups: Int32Array, error?: string, errorCode?: string,
 *   errorAt?: number, errorEnd?: number }
 * paramNames: per request-key member, "2" if only read as the S3 object key, "1" if only read as
 * a scalar, else "0", its name and "\n" (ids in that order). With an error, no rows.
 */
static napi_value locate(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) {
    napi_throw_type_error(env, NULL, "locate(bytes, shape, paramNames, maxDepth, maxRecords, seed) takes six arguments");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset, seed_length;
  void *data, *seed;
  napi_value arraybuffer;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "locate: bytes must be a Uint8Array");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[5], &type, &seed_length, &seed, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array || seed_length != 16) {
    napi_throw_type_error(env, NULL, "locate: seed must be a Uint8Array of 16 bytes");
    return NULL;
  }
  if (length >= 0x7fffffff) {
    napi_throw_range_error(env, NULL, "locate: input over 2 GiB");
    return NULL;
  }
  int32_t shape;
  double max_depth, max_records;
  if (napi_get_value_int32(env, argv[1], &shape) != napi_ok || shape < SHAPE_WRAPPED || shape > SHAPE_LINES ||
      napi_get_value_double(env, argv[3], &max_depth) != napi_ok || napi_get_value_double(env, argv[4], &max_records) != napi_ok ||
      !(max_depth >= 1 && max_depth <= 1e9) || !(max_records >= 0 && max_records <= 2e9)) {
    napi_throw_type_error(env, NULL, "locate: shape, maxDepth or maxRecords out of range");
    return NULL;
  }
  size_t names_length;
  if (napi_get_value_string_utf8(env, argv[2], NULL, 0, &names_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "locate: paramNames must be a string");
    return NULL;
  }
  char *names_text = malloc(names_length + 1);
  if (names_text == NULL) {
    napi_throw_error(env, NULL, "iamtrim native scan: out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, argv[2], names_text, names_length + 1, &names_length) != napi_ok) {
    free(names_text);
    napi_throw_error(env, NULL, "iamtrim native scan: N-API call failed");
    return NULL;
  }

  Scan sc;
  Names names;
  scan_run(&sc, &names, names_text, data, length, shape, (size_t)max_depth, (size_t)max_records, seed);
  napi_value result = NULL;
  if (sc.error == E_NO_MEMORY) {
    napi_throw_error(env, NULL, "iamtrim native scan: out of memory");
    goto done;
  }
  {
    napi_value rows_buffer, rows, count, strings;
    void *rows_data;
    size_t bytes = sc.row_count * STRIDE * sizeof(int32_t);
    if (napi_create_arraybuffer(env, bytes, &rows_data, &rows_buffer) != napi_ok) goto failed;
    if (bytes > 0) memcpy(rows_data, sc.rows, bytes);
    if (napi_create_typedarray(env, napi_int32_array, sc.row_count * STRIDE, rows_buffer, 0, &rows) != napi_ok) goto failed;
    if (napi_create_uint32(env, (uint32_t)sc.row_count, &count) != napi_ok) goto failed;
    size_t string_count = sc.error == E_NONE ? sc.strings.count : 0;
    if (napi_create_array_with_length(env, string_count, &strings) != napi_ok) goto failed;
    for (size_t id = 0; id < string_count; id++) {
      const char *p = (const char *)sc.s + sc.tokens[2 * id];
      size_t len = sc.tokens[2 * id + 1];
      int ascii = 1;
      size_t k = 0;
      for (; k + 8 <= len && ascii; k += 8) {
        uint64_t w;
        memcpy(&w, p + k, 8);
        ascii = (w & 0x8080808080808080ull) == 0;
      }
      for (; k < len && ascii; k++) ascii = (uint8_t)p[k] < 0x80;
      napi_value str;
      if ((ascii ? napi_create_string_latin1(env, p, len, &str) : napi_create_string_utf8(env, p, len, &str)) != napi_ok) goto failed;
      if (napi_set_element(env, strings, (uint32_t)id, str) != napi_ok) goto failed;
    }
    if (napi_create_object(env, &result) != napi_ok) goto failed;
    if (napi_set_named_property(env, result, "rows", rows) != napi_ok) goto failed;
    if (napi_set_named_property(env, result, "count", count) != napi_ok) goto failed;
    if (napi_set_named_property(env, result, "strings", strings) != napi_ok) goto failed;
    const Ints *lists[] = {&sc.params_reduced.parts, &sc.params_reduced.at, &sc.resources_reduced.parts, &sc.resources_reduced.at, &sc.group_of};
    const char *keys[] = {"params", "paramsAt", "resources", "resourcesAt", "groups"};
    for (int k = 0; k < 5; k++) {
      napi_value list;
      Ints empty = {NULL, 0, 0};
      if (int32_array(env, sc.error == E_NONE ? lists[k] : &empty, &list) != napi_ok) goto failed;
      if (napi_set_named_property(env, result, keys[k], list) != napi_ok) goto failed;
    }
    if (sc.error != E_NONE) {
      napi_value message, code, error_at, error_end;
      if (napi_create_string_utf8(env, MESSAGES[sc.error], NAPI_AUTO_LENGTH, &message) != napi_ok) goto failed;
      if (napi_create_string_utf8(env, CODES[sc.error], NAPI_AUTO_LENGTH, &code) != napi_ok) goto failed;
      if (napi_create_double(env, (double)sc.error_at, &error_at) != napi_ok) goto failed;
      if (napi_create_double(env, (double)sc.error_end, &error_end) != napi_ok) goto failed;
      if (napi_set_named_property(env, result, "error", message) != napi_ok) goto failed;
      if (napi_set_named_property(env, result, "errorCode", code) != napi_ok) goto failed;
      if (napi_set_named_property(env, result, "errorAt", error_at) != napi_ok) goto failed;
      if (napi_set_named_property(env, result, "errorEnd", error_end) != napi_ok) goto failed;
    }
    goto done;
  }
failed:
  result = NULL;
  napi_throw_error(env, NULL, "iamtrim native scan: N-API call failed");
done:
  scan_free(&sc, &names);
  free(names_text);
  return result;
}

/* gunzip.c */
napi_value iamtrim_gunzip(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_value fn, gunzip, stride, fields, abi;
  if (napi_create_function(env, "locate", NAPI_AUTO_LENGTH, locate, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "locate", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "gunzip", NAPI_AUTO_LENGTH, iamtrim_gunzip, NULL, &gunzip) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "gunzip", gunzip) != napi_ok) return NULL;
  if (napi_create_int32(env, STRIDE, &stride) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "stride", stride) != napi_ok) return NULL;
  if (napi_create_int32(env, F_COUNT, &fields) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "fields", fields) != napi_ok) return NULL;
  if (napi_create_int32(env, ABI, &abi) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "abi", abi) != napi_ok) return NULL;
  return exports;
}
#endif /* IAMTRIM_NO_NAPI */
