/*
 * The CloudTrail walk (scan.h): the document's shape ({"Records":[...]}, an array, JSON lines),
 * each record's row (where the fields a scan reads are, with their ids), duplicate members refused,
 * the nesting and record limits; and a scan set up from the caller's arguments and freed.
 */
#include "scan.h"

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

static void lookup_init(Lookup *l, const Member *names) {
  l->names = names;
  memset(l->slot, 0, sizeof l->slot);
  for (int i = 0; names[i].name != NULL; i++) {
    unsigned k = key_slot(names[i].len, (const uint8_t *)names[i].name);
    l->slot[k] = l->slot[k] == 0 ? (int8_t)(i + 1) : -1;
  }
}

const char *const MESSAGES[] = {
  "", "unterminated string", "unexpected end of input", "expected a value", "expected an object",
  "expected a member name", "expected \":\"", "expected \",\" or \"}\"", "expected a JSON array of records",
  "expected \",\" or \"]\"", "bad key", "out of memory", "raw control character in a string",
  "invalid escape in a string", "invalid literal (JSON has only true, false and null)", "invalid number",
  "text after the end of the JSON document", "duplicate member name", "nesting too deep", "too many records",
  "no \"Records\" array: not a CloudTrail delivery file", "\"Records\" is not an array",
  "a JSON lines file holds a value that is not a record object", "no JSON value",
  "expected the {\"Records\":[...]} object of a CloudTrail delivery file"};
/* The error codes record-index.ts tells apart (the limits are worded there). */
const char *const CODES[] = {
  "", "json", "json", "json", "json", "json", "json", "json", "shape", "json", "json", "memory", "json", "json",
  "json", "json", "json", "duplicate", "depth", "records", "shape", "shape", "shape", "json", "shape"};

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
  if (at(sc, j) != '}') {
    for (;;) {
      if (at(sc, j) != '"') fail(sc, j >= sc->n ? E_END_OF_INPUT : E_EXPECTED_MEMBER_NAME, j);
      size_t key_end = skip_string(sc, j);
      int id = member_id(sc, names, j, key_end);
      if (id != NOT_READ) {
        uint32_t bit = 1u << (id >= 0 ? id : F_COUNT + (USER_IDENTITY - id));
        if (seen & bit) {
          sc->error_end = key_end;
          fail(sc, E_DUPLICATE_MEMBER, j);
        }
        seen |= bit;
      }
      j = skip_space(sc, key_end);
      if (at(sc, j) != ':') fail(sc, j >= sc->n ? E_END_OF_INPUT : E_EXPECTED_COLON, j);
      size_t start = skip_space(sc, j + 1);
      j = skip_space(sc, id == NOT_READ ? skip_value(sc, start) : member(sc, id, start));
      int c = at(sc, j);
      if (c == '}') break;
      if (c != ',') fail(sc, c < 0 ? E_END_OF_INPUT : E_EXPECTED_COMMA_BRACE, j);
      j = skip_space(sc, j + 1);
    }
  }
  sc->depth--;
  return j + 1;
}

/* One element of a records array: a record object, or any other value (counted, not read). */
static size_t record(Scan *sc, size_t start) {
  size_t k = sc->rows.len / STRIDE;
  if (k >= sc->max_records) fail(sc, E_TOO_MANY_RECORDS, start);
  sc->row = extend(sc, &sc->rows, STRIDE);
  sc->row[0] = (int32_t)start;
  /* No end yet; every field ABSENT (-1) without a span; no object key. */
  for (int f = 1; f < STRIDE; f++) sc->row[f] = -1;
  sc->record_params = -1;
  sc->record_resources = -1;
  size_t end = at(sc, start) == '{' ? walk_object(sc, start, &sc->record_members) : skip_value(sc, start);
  sc->row[1] = (int32_t)end;
  settle_object_key(sc);
  group_record(sc, k);
  return end;
}

static size_t walk_records(Scan *sc, size_t i) {
  if (at(sc, i) != '[') fail(sc, i >= sc->n ? E_END_OF_INPUT : E_EXPECTED_ARRAY, i);
  enter(sc, i);
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) != ']') {
    for (;;) {
      j = skip_space(sc, record(sc, j));
      int c = at(sc, j);
      if (c == ']') break;
      if (c != ',') fail(sc, c < 0 ? E_END_OF_INPUT : E_EXPECTED_COMMA_BRACKET, j);
      j = skip_space(sc, j + 1);
    }
  }
  sc->depth--;
  return j + 1;
}

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

static int by_length(const void *a, const void *b) {
  const Member *x = a, *y = b;
  return x->len != y->len ? (x->len > y->len) - (x->len < y->len) : x->id - y->id;
}

/* Names from `text` ("1a\n0b\n...": per name its NAME_* kind as a digit, then the name; ids in
   order), sorted by length. */
static void names_init(Scan *sc, Names *names, const char *text) {
  size_t count = 0;
  for (const char *p = text; *p != '\0'; p++) count += *p == '\n';
  names->names = calloc(count + 1, sizeof(Member));
  names->kind = calloc(count + 1, 1);
  if (names->names == NULL || names->kind == NULL) fail(sc, E_NO_MEMORY, 0);
  int id = 0;
  for (const char *p = text; *p != '\0';) {
    const char *end = strchr(p, '\n');
    if (end == NULL || end == p) break;
    names->kind[id] = *p >= '1' && *p <= '3' ? *p - '0' : NAME_ANY;
    p++;
    size_t len = (size_t)(end - p);
    if (len > 0 && len <= LONGEST_NAME) names->names[names->count++] = (Member){p, id, len};
    id++;
    p = end + 1;
  }
  qsort(names->names, names->count, sizeof(Member), by_length);
  size_t k = 0;
  for (size_t len = 0; len <= LONGEST_NAME + 1; len++) {
    while (k < names->count && names->names[k].len < len) k++;
    names->from[len] = k;
  }
}

/* Seed bytes to a hash key. */
static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
  return v;
}

/*
 * Sets up a scan of data[0, length) (`names_text` as names_init takes it) and walks it.
 * Afterwards sc->error is E_NONE, the error the walk stopped at (no rows are kept with it), or
 * E_NO_MEMORY. scan_free releases it either way.
 */
void scan_run(Scan *sc, const char *names_text, const uint8_t *data, size_t length, int shape, size_t max_depth, size_t max_records,
              const uint8_t seed[16]) {
  memset(sc, 0, sizeof *sc);
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
  if (setjmp(sc->fail) == 0) {
    names_init(sc, &sc->names, names_text);
    names_init(sc, &sc->arn_names, "3ARN\n3arn\n");
    walk_document(sc, shape);
  }
  /* A refused file is bad as a whole: nothing of it is read. */
  if (sc->error != E_NONE) sc->rows.len = 0;
}

void scan_free(Scan *sc) {
  void *owned[] = {
    sc->rows.data, sc->strings.slots, sc->params.spans.slots, sc->resources.spans.slots, sc->params.classes.slots,
    sc->resources.classes.slots, sc->groups.slots, sc->params.class_of.data, sc->resources.class_of.data,
    sc->group_of.data, sc->canon.data, sc->params.parts.data, sc->params.at.data,
    sc->resources.parts.data, sc->resources.at.data, sc->param_key.data,
    sc->resource_suffixes.data, sc->suffixes.data, sc->resource_exact.data, sc->resource_span.data,
    sc->names.names, sc->names.kind, sc->arn_names.names, sc->arn_names.kind, sc->tokens.data, sc->closers.data,
  };
  for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++) free(owned[k]);
}
