/*
 * requestParameters and resources values (scan.h): the members a scan reads listed (the
 * request-key members, each resource's ARN and arn), values with equal listings given one class
 * (RAW - class), and the S3 object key left out of classes so that one class spans the objects
 * of one call (VALUE_KEY, VALUE_OBJECT; each record's own key at KEY_AT).
 */
#include "scan.h"

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

/*
 * Lists member `id`'s value [start, end), just skipped (so sc->plain is its own if a string): which
 * member, where, and how it reads. It is inert when it gives nothing to what the scan reads from
 * it: null (no key reads null); for a request-key member read only as a scalar, an object or
 * array; for ARN or arn, anything but a non-empty string. Inert values share a class whatever
 * their bytes.
 */
static void push_value(Scan *sc, Ints *parts, const Names *names, int32_t id, size_t start, size_t end) {
  uint8_t c = sc->s[start], kind = names->kind[id];
  int inert = kind == NAME_ARN ? c != '"' || end - start == 2
                               : (end - start == 4 && memcmp(sc->s + start, "null", 4) == 0) || ((c == '{' || c == '[') && kind != NAME_ANY);
  push(sc, parts, id);
  push(sc, parts, (int32_t)start);
  push(sc, parts, (int32_t)end);
  push(sc, parts, inert ? VALUE_INERT : c == '"' && sc->plain ? VALUE_PLAIN : VALUE_JSON);
}

/*
 * Lists the members of the object at i that `names` holds (the request keys, or ARN and arn), into
 * parts: their count m, then (name id, value start, value end, how it reads) per member in
 * document order, duplicates included (a decoder assigns them in order, so the last wins as in
 * JSON.parse). Returns 0 when a member name has an escape: the scan then decodes the value's bytes.
 * take has checked the value whole, so the syntax checks below are a guard only.
 */
static int list_members(Scan *sc, Ints *parts, size_t i, const Names *names) {
  size_t count_at = parts->len;
  push(sc, parts, 0);
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) == '}') return 1;
  for (;;) {
    if (at(sc, j) != '"') return 0;
    size_t key_end = skip_string(sc, j);
    if (!sc->plain) return 0; /* an escape in the member name */
    int id = name_id(sc, names, j, key_end);
    j = skip_space(sc, key_end);
    if (at(sc, j) != ':') return 0;
    size_t start = skip_space(sc, j + 1);
    size_t end = skip_value(sc, start);
    if (id >= 0) {
      push_value(sc, parts, names, id, start, end);
      parts->data[count_at]++;
    }
    j = skip_space(sc, end);
    if (at(sc, j) == '}') return 1;
    if (at(sc, j) != ',') return 0;
    j = skip_space(sc, j + 1);
  }
}

/* Lists the elements of the resources array at i into parts: their count e, then per element -1
   (not an object) or its ARN and arn members as list_members gives them; 0 as list_members. */
static int list_elements(Scan *sc, Ints *parts, size_t i) {
  size_t count_at = parts->len;
  push(sc, parts, 0);
  size_t j = skip_space(sc, i + 1);
  if (at(sc, j) == ']') return 1;
  for (;;) {
    size_t end = skip_value(sc, j);
    parts->data[count_at]++;
    if (sc->s[j] != '{') push(sc, parts, -1);
    else if (!list_members(sc, parts, j, &sc->arn_names)) return 0;
    j = skip_space(sc, end);
    if (at(sc, j) == ']') return 1;
    if (at(sc, j) != ',') return 0;
    j = skip_space(sc, j + 1);
  }
}

/* Lists the requestParameters (or resources) value at start at the end of v->parts: its members
   (elements) as list_members (list_elements) gives them, or -1 when it is not an object (array)
   or they give 0 (the scan decodes its bytes). */
static void list_value(Scan *sc, Values *v, size_t start) {
  size_t mark = v->parts.len;
  int listed = v == &sc->params ? sc->s[start] == '{' && list_members(sc, &v->parts, start, &sc->names)
                                : sc->s[start] == '[' && list_elements(sc, &v->parts, start);
  if (!listed) {
    v->parts.len = mark;
    push(sc, &v->parts, -1);
  }
}

static void put_int(Scan *sc, int32_t value) { push(sc, &sc->canon, value); }

/* Appends a run of bytes to sc->canon: its length, then the bytes zero-padded to whole ints. */
static void put_bytes(Scan *sc, const uint8_t *p, size_t len) {
  put_int(sc, (int32_t)len);
  size_t n = (len + 3) / 4;
  int32_t *to = extend(sc, &sc->canon, n);
  if (n > 0) to[n - 1] = 0;
  memcpy(to, p, len);
}

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
   offset from `start` and length go to param_key (-1, -1: none, or the value is not listed). */
static void mark_object_key(Scan *sc, size_t mark, size_t start) {
  int32_t *parts = sc->params.parts.data;
  int32_t m = parts[mark];
  size_t key = 0;
  int found = 0;
  for (int32_t e = 0; e < m; e++) {
    size_t k = mark + 1 + 4 * (size_t)e;
    if (sc->names.kind[parts[k]] != NAME_OBJECT_KEY) continue;
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
   their key suffixes (offsets from `start`) in resource_suffixes (-1: none, or not listed). */
static void mark_object_arns(Scan *sc, size_t mark, size_t start) {
  int32_t *parts = sc->resources.parts.data;
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
    const uint8_t *bytes = sc->s + parts[k + 1];
    size_t len = (size_t)(parts[k + 2] - parts[k + 1]);
    if (parts[k + 3] == VALUE_OBJECT) {
      put_int(sc, -3);
      len = object_arn_head(++bytes, len - 2);
    }
    put_bytes(sc, bytes, len);
  }
  return k;
}

/*
 * The class of the value [start, end) just listed at parts[mark..]: values whose listings hold the
 * same members with the same bytes in the same order share a class (the scan reduces them alike);
 * an unlisted value is its own class. A new class keeps its listing (at[class] = mark); a known
 * one drops it.
 */
static int32_t classify(Scan *sc, Values *v, size_t mark, size_t start, size_t end) {
  size_t from = sc->canon.len;
  const int32_t *parts = v->parts.data;
  size_t k = mark;
  int32_t head = parts[k++];
  put_int(sc, head);
  if (head < 0) {
    put_bytes(sc, sc->s + start, end - start);
  } else if (v == &sc->params) {
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
  int32_t id = table_id(sc, &v->classes, (const uint8_t *)sc->canon.data, 4 * from, 4 * len, &fresh);
  if (fresh) {
    push(sc, &v->at, (int32_t)mark);
  } else {
    v->parts.len = mark;
    sc->canon.len = from;
  }
  return id;
}

/* The id (RAW - class) of the requestParameters or resources value [start, end). */
int32_t reduced_id(Scan *sc, int params, size_t start, size_t end) {
  Values *v = params ? &sc->params : &sc->resources;
  int fresh;
  int32_t n = table_id(sc, &v->spans, sc->s, start, end - start, &fresh);
  if (params) sc->record_params = n;
  else sc->record_resources = n;
  if (!fresh) return RAW - v->class_of.data[n];
  size_t mark = v->parts.len;
  list_value(sc, v, start);
  if (params) {
    mark_object_key(sc, mark, start);
  } else {
    mark_object_arns(sc, mark, start);
    push(sc, &sc->resource_exact, -1);
    push(sc, &sc->resource_span, (int32_t)start);
    push(sc, &sc->resource_span, (int32_t)end);
  }
  int32_t cls = classify(sc, v, mark, start, end);
  push(sc, &v->class_of, cls);
  return RAW - cls;
}

/* The class of resources span n with every listed value's bytes (no VALUE_OBJECT), for a record
   whose object ARNs are not its object key's. */
static int32_t exact_resources_class(Scan *sc, int32_t n) {
  if (sc->resource_exact.data[n] >= 0) return sc->resource_exact.data[n];
  /* Listed again from the span's first bytes, this time without VALUE_OBJECT. */
  size_t start = (size_t)sc->resource_span.data[2 * n], end = (size_t)sc->resource_span.data[2 * n + 1];
  size_t mark = sc->resources.parts.len;
  list_value(sc, &sc->resources, start);
  int32_t cls = classify(sc, &sc->resources, mark, start, end);
  sc->resource_exact.data[n] = cls;
  return cls;
}

/*
 * Settles the current record's object key: its span goes to KEY_AT when its requestParameters
 * have one (VALUE_KEY), and its resources keep their class (VALUE_OBJECT) only when every object
 * ARN's suffix is that key; otherwise they take the class with every value's bytes.
 */
void settle_object_key(Scan *sc) {
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
