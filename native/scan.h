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
 * to JSON.parse and the reference attribution on mutated files; `native/fuzz/` runs the walk
 * under libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer (docs/fuzzing.md).
 *
 * Hashes of the bytes (string, span and class tables) are keyed with a per-process random seed
 * the caller passes, so keys an attacker chose to collide in one process do not in another.
 *
 * The walk is split by concern, sharing this header:
 *   scan-json.c    RFC 8259 strictness: strings, scalars, whole values skipped, member names
 *   scan-walk.c    the CloudTrail walk (the document's shape, records, the fields a scan reads),
 *                  and a scan set up and freed (scan_run, scan_free)
 *   scan-values.c  requestParameters and resources: the members a scan reads, listed; classes
 *   scan-group.c   the keyed hash, tables of byte spans, string ids, record groups
 *   scan-napi.c    the N-API binding (locate, gunzip); the fuzz harness (native/fuzz) links the other four
 * and, apart from the walk, gunzip.c inflates gzip files as zlib does.
 */
#ifndef IAMTRIM_SCAN_H
#define IAMTRIM_SCAN_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every function the units share is internal to the module. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
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
/* member_id of a name the walk does not read. */
#define NOT_READ (-1)

/* A Member table with a 64-slot index by the key's length, first and last byte: the index of
   the one name in a slot plus 1, 0 for none, -1 for several (then the table is searched). */
typedef struct {
  const Member *names;
  int8_t slot[64];
} Lookup;

static inline unsigned key_slot(size_t len, const uint8_t *key) { return (unsigned)(len * 7 + key[0] * 3 + key[len - 1]) & 63; }

/* Error kinds, and their messages (record-index.ts words the limits' and the duplicate's). */
enum {
  E_NONE, E_UNTERMINATED_STRING, E_END_OF_INPUT, E_EXPECTED_VALUE, E_EXPECTED_OBJECT,
  E_EXPECTED_MEMBER_NAME, E_EXPECTED_COLON, E_EXPECTED_COMMA_BRACE, E_EXPECTED_ARRAY,
  E_EXPECTED_COMMA_BRACKET, E_BAD_KEY, E_NO_MEMORY, E_CONTROL_CHARACTER, E_BAD_ESCAPE,
  E_BAD_LITERAL, E_BAD_NUMBER, E_TRAILING_TEXT, E_DUPLICATE_MEMBER, E_TOO_DEEP, E_TOO_MANY_RECORDS,
  E_NO_RECORDS, E_RECORDS_NOT_ARRAY, E_NOT_A_RECORD, E_NO_VALUE, E_EXPECTED_WRAPPER
};
/* By error kind: its message, and the code record-index.ts tells apart (scan-walk.c). */
extern const char *const MESSAGES[];
extern const char *const CODES[];

typedef struct {
  uint32_t hash;
  int32_t id; /* -1: empty */
  size_t start, len;
} Slot;

/* An open-addressing table of byte spans: equal bytes, equal id (numbered from 0 per file). Its
   slots are allocated at its first entry. */
typedef struct {
  Slot *slots;
  size_t mask, count;
} Table;

/* A growable list of ints. */
typedef struct {
  int32_t *data;
  size_t len, cap;
} Ints;

/* Member names a value's listing reads (the request-key members, a resource's ARN and arn): sorted
   by length, with where each length starts, so a key is compared with the names of its length only. */
#define LONGEST_NAME 64
typedef struct {
  Member *names;
  size_t count;
  size_t from[LONGEST_NAME + 2];
  uint8_t *kind; /* by id */
} Names;
/* How a member is read: NAME_SCALAR, by every request key as a scalar (an object or array there
   gives none); NAME_OBJECT_KEY, only as the S3 object key (see VALUE_KEY), a scalar too; NAME_ARN,
   a resource's ARN or arn, only as a non-empty string. */
enum { NAME_ANY, NAME_SCALAR, NAME_OBJECT_KEY, NAME_ARN };

/* The requestParameters or the resources values of a file: each distinct value's bytes (span
   ids), its class (values whose listings are equal), the classes by their listings' canonical
   bytes, and where the members a scan reads are per class n: `at[n]` indexes `parts` (see
   list_value and classify). */
typedef struct {
  Table spans, classes;
  Ints class_of, parts, at;
} Values;

typedef struct {
  const uint8_t *s;
  size_t n;
  jmp_buf fail;
  /* The member tables the walk reads. */
  Lookup record_members, identity_members, session_members, issuer_members, wrapper_members;
  int error;
  size_t error_at, error_end;
  /* Output rows, STRIDE ints per record. */
  Ints rows;
  int32_t *row; /* the record being filled */
  /* Interned strings: tokens (quotes excluded) by hash. */
  Table strings;
  Ints tokens; /* id -> start, len pairs */
  Values params, resources;
  Ints canon; /* the classes' listings in a canonical form (classify) */
  /* Per requestParameters span id: its object key's offset from the value's start and length,
     or -1, -1 (see VALUE_KEY). */
  Ints param_key;
  /* Per resources span id: -1 (no S3 object ARN), or where its object ARNs' suffixes are listed
     in `suffixes` (a count, then offset and length pairs); its class with every listed value's
     bytes, computed when a record's suffixes are not its key (-1 until then); and its span. */
  Ints resource_suffixes, suffixes, resource_exact, resource_span;
  /* The current record's requestParameters and resources span ids (-1: none). */
  int32_t record_params, record_resources;
  Names names, arn_names; /* the request-key members; a resource's ARN and arn */
  /* Records by their grouping fields (see group_record): record -> group. */
  Table groups;
  Ints group_of;
  size_t group_count;
  /* Whether the string skip_string last skipped has no backslash. */
  int plain;
  /* Bracket stack for skip_value. */
  Ints closers;
  /* Limits: open containers (objects and arrays) at once, records per file. */
  size_t max_depth, max_records;
  /* Containers the walk is inside (skip_value counts from here). */
  size_t depth;
  /* Whether the wrapper object had a Records member. */
  int records_found;
  /* The hash key (table_id, group_record). */
  uint64_t k0, k1;
} Scan;

/* How a file holds its records (discover.ts's FileShape). */
enum { SHAPE_WRAPPED, SHAPE_ARRAY, SHAPE_LINES };

_Noreturn static inline void fail(Scan *sc, int error, size_t at) {
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

/* scan-json.c */
size_t skip_string(Scan *sc, size_t i);
size_t skip_value(Scan *sc, size_t i);
int member_id(Scan *sc, const Lookup *lookup, size_t start, size_t end);

/* scan-group.c */
int32_t table_id(Scan *sc, Table *t, const uint8_t *base, size_t start, size_t len, int *fresh);
int32_t intern(Scan *sc, size_t start, size_t len);
int32_t *extend(Scan *sc, Ints *list, size_t n);
static inline void push(Scan *sc, Ints *list, int32_t value) {
  if (list->len < list->cap) list->data[list->len++] = value;
  else *extend(sc, list, 1) = value;
}
void group_record(Scan *sc, size_t k);

/* scan-values.c */
int32_t reduced_id(Scan *sc, int params, size_t start, size_t end);
void settle_object_key(Scan *sc);

/* scan-walk.c */
void scan_run(Scan *sc, const char *names_text, const uint8_t *data, size_t length, int shape, size_t max_depth, size_t max_records,
              const uint8_t seed[16]);
void scan_free(Scan *sc);

/* gunzip.c: the members of the gzip file in[0, n) inflated into out[0, cap). Returns the bytes
   written, -1 when `out` is too small, or -2 with *failure: zlib's message and code for the input. */
typedef struct {
  const char *message, *code;
} Failure;
struct libdeflate_decompressor;
int64_t inflate_members(struct libdeflate_decompressor *d, const uint8_t *in, size_t n, uint8_t *out, size_t cap, const Failure **failure);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#endif /* IAMTRIM_SCAN_H */
