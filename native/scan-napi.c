/*
 * The N-API binding of the record locator (scan.h): locate() runs a scan over a Uint8Array and
 * returns its rows, strings, listings and groups; the module also exports gunzip (gunzip.c), the
 * row stride, the field count and the ABI record-index.ts checks.
 */
#include <node_api.h>
#include "scan.h"
#include "vendor/libdeflate/libdeflate.h"

/* Throws an Error (with `code` unless NULL); returns NULL, as a binding does after a throw. */
static napi_value error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}
static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The bytes of a Uint8Array; 0 when `value` is not one. */
static int typed_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, length, &p, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

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

/* locate()'s result for a finished scan; NULL when an N-API call fails. */
static napi_value scan_result(napi_env env, const Scan *sc) {
  napi_value result, count, strings;
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  /* A refused file is bad as a whole: its error, and nothing of what the walk read. */
  const Ints empty = {NULL, 0, 0};
  const Ints *lists[] = {&sc->rows, &sc->params.parts, &sc->params.at, &sc->resources.parts, &sc->resources.at, &sc->group_of};
  const char *keys[] = {"rows", "params", "paramsAt", "resources", "resourcesAt", "groups"};
  for (int k = 0; k < 6; k++) {
    napi_value list;
    if (int32_array(env, sc->error == E_NONE ? lists[k] : &empty, &list) != napi_ok) return NULL;
    if (napi_set_named_property(env, result, keys[k], list) != napi_ok) return NULL;
  }
  if (napi_create_uint32(env, (uint32_t)(sc->rows.len / STRIDE), &count) != napi_ok) return NULL;
  if (napi_set_named_property(env, result, "count", count) != napi_ok) return NULL;
  size_t string_count = sc->error == E_NONE ? sc->strings.count : 0;
  if (napi_create_array_with_length(env, string_count, &strings) != napi_ok) return NULL;
  for (size_t id = 0; id < string_count; id++) {
    const char *p = (const char *)sc->s + sc->tokens.data[2 * id];
    size_t len = (size_t)sc->tokens.data[2 * id + 1];
    int ascii = 1;
    size_t k = 0;
    for (; k + 8 <= len && ascii; k += 8) {
      uint64_t w;
      memcpy(&w, p + k, 8);
      ascii = (w & 0x8080808080808080ull) == 0;
    }
    for (; k < len && ascii; k++) ascii = (uint8_t)p[k] < 0x80;
    napi_value str;
    if ((ascii ? napi_create_string_latin1(env, p, len, &str) : napi_create_string_utf8(env, p, len, &str)) != napi_ok) return NULL;
    if (napi_set_element(env, strings, (uint32_t)id, str) != napi_ok) return NULL;
  }
  if (napi_set_named_property(env, result, "strings", strings) != napi_ok) return NULL;
  if (sc->error != E_NONE) {
    napi_value message, code, error_at, error_end;
    if (napi_create_string_utf8(env, MESSAGES[sc->error], NAPI_AUTO_LENGTH, &message) != napi_ok) return NULL;
    if (napi_create_string_utf8(env, CODES[sc->error], NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
    if (napi_create_double(env, (double)sc->error_at, &error_at) != napi_ok) return NULL;
    if (napi_create_double(env, (double)sc->error_end, &error_end) != napi_ok) return NULL;
    if (napi_set_named_property(env, result, "error", message) != napi_ok) return NULL;
    if (napi_set_named_property(env, result, "errorCode", code) != napi_ok) return NULL;
    if (napi_set_named_property(env, result, "errorAt", error_at) != napi_ok) return NULL;
    if (napi_set_named_property(env, result, "errorEnd", error_end) != napi_ok) return NULL;
  }
  return result;
}

/* The interface version record-index.ts checks (a module built from other scan-*.c is stale). */
#define ABI 2

/* locate(bytes, shape, paramNames, maxDepth, maxRecords, seed), as record-index.ts's NativeModule
   types it, with its NativeResult (with an error, no rows); paramNames as names_init reads it. */
static napi_value locate(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) {
    return type_error(env, "locate(bytes, shape, paramNames, maxDepth, maxRecords, seed) takes six arguments");
  }
  uint8_t *data, *seed;
  size_t length, seed_length;
  if (!typed_bytes(env, argv[0], &data, &length)) return type_error(env, "locate: bytes must be a Uint8Array");
  if (!typed_bytes(env, argv[5], &seed, &seed_length) || seed_length != 16) return type_error(env, "locate: seed must be a Uint8Array of 16 bytes");
  if (length >= 0x7fffffff) {
    napi_throw_range_error(env, NULL, "locate: input over 2 GiB");
    return NULL;
  }
  int32_t shape;
  double max_depth, max_records;
  if (napi_get_value_int32(env, argv[1], &shape) != napi_ok || shape < SHAPE_WRAPPED || shape > SHAPE_LINES ||
      napi_get_value_double(env, argv[3], &max_depth) != napi_ok || napi_get_value_double(env, argv[4], &max_records) != napi_ok ||
      !(max_depth >= 1 && max_depth <= 1e9) || !(max_records >= 0 && max_records <= 2e9)) {
    return type_error(env, "locate: shape, maxDepth or maxRecords out of range");
  }
  size_t names_length;
  if (napi_get_value_string_utf8(env, argv[2], NULL, 0, &names_length) != napi_ok) return type_error(env, "locate: paramNames must be a string");
  char *names_text = malloc(names_length + 1);
  if (names_text == NULL) return error(env, NULL, "iamtrim native scan: out of memory");
  if (napi_get_value_string_utf8(env, argv[2], names_text, names_length + 1, &names_length) != napi_ok) {
    free(names_text);
    return error(env, NULL, "iamtrim native scan: N-API call failed");
  }

  Scan sc;
  scan_run(&sc, names_text, data, length, shape, (size_t)max_depth, (size_t)max_records, seed);
  napi_value result = NULL;
  if (sc.error == E_NO_MEMORY) napi_throw_error(env, NULL, "iamtrim native scan: out of memory");
  else if ((result = scan_result(env, &sc)) == NULL) napi_throw_error(env, NULL, "iamtrim native scan: N-API call failed");
  scan_free(&sc);
  free(names_text);
  return result;
}

/* gunzip(input: Uint8Array, output: Uint8Array) -> the bytes written, or -1 when `output` is too
   small; throws zlib's message and code for input it refuses (gunzip.c). */
static napi_value gunzip(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return type_error(env, "gunzip(input, output) takes two arguments");
  uint8_t *in, *out;
  size_t n, cap;
  if (!typed_bytes(env, argv[0], &in, &n) || !typed_bytes(env, argv[1], &out, &cap)) return type_error(env, "gunzip: input and output must be Uint8Arrays");
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  if (d == NULL) return error(env, NULL, "iamtrim native gunzip: out of memory");
  const Failure *failure = NULL;
  int64_t written = inflate_members(d, in, n, out, cap, &failure);
  libdeflate_free_decompressor(d);
  if (failure != NULL) return error(env, failure->code, failure->message);
  napi_value result;
  if (napi_create_double(env, (double)written, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn, gunzip_fn, stride, fields, abi;
  if (napi_create_function(env, "locate", NAPI_AUTO_LENGTH, locate, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "locate", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "gunzip", NAPI_AUTO_LENGTH, gunzip, NULL, &gunzip_fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "gunzip", gunzip_fn) != napi_ok) return NULL;
  if (napi_create_int32(env, STRIDE, &stride) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "stride", stride) != napi_ok) return NULL;
  if (napi_create_int32(env, F_COUNT, &fields) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "fields", fields) != napi_ok) return NULL;
  if (napi_create_int32(env, ABI, &abi) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "abi", abi) != napi_ok) return NULL;
  return exports;
}
