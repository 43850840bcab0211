/*
 * `git chat log` output (text and JSON, -n) and `git chat allowed-signers`,
 * byte for byte on messages with fixed dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

static t_run log_run(const char *store, const char *a1, const char *a2, const char *a3)
{
	const char *args[] = { "log", a1, a2, a3, NULL };
	t_run r = t_chat(store, NULL, args);
	cr_assert_eq(r.status, 0, "log: %s", r.err);
	cr_assert_str_eq(r.err, "");
	return r;
}

Test(log, json_and_text_byte_for_byte)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *ka = t_keygen(dir, "alice", 1), *kb = t_keygen(dir, "bob", 0);
	const char *ea[] = { "GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.org",
	                     "GIT_AUTHOR_DATE=@1764150000 +0100", NULL };
	const char *eb[] = { "GIT_AUTHOR_NAME=Bob \"B\"", "GIT_AUTHOR_EMAIL=bob@example.org",
	                     "GIT_AUTHOR_DATE=@1764149000 +0000", NULL };
	char *m1 = t_send_env(store, ka, "general", "hello *world*", ea);
	/* Bob's clock is behind: his answer still comes after what he saw. */
	char *m2 = t_send_env(store, kb, "general", "line one\nline two\t\"quoted\"", eb);
	char *fa = t_fingerprint(ka), *fb = t_fingerprint(kb);
	char *ha = t_key_hex(ka), *hb = t_key_hex(kb);
	t_run r;

	r = log_run(store, "--format=json", NULL, NULL);
	char *want = t_fmt(
		"{\"id\":\"%s\",\"room\":\"general\",\"author\":{\"name\":\"Alice\","
		"\"email\":\"alice@example.org\",\"key\":\"%s\",\"fingerprint\":\"%s\"},"
		"\"time\":\"2025-11-26T09:40:00Z\",\"text\":\"hello *world*\",\"reply_to\":null,"
		"\"parents\":[],\"files\":[],\"edited\":false,\"redacted\":false,\"reactions\":{},"
		"\"person\":{\"name\":\"Alice\",\"profile\":false,\"name_shared\":false,"
		"\"key\":\"%s\",\"fingerprint\":\"%s\"}}\n"
		"{\"id\":\"%s\",\"room\":\"general\",\"author\":{\"name\":\"Bob \\\"B\\\"\","
		"\"email\":\"bob@example.org\",\"key\":\"%s\",\"fingerprint\":\"%s\"},"
		"\"time\":\"2025-11-26T09:23:20Z\",\"text\":\"line one\\nline two\\t\\\"quoted\\\"\","
		"\"reply_to\":null,\"parents\":[\"%s\"],\"files\":[],\"edited\":false,\"redacted\":false,"
		"\"reactions\":{},\"person\":{\"name\":\"Bob \\\"B\\\"\",\"profile\":false,"
		"\"name_shared\":false,\"key\":\"%s\",\"fingerprint\":\"%s\"}}\n",
		m1, ha, fa, ha, fa, m2, hb, fb, m1, hb, fb);
	cr_assert_str_eq(r.out, want);
	t_run_free(&r);

	r = log_run(store, NULL, NULL, NULL);
	/* Text is rendered Markdown (tests/golden pins its bytes): check the
	 * order and what each entry says. */
	want = t_fmt("09:40  Alice (%.15s)  %.8s\n  hello world\n"
	             "09:23  Bob \"B\" (%.15s)  %.8s\n  line one line two \"quoted\"\n",
	             fa, m1, fb, m2);
	t_assert_contains(r.out, "Wednesday 26 November 2025");
	t_assert_contains(r.out, want);
	t_run_free(&r);

	/* -n: the last N. */
	r = log_run(store, "-n", "1", "--format=json");
	cr_assert_eq(t_count_lines(r.out), 1);
	t_assert_contains(r.out, m2);
	t_run_free(&r);
	r = log_run(store, "-n", "5", "--format=json");
	cr_assert_eq(t_count_lines(r.out), 2);
	t_run_free(&r);
	r = log_run(store, "-n", "0", NULL);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
	/* A room with no log is an error that names the rooms there are
	 * (a misspelt room used to print nothing); tests/cli/test_readers.c has more. */
	{
		const char *args[] = { "log", "-r", "empty", NULL };
		r = t_chat(store, NULL, args);
		cr_assert_eq(r.status, 128, "%s", r.err);
		cr_assert_str_eq(r.out, "");
		t_assert_contains(r.err, "no room 'empty' in this store; its rooms: general");
		t_run_free(&r);
	}
}

Test(log, terminal_control_bytes_are_shown_not_obeyed)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	const char *env[] = { "GIT_AUTHOR_NAME=Eve\x1b[2J", NULL };
	t_send_env(store, key, "general", "red \x1b[31malert\x07 \x7f", env);
	t_run r = log_run(store, NULL, NULL, NULL);
	cr_assert(!strchr(r.out, '\x1b') && !strchr(r.out, '\x07') && !strchr(r.out, '\x7f'),
	          "control bytes reached the terminal: %s", r.out);
	t_assert_contains(r.out, "Eve^[[2J (");
	t_assert_contains(r.out, "red ^[[31malert^G ^?\n");
	t_run_free(&r);
	r = log_run(store, "--format=json", NULL, NULL);
	t_assert_contains(r.out, "\"name\":\"Eve\\u001b[2J\"");
	t_assert_contains(r.out, "\"text\":\"red \\u001b[31malert\\u0007 \\u007f\"");
	t_run_free(&r);
}

Test(log, allowed_signers_for_every_author)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *ka = t_keygen(dir, "a", 1), *kb = t_keygen(dir, "b", 0);
	const char *ea[] = { "GIT_AUTHOR_EMAIL=alice@example.org", NULL };
	const char *eb[] = { "GIT_AUTHOR_EMAIL=not an address", NULL };
	char *a1 = t_send_env(store, ka, "general", "a1", ea);
	char *b1 = t_send_env(store, kb, "dev", "b1", eb);
	char *a2 = t_send_env(store, ka, "dev", "a2", ea);
	char *hb = t_key_hex(kb);
	const char *args[] = { "allowed-signers", NULL };
	t_run r = t_chat(store, NULL, args);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	/* A claim that is not a plain address cannot be a principal. */
	char *want_b = t_fmt("key-%.16s namespaces=\"git\" ssh-ed25519 ", hb);
	t_assert_contains(r.out, want_b);
	t_assert_contains(r.out, "alice@example.org namespaces=\"git\" ssh-ed25519 ");
	char *signers = t_path(dir, "signers");
	t_write_file(signers, r.out, r.out_len);
	t_run_free(&r);
	const char *ids[] = { a1, b1, a2 };
	for (size_t i = 0; i < 3; i++) {
		r = t_sh("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
		         "verify-commit %s", store, signers, ids[i]);
		cr_assert_eq(r.status, 0, "%s: %s", ids[i], r.err);
		t_run_free(&r);
	}
	/* One room only. */
	const char *dev[] = { "allowed-signers", "-r", "general", NULL };
	r = t_chat(store, NULL, dev);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	t_assert_contains(r.out, "alice@example.org");
	t_run_free(&r);
}
