/*
 * Equal bytes, equal id; equal ids, equal group (scan.h). The hash of a byte span keyed by the
 * scan's per-process seed, the open-addressing tables of spans (strings, requestParameters and
 * resources values, their classes), string ids, and each record's group.
 */
#include "scan.h"

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

/* Doubles the table's slots (the first time, makes 1024), keeping its entries. */
static void grow_table(Scan *sc, Table *t) {
  size_t old = t->slots == NULL ? 0 : t->mask + 1;
  size_t cap = old == 0 ? 1024 : old * 2;
  Slot *slots = malloc(cap * sizeof(Slot));
  if (slots == NULL) fail(sc, E_NO_MEMORY, 0);
  for (size_t i = 0; i < cap; i++) slots[i].id = -1;
  for (size_t i = 0; i < old; i++) {
    const Slot *entry = &t->slots[i];
    if (entry->id < 0) continue;
    size_t k = entry->hash & (cap - 1);
    while (slots[k].id >= 0) k = (k + 1) & (cap - 1);
    slots[k] = *entry;
  }
  free(t->slots);
  t->slots = slots;
  t->mask = cap - 1;
}

/* The first slot to probe for hash h. The table is kept under half full, so a probe ends at an
   empty slot, where a new entry goes. */
static size_t first_slot(Scan *sc, Table *t, uint32_t h) {
  if (t->slots == NULL || t->count * 2 >= t->mask + 1) grow_table(sc, t);
  return h & t->mask;
}

/* The id of the bytes base[start, start + len) in `t`, all of whose entries are in `base`; *fresh
   is set when it is new. */
int32_t table_id(Scan *sc, Table *t, const uint8_t *base, size_t start, size_t len, int *fresh) {
  uint32_t h = hash_span(sc, base + start, len);
  size_t k = first_slot(sc, t, h);
  for (; t->slots[k].id >= 0; k = (k + 1) & t->mask) {
    const Slot *slot = &t->slots[k];
    if (slot->hash == h && slot->len == len && memcmp(base + slot->start, base + start, len) == 0) {
      *fresh = 0;
      return slot->id;
    }
  }
  *fresh = 1;
  t->slots[k] = (Slot){h, (int32_t)t->count, start, len};
  return (int32_t)t->count++;
}

/* The id of the string content [start, start + len), new ids numbered from 0 per file. */
int32_t intern(Scan *sc, size_t start, size_t len) {
  int fresh;
  int32_t id = table_id(sc, &sc->strings, sc->s, start, len, &fresh);
  if (fresh) {
    push(sc, &sc->tokens, (int32_t)start);
    push(sc, &sc->tokens, (int32_t)len);
  }
  return id;
}

/* Appends n ints to `list`, growing it as needed; returns the first of them (not set). */
int32_t *extend(Scan *sc, Ints *list, size_t n) {
  if (list->cap - list->len < n) {
    size_t cap = list->cap == 0 ? 1024 : list->cap;
    while (cap - list->len < n) cap *= 2;
    int32_t *grown = realloc(list->data, cap * sizeof(int32_t));
    if (grown == NULL) fail(sc, E_NO_MEMORY, 0);
    list->data = grown;
    list->cap = cap;
  }
  list->len += n;
  return list->data + list->len - n;
}

/* The fields a record's group is keyed on: all but its time. */
#define FIRST_GROUP_FIELD F_EVENT_TYPE

/*
 * Gives record k a group: records whose fields other than eventTime and @timestamp have equal
 * ids share one (groups numbered from 0 in order of first record). A record with another field
 * that is not a plain string (its id is RAW whatever the value) is a group of its own.
 */
void group_record(Scan *sc, size_t k) {
  const int32_t *row = sc->rows.data + k * STRIDE;
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
    size_t i = first_slot(sc, t, hash);
    for (; t->slots[i].id >= 0; i = (i + 1) & t->mask) {
      const Slot *slot = &t->slots[i];
      if (slot->hash != hash) continue;
      const int32_t *other = sc->rows.data + slot->start * STRIDE;
      int f = FIRST_GROUP_FIELD;
      while (f < F_COUNT && other[2 + 3 * f] == row[2 + 3 * f]) f++;
      if (f == F_COUNT) {
        push(sc, &sc->group_of, slot->id);
        return;
      }
    }
    /* A group's entry holds its first record. */
    t->slots[i] = (Slot){hash, group, k, 0};
    t->count++;
  }
  sc->group_count++;
  push(sc, &sc->group_of, group);
}
