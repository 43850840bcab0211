/*
 * The one base64 reader (util/base64.c, issue 9): one text per byte
 * string. Every text it accepts is the text libsodium writes for what it
 * returns, whatever byte stands where; the table path (public text) and
 * the constant-time path (secrets) accept and refuse the same texts.
 * Compiled in: the library does not export its internals.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <criterion/criterion.h>

#include "util/base64.h"
#include "util/error.h"

#define PADDED GITCHAT_BASE64_PADDED
#define SECRET GITCHAT_BASE64_SECRET

static int variant(unsigned int flags)
{
	return (flags & PADDED) ? sodium_base64_VARIANT_ORIGINAL
	                        : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

/* Decodes s both ways; they agree; 1 when accepted, the bytes in out. */
static int decode(unsigned char *out, size_t max, size_t *len, const char *s, size_t n,
                  unsigned int flags)
{
	unsigned char other[256];
	size_t olen = 0;
	int pub = gitchat_base64_decode(out, max, len, s, n, flags);
	int sec = gitchat_base64_decode(other, max, &olen, s, n, flags | SECRET);

	cr_assert_eq(pub == 0, sec == 0, "the two paths disagree on '%.*s' (flags %u): %d %d",
	             (int)n, s, flags, pub, sec);
	if (pub < 0)
		return 0;
	cr_assert_eq(*len, olen);
	cr_assert(memcmp(out, other, olen) == 0);
	return 1;
}

/* Accepted means canonical: the output encodes back to exactly s. */
static void assert_canonical(const char *s, size_t n, unsigned int flags)
{
	unsigned char out[256];
	char text[512];
	size_t len;

	if (!decode(out, sizeof(out), &len, s, n, flags))
		return;
	sodium_bin2base64(text, sizeof(text), out, len, variant(flags));
	cr_assert(strlen(text) == n && memcmp(text, s, n) == 0,
	          "'%.*s' was accepted, but the text of its bytes is '%s'", (int)n, s, text);
}

Test(base64, round_trip_and_every_byte_everywhere)
{
	const unsigned int modes[] = { 0, PADDED };
	unsigned char data[64], out[64];
	char text[128];

	randombytes_buf(data, sizeof(data));
	for (size_t m = 0; m < 2; m++)
		for (size_t len = 0; len <= 20; len++) {
			size_t n, got;
			sodium_bin2base64(text, sizeof(text), data, len, variant(modes[m]));
			n = strlen(text);
			cr_assert(decode(out, sizeof(out), &got, text, n, modes[m]), "'%s'", text);
			cr_assert(got == len && memcmp(out, data, len) == 0);
			for (size_t i = 0; i < n; i++) {
				char saved = text[i];
				for (int c = 0; c < 256; c++) {
					text[i] = (char)c;
					assert_canonical(text, n, modes[m]);
				}
				text[i] = saved;
			}
			/* One character more or less, anywhere at the end. */
			for (int c = 0; c < 256; c++) {
				text[n] = (char)c;
				assert_canonical(text, n + 1, modes[m]);
			}
			if (n)
				assert_canonical(text, n - 1, modes[m]);
		}
}

Test(base64, high_bit_bytes)
{
	unsigned char out[8];
	size_t len;

	cr_assert_eq(gitchat_base64_decode(out, sizeof(out), &len, "AA//", 4, PADDED), 0);
	cr_assert(!decode(out, sizeof(out), &len, "AA\xaf/", 4, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "AA+\xab", 4, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "\xaf\xaf\xaf\xaf", 4, 0));
	cr_assert_eq(gitchat_base64_decode(out, sizeof(out), &len, "AA\xaf/", 4, PADDED),
	             GITCHAT_EINVALID);
	cr_assert(strstr(gitchat_error_last()->message, "character 3") != NULL, "%s",
	          gitchat_error_last()->message);
}

Test(base64, padding_whitespace_and_room)
{
	unsigned char out[8];
	size_t len;

	/* Padding as the flag asks, and only at the end. */
	cr_assert(decode(out, sizeof(out), &len, "QQ==", 4, PADDED) && len == 1 && out[0] == 'A');
	cr_assert(!decode(out, sizeof(out), &len, "QQ", 2, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "QQ=", 3, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "QQ===", 5, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "QQ==QQ==", 8, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "Q===", 4, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "QR==", 4, PADDED));   /* padding bits */
	cr_assert(decode(out, sizeof(out), &len, "QQ", 2, 0) && len == 1);
	cr_assert(!decode(out, sizeof(out), &len, "QQ==", 4, 0));
	cr_assert(!decode(out, sizeof(out), &len, "Q", 1, 0));
	cr_assert(decode(out, sizeof(out), &len, "", 0, 0) && len == 0);
	/* Whitespace only where the flags allow it. */
	cr_assert(decode(out, sizeof(out), &len, "QUJD\nREVG\n", 10, PADDED | GITCHAT_BASE64_SKIP_NL) &&
	          len == 6 && !memcmp(out, "ABCDEF", 6));
	cr_assert(!decode(out, sizeof(out), &len, "QUJD\nREVG", 9, PADDED));
	cr_assert(!decode(out, sizeof(out), &len, "QUJD\r\nREVG", 10, PADDED | GITCHAT_BASE64_SKIP_NL));
	cr_assert(decode(out, sizeof(out), &len, " QU\tJD\r\nREVG ", 13, PADDED | GITCHAT_BASE64_SKIP_WS) &&
	          len == 6);
	cr_assert(decode(out, sizeof(out), &len, "QQ=\n=\n", 6, PADDED | GITCHAT_BASE64_SKIP_NL) &&
	          len == 1);
	/* No more than the room given. */
	cr_assert(decode(out, 3, &len, "QUJD", 4, PADDED) && len == 3);
	cr_assert(!decode(out, 2, &len, "QUJD", 4, PADDED));
	cr_assert(!decode(out, 3, &len, "QUJDRA==", 8, PADDED));
}
