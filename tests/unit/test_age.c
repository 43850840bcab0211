/*
 * The age API (include/gitchat/age.h): keys as strings, round trips over
 * both recipient types and every payload size that matters to STREAM, and
 * hostile input: truncation at every length, a flipped bit anywhere,
 * altered MAC, payload and stanzas, the wrong key, oversized headers, bad
 * Bech32. Every failure is a clear error of the right kind, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define CHUNK (64 * 1024)
#define VECTORS GITCHAT_SOURCE_DIR "/tests/vectors/age/testdata"

static gitchat_age_identity *x25519(void)
{
	gitchat_age_identity *id;
	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_age_identity_generate(&id), 0);
	return t_keep(id);
}

static gitchat_age_identity *ssh_identity(gitchat_key **keyp)
{
	gitchat_key *key;
	gitchat_age_identity *id;
	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_key_generate(&key, "age@test"), 0);
	cr_assert_eq(gitchat_age_identity_from_key(&id, key), 0, "%s", gitchat_error_last()->message);
	if (keyp)
		*keyp = t_keep(key);
	else
		gitchat_key_free(key);
	return t_keep(id);
}

static gitchat_age_recipient *recipient_of(const gitchat_age_identity *id)
{
	gitchat_age_recipient *r;
	cr_assert_eq(gitchat_age_identity_recipient(&r, id), 0);
	return t_keep(r);
}

static unsigned char *pattern(size_t n)
{
	unsigned char *p = t_keep(malloc(n ? n : 1));
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + (i >> 16));
	return p;
}

static gitchat_buf encrypt_to(const gitchat_age_recipient *r, const void *data, size_t len,
                              unsigned int flags)
{
	gitchat_buf out = GITCHAT_BUF_INIT;
	const gitchat_age_recipient *rs[] = { r };
	cr_assert_eq(gitchat_age_encrypt(&out, rs, 1, data, len, flags), 0, "%s",
	             gitchat_error_last()->message);
	t_keep(out.ptr);
	return out;
}

/* Decrypts with one identity; returns the error code, *failure the kind. */
static int decrypt_with(gitchat_buf *plain, gitchat_age_failure *failure,
                        const gitchat_age_identity *id, const void *in, size_t len,
                        unsigned int flags)
{
	const gitchat_age_identity *ids[] = { id };
	int error = gitchat_age_decrypt(plain, failure, ids, 1, in, len, flags);
	t_keep(plain->ptr);
	return error;
}

Test(age, identity_and_recipient_strings_round_trip)
{
	gitchat_age_identity *id = x25519(), *back;
	gitchat_age_recipient *r = recipient_of(id), *rback;
	gitchat_buf s = GITCHAT_BUF_INIT, rs = GITCHAT_BUF_INIT, s2 = GITCHAT_BUF_INIT;

	cr_assert_eq(gitchat_age_identity_format(&s, id), 0);
	cr_assert_eq(s.size, 74);
	cr_assert(!strncmp(s.ptr, "AGE-SECRET-KEY-1", 16), "%s", s.ptr);
	for (size_t i = 0; i < s.size; i++)
		cr_assert(!(s.ptr[i] >= 'a' && s.ptr[i] <= 'z'), "identity is upper case: %s", s.ptr);
	cr_assert_eq(gitchat_age_identity_parse(&back, s.ptr, s.size), 0);
	t_keep(back);
	cr_assert_eq(gitchat_age_identity_format(&s2, back), 0);
	cr_assert_str_eq(s2.ptr, s.ptr);
	cr_assert_eq(gitchat_age_recipient_format(&rs, r), 0);
	cr_assert_eq(rs.size, 62);
	cr_assert(!strncmp(rs.ptr, "age1", 4));
	cr_assert_eq(gitchat_age_recipient_parse(&rback, rs.ptr, rs.size), 0);
	t_keep(rback);
	cr_assert_eq(gitchat_age_recipient_cmp(r, rback), 0);
	cr_assert_eq(gitchat_age_recipient_type(rback), GITCHAT_AGE_X25519);
	gitchat_age_buf_wipe(&s);
	gitchat_age_buf_wipe(&s2);
	gitchat_buf_dispose(&rs);
}

/* The example identity and recipient of the age README (age-keygen's
 * format), and a known vector identity. */
Test(age, known_strings)
{
	const char *id_s = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
	gitchat_age_identity *id;
	gitchat_age_recipient *r;
	gitchat_buf s = GITCHAT_BUF_INIT;

	cr_assert(gitchat_init() == 0);
	cr_assert_eq(gitchat_age_identity_parse(&id, id_s, strlen(id_s)), 0);
	t_keep(id);
	cr_assert_eq(gitchat_age_identity_format(&s, id), 0);
	cr_assert_str_eq(s.ptr, id_s);
	gitchat_age_buf_wipe(&s);
	/* age-keygen -y of the README's key */
	cr_assert_eq(gitchat_age_recipient_parse(&r,
		"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", 62), 0);
	t_keep(r);
	cr_assert_eq(gitchat_age_recipient_format(&s, r), 0);
	cr_assert_str_eq(s.ptr, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p");
	gitchat_buf_dispose(&s);
}

static void refused(int expect, const char *s, int identity, const char *needle)
{
	gitchat_age_identity *id = (void *)1;
	gitchat_age_recipient *r = (void *)1;
	int error = identity ? gitchat_age_identity_parse(&id, s, strlen(s))
	                     : gitchat_age_recipient_parse(&r, s, strlen(s));
	cr_assert_eq(error, expect, "'%s': got %d (%s)", s, error, gitchat_error_last()->message);
	cr_assert(identity ? id == NULL : r == NULL);
	t_assert_contains(gitchat_error_last()->message, needle);
}

Test(age, bad_strings_are_refused_with_their_reason)
{
	const char *good_r = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
	const char *good_i = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
	char buf[128];

	cr_assert(gitchat_init() == 0);
	/* one character changed: the checksum catches it */
	snprintf(buf, sizeof(buf), "%s", good_r);
	buf[10] = buf[10] == 'q' ? 'p' : 'q';
	refused(GITCHAT_EINVALID, buf, 0, "checksum");
	snprintf(buf, sizeof(buf), "%s", good_i);
	buf[20] = buf[20] == 'Q' ? 'P' : 'Q';
	refused(GITCHAT_EINVALID, buf, 1, "checksum");
	/* two characters swapped */
	snprintf(buf, sizeof(buf), "%s", good_r);
	{ char c = buf[30]; buf[30] = buf[31]; buf[31] = c; }
	if (strcmp(buf, good_r))
		refused(GITCHAT_EINVALID, buf, 0, "checksum");
	/* case rules: one case per string; recipients lower, identities upper */
	snprintf(buf, sizeof(buf), "%s", good_r);
	buf[20] = (char)(buf[20] >= 'a' ? buf[20] - 32 : buf[20]);
	refused(GITCHAT_EINVALID, "age1QL3Z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", 0, "case");
	refused(GITCHAT_EINVALID, "AGE1QL3Z7HJY54PW3HYWW5AYYFG7ZQGVC7W3J2ELW8ZMRJ2KG5SFN9AQMCAC8P", 0, "age1");
	refused(GITCHAT_EINVALID, "age-secret-key-1egtzvffv20835nwyv6270lxyvk2vknx2mmdkwyklmgr48uawx40q2p2lm0", 1,
	        "AGE-SECRET-KEY-1");
	/* truncated, extended, empty, not Bech32 */
	refused(GITCHAT_EINVALID, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8", 0, "characters");
	refused(GITCHAT_EINVALID, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8pq", 0, "characters");
	refused(GITCHAT_EINVALID, "", 0, "age1");
	refused(GITCHAT_EINVALID, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcacbo", 0, "Bech32");
	refused(GITCHAT_EINVALID, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg\xc3\xa9sfn9aqmcac8p", 0,
	        "printable");
	/* a NUL byte is not whitespace */
	{
		gitchat_age_recipient *r;
		char nul[80];
		size_t n = strlen(good_r);
		memcpy(nul, good_r, n);
		nul[n] = '\0';
		cr_assert_eq(gitchat_age_recipient_parse(&r, nul, n + 1), GITCHAT_EINVALID);
		cr_assert_eq(gitchat_age_recipient_parse(&r, nul, n), 0);
		gitchat_age_recipient_free(r);
	}
	/* plugins and other key types */
	refused(GITCHAT_EUNSUPPORTED, "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t", 0,
	        "plugin");
	refused(GITCHAT_EUNSUPPORTED, "AGE-PLUGIN-YUBIKEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQ", 1,
	        "plugin");
	refused(GITCHAT_EUNSUPPORTED, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x", 0, "ssh-ed25519");
	refused(GITCHAT_EINVALID, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 0, "damaged");
}

static void round_trip(const gitchat_age_identity *id, size_t len, unsigned int flags)
{
	const unsigned char *data = pattern(len);
	gitchat_buf enc = encrypt_to(recipient_of(id), data, len, flags);
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;
	size_t chunks = len ? (len + CHUNK - 1) / CHUNK : 1;

	if (flags & GITCHAT_AGE_ARMOR) {
		cr_assert(!strncmp(enc.ptr, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35));
		cr_assert(enc.size > 33 && !strcmp(enc.ptr + enc.size - 33,
		                                   "-----END AGE ENCRYPTED FILE-----\n"));
	} else {
		cr_assert(!strncmp(enc.ptr, "age-encryption.org/v1\n-> ", 25));
		/* the payload: nonce, data, one tag per 64 KiB chunk (a last full one) */
		const char *mac = strstr(enc.ptr, "\n--- ");
		cr_assert(mac);
		size_t header = (size_t)(mac - enc.ptr) + 5 + 43 + 1;
		cr_assert_eq(enc.size - header, 16 + len + 16 * chunks, "len %zu", len);
	}
	cr_assert_eq(decrypt_with(&plain, &f, id, enc.ptr, enc.size, 0), 0, "len %zu: %s", len,
	             gitchat_error_last()->message);
	cr_assert_eq(f, GITCHAT_AGE_OK);
	cr_assert_eq(plain.size, len);
	cr_assert(len == 0 || memcmp(plain.ptr, data, len) == 0, "len %zu", len);
}

Test(age, round_trips_x25519_and_ssh_over_chunk_boundaries)
{
	const size_t sizes[] = { 0, 1, 15, 16, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK,
	                         3 * CHUNK + 17, 300 * 1000 };
	gitchat_age_identity *ids[] = { x25519(), ssh_identity(NULL) };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
			round_trip(ids[k], sizes[i], 0);
			round_trip(ids[k], sizes[i], GITCHAT_AGE_ARMOR);
		}
}

Test(age, many_recipients_each_decrypt_and_others_do_not)
{
	gitchat_age_identity *ids[6], *stranger = ssh_identity(NULL);
	const gitchat_age_recipient *rs[6];
	gitchat_buf enc = GITCHAT_BUF_INIT, plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;

	for (int i = 0; i < 6; i++) {
		ids[i] = i % 2 ? ssh_identity(NULL) : x25519();
		rs[i] = recipient_of(ids[i]);
	}
	cr_assert_eq(gitchat_age_encrypt(&enc, rs, 6, "hello", 5, GITCHAT_AGE_ARMOR), 0);
	t_keep(enc.ptr);
	for (int i = 0; i < 6; i++) {
		gitchat_buf_clear(&plain);
		cr_assert_eq(decrypt_with(&plain, &f, ids[i], enc.ptr, enc.size, 0), 0);
		cr_assert_str_eq(plain.ptr, "hello");
	}
	/* the wrong key: no match, nothing written, a clear message */
	gitchat_buf_clear(&plain);
	cr_assert_eq(decrypt_with(&plain, &f, stranger, enc.ptr, enc.size, 0), GITCHAT_ENOTFOUND);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_NO_MATCH);
	cr_assert_eq(plain.size, 0);
	t_assert_contains(gitchat_error_last()->message, "6 recipients");
	/* and with all of them: the first that opens it */
	const gitchat_age_identity *all[] = { stranger, ids[3] };
	cr_assert_eq(gitchat_age_decrypt(&plain, &f, all, 2, enc.ptr, enc.size, 0), 0);
	cr_assert_str_eq(plain.ptr, "hello");
	gitchat_buf_dispose(&plain);
}

/* Every prefix of a file and every single-bit change of it fails cleanly
 * (no crash, no sanitizer report, a message), and releases nothing. */
static void every_truncation_and_bit_flip(const gitchat_age_identity *id, const char *file,
                                          size_t len)
{
	unsigned char *copy = t_keep(malloc(len));
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;

	for (size_t n = 0; n < len; n++) {
		int error = decrypt_with(&plain, &f, id, file, n, 0);
		cr_assert(error < 0 && f != GITCHAT_AGE_OK, "prefix %zu of %zu decrypted", n, len);
		cr_assert(gitchat_error_last()->message[0]);
		cr_assert_eq(plain.size, 0, "prefix %zu released plaintext", n);
	}
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, file, len);
			copy[i] ^= (unsigned char)(1 << bit);
			int error = decrypt_with(&plain, &f, id, copy, len, 0);
			cr_assert(error < 0, "byte %zu bit %d changed and still decrypted (0x%02x in:\n%.*s)", i, bit, (unsigned char)file[i], (int)len, file);
			cr_assert_eq(plain.size, 0);
		}
	gitchat_buf_dispose(&plain);
}

Test(age, truncated_or_altered_files_fail_cleanly)
{
	gitchat_age_identity *ids[] = { x25519(), ssh_identity(NULL) };

	for (int k = 0; k < 2; k++) {
		gitchat_buf bin = encrypt_to(recipient_of(ids[k]), "secret words", 12, 0);
		every_truncation_and_bit_flip(ids[k], bin.ptr, bin.size);
	}
}

Test(age, armored_truncation_and_bit_flips_fail_cleanly)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf arm = encrypt_to(recipient_of(id), "secret words", 12, GITCHAT_AGE_ARMOR);
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;

	for (size_t n = 0; n + 1 < arm.size; n++) {
		cr_assert(decrypt_with(&plain, &f, id, arm.ptr, n, 0) < 0, "prefix %zu", n);
		cr_assert_eq(plain.size, 0);
	}
	for (size_t i = 0; i < arm.size; i++) {
		char *copy = t_strndup(arm.ptr, arm.size);
		copy[i] ^= 0x01;
		int error = decrypt_with(&plain, &f, id, copy, arm.size, 0);
		/* a flipped bit in the final newline turns it into another
		 * whitespace-free byte: still refused */
		cr_assert(error < 0, "armor byte %zu changed and still decrypted", i);
		cr_assert_eq(plain.size, 0);
	}
	gitchat_buf_dispose(&plain);
}

static char *memdup_kept(const char *p, size_t n)
{
	char *c = t_keep(malloc(n + 1));
	memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

static char *binary_file(const gitchat_age_identity *id, size_t len, size_t *outlen)
{
	gitchat_buf b = encrypt_to(recipient_of(id), pattern(len), len, 0);
	*outlen = b.size;
	return b.ptr;
}

static size_t header_len(const char *file)
{
	const char *mac = strstr(file, "\n--- ");
	cr_assert(mac);
	return (size_t)(mac - file) + 5 + 43 + 1;
}

Test(age, bad_mac_and_tampered_payload_are_told_apart)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;
	size_t len, h;
	char *file = binary_file(id, 3 * CHUNK, &len), *copy;

	h = header_len(file);
	/* another valid MAC string */
	copy = memdup_kept(file, len);
	copy[h - 10] = copy[h - 10] == 'A' ? 'B' : 'A';
	cr_assert_eq(decrypt_with(&plain, &f, id, copy, len, 0), GITCHAT_EVERIFY);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_HMAC);
	t_assert_contains(gitchat_error_last()->message, "MAC");
	/* a byte of the second chunk: nothing by default */
	copy = memdup_kept(file, len);
	copy[h + 16 + CHUNK + 16 + 100] ^= 0x40;
	cr_assert_eq(decrypt_with(&plain, &f, id, copy, len, 0), GITCHAT_EVERIFY);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_PAYLOAD);
	cr_assert_eq(plain.size, 0);
	t_assert_contains(gitchat_error_last()->message, "chunk 2");
	/* ... or the first chunk, which authenticated, when asked */
	cr_assert_eq(decrypt_with(&plain, &f, id, copy, len, GITCHAT_AGE_KEEP_PARTIAL), GITCHAT_EVERIFY);
	cr_assert_eq(plain.size, CHUNK);
	cr_assert(!memcmp(plain.ptr, pattern(CHUNK), CHUNK));
	gitchat_buf_clear(&plain);
	/* cut at a chunk boundary: the last chunk is missing */
	cr_assert_eq(decrypt_with(&plain, &f, id, file, h + 16 + 2 * (CHUNK + 16), 0), GITCHAT_EVERIFY);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_PAYLOAD);
	t_assert_contains(gitchat_error_last()->message, "cut");
	/* data after the last chunk */
	copy = t_keep(malloc(len + 1));
	memcpy(copy, file, len);
	copy[len] = 'x';
	cr_assert_eq(decrypt_with(&plain, &f, id, copy, len + 1, 0), GITCHAT_EVERIFY);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_PAYLOAD);
	cr_assert_eq(plain.size, 0);
	/* the header cut inside */
	cr_assert_eq(decrypt_with(&plain, &f, id, file, h - 5, 0), GITCHAT_EINVALID);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_HEADER);
	gitchat_buf_dispose(&plain);
}

/* A header with `n` extra stanzas of `arglen`-byte arguments before ours. */
static char *padded_header(const char *file, size_t len, size_t n, size_t arglen,
                           size_t *outlen)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	const char *first = strstr(file, "-> ");
	cr_assert(first);
	gitchat_buf_put(&b, file, (size_t)(first - file));
	for (size_t i = 0; i < n; i++) {
		gitchat_buf_puts(&b, "-> grease ");
		for (size_t j = 0; j < arglen; j++)
			gitchat_buf_put(&b, "a", 1);
		gitchat_buf_puts(&b, "\n\n");
	}
	gitchat_buf_put(&b, first, len - (size_t)(first - file));
	*outlen = b.size;
	return t_keep(b.ptr);
}

Test(age, oversized_headers_are_refused)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;
	size_t len, big;
	char *file = binary_file(id, 10, &len), *h;

	/* unknown stanzas are skipped (then the MAC, over them too, fails:
	 * they were not in the header the sender wrote) */
	h = padded_header(file, len, 3, 10, &big);
	cr_assert_eq(decrypt_with(&plain, &f, id, h, big, 0), GITCHAT_EVERIFY);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_HMAC);
	/* too many stanzas */
	h = padded_header(file, len, GITCHAT_AGE_MAX_STANZAS + 1, 1, &big);
	cr_assert_eq(decrypt_with(&plain, &f, id, h, big, 0), GITCHAT_EINVALID);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_HEADER);
	t_assert_contains(gitchat_error_last()->message, "stanzas");
	/* one line too long */
	h = padded_header(file, len, 1, GITCHAT_AGE_MAX_LINE + 1, &big);
	cr_assert_eq(decrypt_with(&plain, &f, id, h, big, 0), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "longer than");
	/* a header longer than the limit, in lines within it */
	h = padded_header(file, len, GITCHAT_AGE_MAX_HEADER / 2000 + 1, 2000, &big);
	cr_assert_eq(decrypt_with(&plain, &f, id, h, big, 0), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "bytes");
	/* a huge stanza body */
	{
		gitchat_buf b = GITCHAT_BUF_INIT;
		gitchat_buf_puts(&b, "age-encryption.org/v1\n-> X25519 x\n");
		for (int i = 0; i < 30000; i++)
			gitchat_buf_puts(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
		t_keep(b.ptr);
		cr_assert_eq(decrypt_with(&plain, &f, id, b.ptr, b.size, 0), GITCHAT_EINVALID);
		cr_assert_eq(f, GITCHAT_AGE_FAIL_HEADER);
	}
	/* no line end at all in a long input */
	{
		char *junk = t_keep(malloc(1 << 20));
		memset(junk, 'a', 1 << 20);
		cr_assert_eq(decrypt_with(&plain, &f, id, junk, 1 << 20, GITCHAT_AGE_BINARY),
		             GITCHAT_EINVALID);
		cr_assert_eq(f, GITCHAT_AGE_FAIL_HEADER);
	}
	cr_assert_eq(plain.size, 0);
	gitchat_buf_dispose(&plain);
}

Test(age, scrypt_and_plugins_are_refused_clearly)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;
	size_t len;
	char *v = t_keep(t_read_file(VECTORS "/scrypt", &len)), *file;

	cr_assert(v);
	file = strstr(v, "\n\n");
	cr_assert(file);
	file += 2;
	cr_assert_eq(decrypt_with(&plain, &f, id, file, len - (size_t)(file - v), 0),
	             GITCHAT_EUNSUPPORTED);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_UNSUPPORTED);
	t_assert_contains(gitchat_error_last()->message, "passphrase");
	gitchat_buf_dispose(&plain);
}

Test(age, sealed_identities_round_trip)
{
	gitchat_key *key;
	gitchat_age_identity *member = ssh_identity(&key), *other = ssh_identity(NULL);
	gitchat_age_identity *epochs[] = { x25519(), x25519(), x25519() }, **back;
	const gitchat_age_identity *cepochs[] = { epochs[0], epochs[1], epochs[2] };
	gitchat_age_recipient *r;
	gitchat_buf enc = GITCHAT_BUF_INIT, a = GITCHAT_BUF_INIT, b = GITCHAT_BUF_INIT;
	size_t n;

	cr_assert_eq(gitchat_age_recipient_from_pubkey(&r, gitchat_key_public(key)), 0);
	t_keep(r);
	const gitchat_age_recipient *rs[] = { r };
	cr_assert_eq(gitchat_age_encrypt_identities(&enc, rs, 1, cepochs, 3, GITCHAT_AGE_ARMOR), 0);
	t_keep(enc.ptr);
	const gitchat_age_identity *mine[] = { member }, *theirs[] = { other };
	cr_assert_eq(gitchat_age_decrypt_identities(&back, &n, mine, 1, enc.ptr, enc.size, 0), 0);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < 3; i++) {
		gitchat_buf_clear(&a);
		gitchat_buf_clear(&b);
		cr_assert_eq(gitchat_age_identity_format(&a, epochs[i]), 0);
		cr_assert_eq(gitchat_age_identity_format(&b, back[i]), 0);
		cr_assert_str_eq(a.ptr, b.ptr);
	}
	gitchat_age_identities_free(back, n);
	cr_assert_eq(gitchat_age_decrypt_identities(&back, &n, theirs, 1, enc.ptr, enc.size, 0),
	             GITCHAT_ENOTFOUND);
	cr_assert(back == NULL && n == 0);
	/* an age file whose text is not identities */
	gitchat_buf_clear(&enc);
	cr_assert_eq(gitchat_age_encrypt(&enc, rs, 1, "hello\n", 6, 0), 0);
	cr_assert_eq(gitchat_age_decrypt_identities(&back, &n, mine, 1, enc.ptr, enc.size, 0),
	             GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "line 1");
	gitchat_age_buf_wipe(&a);
	gitchat_age_buf_wipe(&b);
	gitchat_buf_dispose(&enc);
}

Test(age, bad_arguments)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf out = GITCHAT_BUF_INIT;
	const gitchat_age_recipient *none[] = { NULL };
	gitchat_age_failure f;

	cr_assert_eq(gitchat_age_encrypt(&out, NULL, 0, "x", 1, 0), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "no recipient");
	cr_assert_eq(gitchat_age_encrypt(&out, none, 1, "x", 1, 0), GITCHAT_EINVALID);
	cr_assert_eq(gitchat_age_encrypt(&out, none, 1, "x", 1, 0x100), GITCHAT_EINVALID);
	cr_assert_eq(out.size, 0);
	cr_assert_eq(decrypt_with(&out, &f, id, "", 0, 0), GITCHAT_EINVALID);
	cr_assert_eq(f, GITCHAT_AGE_FAIL_HEADER);
	cr_assert_eq(gitchat_age_decrypt(&out, &f, NULL, 0, "age-encryption.org/v1\n", 22, 0),
	             GITCHAT_EINVALID);
	gitchat_buf_dispose(&out);
}

/* A file whose text part (header, or the whole armor) holds a '/' or '+'. */
static gitchat_buf file_with_slash(const gitchat_age_identity *id, unsigned int flags,
                                   size_t *at)
{
	for (int tries = 0; tries < 1000; tries++) {
		gitchat_buf b = encrypt_to(recipient_of(id), "x", 1, flags);
		/* armor: its base64 lines; binary: the MAC, the one header line
		 * outside the MAC (the version line has a '/' of its own) */
		int armor = (flags & GITCHAT_AGE_ARMOR) != 0;
		size_t end = armor ? b.size : header_len(b.ptr);
		size_t start = armor ? strlen("-----BEGIN AGE ENCRYPTED FILE-----\n") : end - 44;
		for (size_t i = start; i < end; i++)
			if (b.ptr[i] == '/' || b.ptr[i] == '+') {
				*at = i;
				return b;
			}
	}
	cr_assert_fail("no '/' or '+' in 1000 files");
	return (gitchat_buf)GITCHAT_BUF_INIT;
}

/* libsodium 1.0.18 decodes 0xaf as '/' and 0xab as '+': without our own
 * alphabet check, such a byte would be a second encoding of one file. */
Test(age, high_bit_bytes_are_not_base64)
{
	gitchat_age_identity *id = x25519();
	gitchat_buf plain = GITCHAT_BUF_INIT;
	gitchat_age_failure f;

	for (int armor = 0; armor < 2; armor++)
		for (int round = 0; round < 20; round++) {
			size_t at;
			gitchat_buf b = file_with_slash(id, armor ? GITCHAT_AGE_ARMOR : 0, &at);
			char *copy = memdup_kept(b.ptr, b.size);
			copy[at] = (char)(copy[at] | 0x80);
			cr_assert(decrypt_with(&plain, &f, id, copy, b.size, 0) < 0,
			          "0x%02x at %zu accepted as '%c'", (unsigned char)copy[at], at, b.ptr[at]);
			cr_assert_eq(plain.size, 0);
		}
	/* and in an ssh public key line */
	gitchat_age_recipient *r;
	char line[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHz2CbT0zWYoYeh6UUWg0EvR7kIh3ZwHMzAr6Mw/kKqY";
	*strrchr(line, '/') = (char)0xaf;
	cr_assert_eq(gitchat_age_recipient_parse(&r, line, strlen(line)), GITCHAT_EINVALID);
	gitchat_buf_dispose(&plain);
}
