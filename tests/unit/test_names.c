/*
 * Small pieces through the exported API: room names, key names and
 * fingerprints, time and JSON formatting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

Test(names, valid_rooms)
{
	char max[65];
	memset(max, 'z', 64);
	max[64] = '\0';
	const char *ok[] = { "general", "a", "0", "9lives", "a-b_c.d", "x.y.z", "lock", "a.locks",
	                     "dev-2025", "a_", "a-", max, "_identity",
	                     "_0123456789abcdef01234567" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		cr_assert_eq(gitchat_room_validate(ok[i]), 0, "'%s': %s", ok[i],
		             gitchat_error_last()->message);
}

Test(names, invalid_rooms)
{
	char over[66];
	memset(over, 'z', 65);
	over[65] = '\0';
	const char *bad[] = { NULL, "", over, "../x", "a..b", "..", ".", "x.lock", "a.b.lock", "x.",
	                      "General", "has space", "a/b", "/", "-x", "_x", ".x", "tab\t",
	                      "_", "_identit", "_identity2", "_Identity", "_0123456789ABCDEF01234567",
	                      "_0123456789abcdef0123456", "_0123456789abcdef012345678",
	                      "_0123456789abcdef0123456g", "__identity",
	                      "new\nline", "caf\xc3\xa9", "a*", "a~b", "a^b", "a:b", "a?b", "a[b",
	                      "a\\b", "@", "a@{b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		gitchat_error_clear();
		cr_assert_eq(gitchat_room_validate(bad[i]), GITCHAT_EINVALID, "'%s' accepted",
		             bad[i] ? bad[i] : "(null)");
		cr_assert_eq(gitchat_error_last()->code, GITCHAT_EINVALID);
		t_assert_contains(gitchat_error_last()->message, "room");
	}
}

Test(names, special_rooms)
{
	cr_assert_eq(gitchat_room_type("general"), GITCHAT_ROOM_PUBLIC);
	cr_assert_eq(gitchat_room_type("a_"), GITCHAT_ROOM_PUBLIC);
	cr_assert_eq(gitchat_room_type("_identity"), GITCHAT_ROOM_IDENTITY);
	cr_assert_eq(gitchat_room_type("_0123456789abcdef01234567"), GITCHAT_ROOM_PRIVATE);
	cr_assert_eq(gitchat_room_type("_0123456789ABCDEF01234567"), GITCHAT_ROOM_INVALID);
	cr_assert_eq(gitchat_room_type("_x"), GITCHAT_ROOM_INVALID);
	gitchat_error_clear();
	cr_assert_eq(gitchat_room_validate("_x"), GITCHAT_EINVALID);
	t_assert_contains(gitchat_error_last()->message, "only git-chat's own rooms");
}

Test(names, pubkey_hex_and_fingerprint_match_sshkeygen)
{
	const char *dir = t_scratch();
	char *path = t_keep(t_keygen(dir, "k", 0));
	gitchat_key *k = NULL;
	gitchat_pubkey back;
	char hex[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_buf line = GITCHAT_BUF_INIT;

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_key_load(&k, path), 0);
	gitchat_pubkey_hex(hex, gitchat_key_public(k));
	cr_assert_eq(strlen(hex), 64);
	cr_assert_eq(gitchat_pubkey_from_hex(&back, hex), 0);
	cr_assert_eq(gitchat_pubkey_cmp(&back, gitchat_key_public(k)), 0);
	gitchat_pubkey_fingerprint(fp, gitchat_key_public(k));
	t_run r = t_sh("ssh-keygen -l -f '%s' | cut -d' ' -f2", path);
	cr_assert_eq(strncmp(r.out, fp, strlen(fp)), 0, "ours %s, ssh-keygen %s", fp, r.out);
	cr_assert_eq(r.out[strlen(fp)], '\n');
	t_run_free(&r);
	cr_assert_eq(gitchat_pubkey_line(&line, gitchat_key_public(k), NULL), 0);
	r = t_sh("cut -d' ' -f1,2 '%s.pub'", path);
	cr_assert_eq(strncmp(r.out, line.ptr, line.size), 0);
	t_run_free(&r);

	/* Key names in refs are exactly 64 lowercase hex digits. */
	char upper[65];
	strcpy(upper, hex);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (strcmp(upper, hex) != 0)
		cr_assert_eq(gitchat_pubkey_from_hex(&back, upper), GITCHAT_EINVALID,
		             "upper-case hex accepted");
	char shorter[64];
	memcpy(shorter, hex, 63);
	shorter[63] = '\0';
	cr_assert_eq(gitchat_pubkey_from_hex(&back, shorter), GITCHAT_EINVALID);
	char longer[66];
	snprintf(longer, sizeof(longer), "%s0", hex);
	cr_assert_eq(gitchat_pubkey_from_hex(&back, longer), GITCHAT_EINVALID);
	char nonhex[65];
	strcpy(nonhex, hex);
	nonhex[10] = 'g';
	cr_assert_eq(gitchat_pubkey_from_hex(&back, nonhex), GITCHAT_EINVALID);
	gitchat_buf_dispose(&line);
	gitchat_key_free(k);
}

Test(names, rfc3339_times)
{
	struct { int64_t t; const char *want; } cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1764150000, "2025-11-26T09:40:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 4107542399, "2100-02-28T23:59:59Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
		{ 253402300799, "9999-12-31T23:59:59Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		gitchat_buf b = GITCHAT_BUF_INIT;
		cr_assert_eq(gitchat_time_format_rfc3339(&b, cases[i].t), 0);
		cr_assert_str_eq(b.ptr, cases[i].want, "time %lld", (long long)cases[i].t);
		/* ...and GNU date agrees. */
		t_run r = t_sh("date -u -d @%lld +%%Y-%%m-%%dT%%H:%%M:%%SZ", (long long)cases[i].t);
		cr_assert_eq(strncmp(r.out, b.ptr, b.size), 0, "date says %s", r.out);
		t_run_free(&r);
		gitchat_buf_dispose(&b);
	}
}

Test(names, json_strings)
{
	struct { const char *in; size_t len; const char *want; } cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "q\"b\\", 4, "\"q\\\"b\\\\\"" },
		{ "\n\r\t", 3, "\"\\n\\r\\t\"" },
		{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"" },
		{ "\x1b[31mred", 8, "\"\\u001b[31mred\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "Gr\xc3\xbc\xc3\x9f", 6, "\"Gr\xc3\xbc\xc3\x9f\"" },
		{ "</script>", 9, "\"</script>\"" },
		{ "", 0, "\"\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		gitchat_buf b = GITCHAT_BUF_INIT;
		cr_assert_eq(gitchat_json_quote(&b, cases[i].in, cases[i].len), 0);
		cr_assert_str_eq(b.ptr, cases[i].want, "case %zu", i);
		gitchat_buf_dispose(&b);
	}
}
