/*
 * SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), which libsodium lacks: for
 * hashed known_hosts entries ("|1|salt|HMAC-SHA1(salt, host)", what
 * OpenSSH writes with HashKnownHosts) and for the checksums of the packs
 * pack.c writes. Nothing is signed or verified with it.
 */
#include <stdint.h>
#include <string.h>
#include <sodium.h>

#include "sync/sync_internal.h"

static uint32_t rol(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(sync_sha1_ctx *c, const unsigned char *p)
{
	uint32_t w[80], a, b, d, e, cc, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3]; e = c->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & cc) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ cc ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & cc) | (b & d) | (cc & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ cc ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = cc;
		cc = rol(b, 30);
		b = a;
		a = t;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e;
}

void sync_sha1_init(sync_sha1_ctx *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	memcpy(c->h, iv, sizeof(iv));
	c->used = 0;
	c->total = 0;
}

void sync_sha1_update(sync_sha1_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->total += len;
	while (len) {
		size_t n = 64 - c->used < len ? 64 - c->used : len;
		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			sha1_block(c, c->block);
			c->used = 0;
		}
	}
}

void sync_sha1_final(sync_sha1_ctx *c, unsigned char out[20])
{
	uint64_t bits = c->total * 8;
	unsigned char pad = 0x80, zero = 0, len[8];
	int i;

	sync_sha1_update(c, &pad, 1);
	while (c->used != 56)
		sync_sha1_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sync_sha1_update(c, len, 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void sync_hmac_sha1(unsigned char out[20], const unsigned char *key, size_t key_len,
                    const unsigned char *data, size_t len)
{
	unsigned char k[64], pad[64], inner[20];
	sync_sha1_ctx c;
	int i;

	memset(k, 0, sizeof(k));
	if (key_len > sizeof(k)) {
		sync_sha1_init(&c);
		sync_sha1_update(&c, key, key_len);
		sync_sha1_final(&c, k);
	} else {
		memcpy(k, key, key_len);
	}
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sync_sha1_init(&c);
	sync_sha1_update(&c, pad, 64);
	sync_sha1_update(&c, data, len);
	sync_sha1_final(&c, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sync_sha1_init(&c);
	sync_sha1_update(&c, pad, 64);
	sync_sha1_update(&c, inner, 20);
	sync_sha1_final(&c, out);
	sodium_memzero(k, sizeof(k));
}
