/*
 * What a second new-user trial met: one email claimed by several keys in
 * allowed-signers, a typo in -r making a room, acting on a deleted message,
 * follow's re-shown messages, a private key open to others, the new-messages
 * rule in a pipe, the rooms columns, unknown commands, the README.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"


Test(notices, allowed_signers_warns_about_an_email_claimed_by_several_keys)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *alice = t_keygen(dir, "alice", 1), *mallory = t_keygen(dir, "mallory", 1);
	char *bob = t_keygen(dir, "bob", 0);
	const char *as_alice[] = { "GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.org",
	                           NULL };
	const char *as_bob[] = { "GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.org", NULL };
	char *signers = t_path(dir, "signers"), *forged;
	t_run r;

	free(t_send_env(store, alice, "general", "hi, I am Alice", as_alice));
	free(t_send_env(store, bob, "general", "hi, Bob here", as_bob));
	/* One key per email: no warning. */
	r = t_chatv(store, "allowed-signers");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_run_free(&r);

	/* Mallory claims Alice's email: stock git would call her commit Alice's. */
	forged = t_send_env(store, mallory, "general", "send me your password", as_alice);
	r = t_chatv(store, "allowed-signers");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The file is unchanged in form: still one line per key and email. */
	cr_assert_eq(t_count_lines(r.out), 3, "%s", r.out);
	cr_assert_eq(t_count(r.out, "alice@example.org namespaces=\"git\" ssh-ed25519 "), 2, "%s",
	             r.out);
	t_assert_contains(r.err, "warning: 2 keys claim the email 'alice@example.org'");
	t_assert_contains(r.err, t_fingerprint(alice));
	t_assert_contains(r.err, t_fingerprint(mallory));
	cr_assert_eq(strstr(r.err, t_fingerprint(bob)), NULL, "%s", r.err);
	cr_assert_eq(strstr(r.err, "bob@example.org"), NULL, "%s", r.err);
	t_assert_contains(r.err, "git will accept a signature by any of these keys");
	t_assert_contains(r.err, "keep only the line of the key you know");
	t_assert_contains(r.err, "'git chat log'");
	t_write_file(signers, r.out, strlen(r.out));
	t_run_free(&r);
	/* What the warning is about: git's verdict names Alice for Mallory. */
	r = t_sh("git --git-dir='%s' -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='%s' "
	         "verify-commit %s", store, signers, forged);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "alice@example.org");
	t_run_free(&r);

	/* -r on one room only counts that room's authors. */
	free(t_send_env(store, bob, "random", "elsewhere", as_bob));
	r = t_chatv(store, "allowed-signers", "-r", "random");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_run_free(&r);

	/* The help says it. */
	r = t_chatv(store, "allowed-signers", "--help");
	t_assert_contains(r.out, "several keys claim the same one");
	t_run_free(&r);
}

Test(notices, allowed_signers_unknown_room_is_an_error)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	t_run r;

	free(t_send(store, key, "general", "hello"));
	free(t_send(store, key, "random", "elsewhere"));
	r = t_chatv(store, "allowed-signers", "-r", "genral");
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	t_assert_contains(r.err, "fatal: no room 'genral'");
	t_assert_contains(r.err, "general, random");
	t_assert_contains(r.err, "'git chat rooms'");
	t_run_free(&r);
	r = t_chatv(store, "allowed-signers", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 1, "%s", r.out);
	t_run_free(&r);
}

Test(notices, send_notes_a_new_room)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	t_run r;

	/* The first room of a store is new too. */
	r = t_chatv(store, "send", "--key", key, "-r", "general", "-m", "hello");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "note: 'general' is a new room (the first in this store)\n");
	t_run_free(&r);
	free(t_send(store, key, "dev", "code"));

	/* A room that exists: nothing said. */
	r = t_chatv(store, "send", "--key", key, "-r", "general", "-m", "again");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);

	/* A typo: sent all the same, and said, with the rooms there are. */
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "oops");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strlen(r.out), 41, "%s", r.out);
	cr_assert_str_eq(r.err, "note: 'genral' is a new room (rooms here: dev, general)\n");
	t_run_free(&r);
	r = t_chatv(store, "log", "-r", "genral");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "oops");
	t_run_free(&r);
	/* Once: the room exists now. */
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "oops again");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);

	/* A room that only a remote's copy has is not new. */
	{
		char *b = t_store(dir, "b");
		r = t_chatv(b, "sync", "-q", store);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_run_free(&r);
		r = t_chatv(b, "send", "--key", key, "-r", "dev", "-m", "from b");
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_str_eq(r.err, "");
		t_run_free(&r);
	}

	/* A failed send says nothing about rooms. */
	r = t_chatv(store, "send", "--key", t_path(dir, "no-such-key"), "-r", "other", "-m", "x");
	cr_assert_eq(r.status, 128);
	cr_assert_eq(strstr(r.err, "new room"), NULL, "%s", r.err);
	t_run_free(&r);
}

Test(notices, redact_or_edit_of_a_deleted_message_is_refused)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *id = t_send(store, key, "general", "regrettable"), *snap, short_id[9];
	t_run r;

	snprintf(short_id, sizeof(short_id), "%.8s", id);
	/* Editing, then redacting, a live message works. */
	r = t_chatv(store, "edit", "--key", key, id, "still regrettable");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "redact", "--key", key, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	snap = t_snapshot(store);
	r = t_chatv(store, "redact", "--key", key, id);
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, t_fmt("fatal: message %s is already deleted; nothing to do\n",
	                              short_id));
	t_run_free(&r);
	r = t_chatv(store, "edit", "--key", key, "-m", "hidden anyway", short_id);
	cr_assert_eq(r.status, 128, "%d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, t_fmt("fatal: message %s was deleted; an edit would not be "
	                              "shown\n", short_id));
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), snap, "a refused command wrote something");

	/* The reader still shows the deletion, not the edit. */
	r = t_chatv(store, "log", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "\"redacted\":true");
	cr_assert_eq(strstr(r.out, "hidden anyway"), NULL, "%s", r.out);
	t_run_free(&r);

	/* Another message of the room is not affected. */
	char *other = t_send(store, key, "general", "fine");
	r = t_chatv(store, "edit", "--key", key, other, "fine, edited");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "redact", "--key", key, other);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

/* follow for a few seconds while `later` (a shell command) runs after 1.5 s. */
static t_run follow_while(const char *store, const char *args, const char *later)
{
	return t_sh("(sleep 1.5; %s) & GIT_DIR='%s' timeout --preserve-status -s INT 5 '%s' "
	            "follow --interval 0.2 --color=never --no-mark-read %s; s=$?; wait; exit $s",
	            later, store, GITCHAT_BIN, args);
}

Test(notices, follow_marks_a_message_shown_again_as_an_update)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *first = t_send(store, key, "general", "first words");
	char *later;
	const char *line;
	t_run r;

	free(t_send(store, key, "general", "second words"));
	later = t_fmt("GIT_DIR='%s' '%s' react --key '%s' %s +1 >/dev/null; "
	              "GIT_DIR='%s' '%s' send --key '%s' -m 'third words' >/dev/null",
	              store, GITCHAT_BIN, key, first, store, GITCHAT_BIN, key);

	r = follow_while(store, "", later);
	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	/* first, second, first again (updated), third: only the re-shown one
	 * is marked, on its header line. */
	cr_assert_eq(t_count(r.out, "first words"), 2, "%s", r.out);
	cr_assert_eq(t_count(r.out, "(updated)"), 1, "%s", r.out);
	line = strstr(r.out, "(updated) ");
	cr_assert(line && (line == r.out || line[-1] == '\n'), "%s", r.out);
	cr_assert(!strncmp(strchr(line, '\n') + 1, "  first words\n", 14), "%s", r.out);
	t_assert_contains(line, t_fmt("%.8s", first));
	cr_assert(strstr(r.out, "second words") < line, "%s", r.out);
	cr_assert(strstr(r.out, "third words") > line, "%s", r.out);
	t_run_free(&r);

	later = t_fmt("GIT_DIR='%s' '%s' edit --key '%s' %s 'first words, edited' >/dev/null",
	              store, GITCHAT_BIN, key, first);
	r = follow_while(store, "--format=json -n 1", later);
	cr_assert_eq(r.status, 0, "follow ended with %d: %s", r.status, r.err);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	line = strchr(r.out, '\n') + 1;
	/* The start: "update": false; the edited message: true. */
	cr_assert(strstr(r.out, "third words") < line, "%s", r.out);
	cr_assert(strstr(r.out, ",\"update\":false}\n") == line - 17, "%s", r.out);
	t_assert_contains(line, t_fmt("{\"id\":\"%s\"", first));
	t_assert_contains(line, "first words, edited");
	cr_assert(!strcmp(line + strlen(line) - 16, ",\"update\":true}\n"), "%s", line);
	t_run_free(&r);

	/* Documented. */
	r = t_chatv(store, "follow", "--help");
	t_assert_contains(r.out, "(updated)");
	t_assert_contains(r.out, "\"update\": true");
	t_run_free(&r);
	{
		char *doc = t_read_file(GITCHAT_SOURCE_DIR "/docs/reading.md", NULL);
		t_assert_contains(doc, "\"update\"");
		free(doc);
	}
}

Test(notices, a_private_key_open_to_others_is_warned_about)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store"), *key = t_keygen(dir, "k", 1);
	char *id = t_send(store, key, "general", "hello");
	const char *want = "is open to other users (mode 0644)";
	t_run r;

	cr_assert_eq(chmod(key, 0644), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "still works");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strlen(r.out), 41, "%s", r.out);
	t_assert_contains(r.err, t_fmt("warning: the private key '%s' %s", key, want));
	t_assert_contains(r.err, t_fmt("chmod 600 '%s'", key));
	cr_assert_eq(t_count_lines(r.err), 1, "%s", r.err);
	t_run_free(&r);
	/* The same for the commands that sign a change, and whoami. */
	r = t_chatv(store, "react", "--key", key, id, "+1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, want);
	t_run_free(&r);
	r = t_chatv(store, "whoami", "--key", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, want);
	t_run_free(&r);
	/* Group-readable only is open too. */
	cr_assert_eq(chmod(key, 0640), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "group");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "(mode 0640)");
	t_run_free(&r);

	cr_assert_eq(chmod(key, 0600), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "quiet now");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
	/* 0400 is private too. */
	cr_assert_eq(chmod(key, 0400), 0);
	r = t_chatv(store, "send", "--key", key, "-m", "read-only key");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	t_run_free(&r);
}

Test(notices, new_messages_rule_only_on_a_terminal_or_when_asked)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *alice = t_keygen(dir, "alice", 1), *bob = t_keygen(dir, "bob", 1);
	t_run r;

	free(t_send(store, alice, "general", "one"));
	free(t_send(store, bob, "general", "two"));
	r = t_chatv(store, "log", "--key", alice, "--mark-read");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	free(t_send(store, bob, "general", "three"));
	free(t_send(store, bob, "general", "four"));

	/* A pipe: no rule (and the marker stays). */
	r = t_chatv(store, "log", "--key", alice, "-n", "4", "--color=never");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "four");
	cr_assert_eq(strstr(r.out, "── new"), NULL, "%s", r.out);
	t_run_free(&r);
	/* The same through a shell pipe, as the trial ran it. */
	r = t_sh("GIT_DIR='%s' '%s' log --key '%s' -n 4 | cat", store, GITCHAT_BIN, alice);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.out, "── new"), NULL, "%s", r.out);
	t_run_free(&r);
	/* --mark-read asks to read: the rule shows what it reads, before "three". */
	r = t_chatv(store, "log", "--key", alice, "-n", "4", "--color=never", "--mark-read");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "  two\n── new ─");
	cr_assert(strstr(r.out, "── new") < strstr(r.out, "three"), "%s", r.out);
	t_run_free(&r);

	/* The help and the docs say when. */
	r = t_chatv(store, "log", "--help");
	t_assert_contains(r.out, "piped output has none unless --mark-read");
	t_run_free(&r);
}

Test(notices, rooms_columns_line_up)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *a = t_keygen(dir, "a", 1), *b = t_keygen(dir, "b", 1);
	char lines[3][256];
	const char *p;
	size_t i;
	t_run r;

	free(t_send(store, a, "dev", "x"));
	free(t_send(store, a, "general", "x"));
	free(t_send(store, b, "general", "y"));
	for (i = 0; i < 11; i++)
		free(t_send(store, a, "z-long-name", "many"));
	r = t_chatv(store, "rooms");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(t_count_lines(r.out), 3, "%s", r.out);
	for (i = 0, p = r.out; i < 3; i++) {
		size_t n = strcspn(p, "\n");
		snprintf(lines[i], sizeof(lines[i]), "%.*s", (int)n, p);
		p += n + 1;
	}
	t_assert_contains(lines[0], "1 message ");
	t_assert_contains(lines[0], "1 author ");
	t_assert_contains(lines[1], "2 messages");
	t_assert_contains(lines[1], "2 authors");
	t_assert_contains(lines[2], "11 messages");
	/* Every column starts at the same place on every line. */
	const char *cols[] = { "message", "author", "last ", "unread" };
	for (size_t c = 0; c < 4; c++) {
		long at = strstr(lines[0], cols[c]) - lines[0];
		for (i = 1; i < 3; i++)
			cr_assert_eq(strstr(lines[i], cols[c]) - lines[i], at, "'%s' moves:\n%s", cols[c],
			             r.out);
	}
	/* Counts are right-aligned: the units line up. */
	cr_assert_eq(strstr(lines[0], "1 message") - lines[0], strstr(lines[2], "1 messages") -
	             lines[2], "%s", r.out);
	t_run_free(&r);
}

Test(notices, unknown_command_suggests_the_closest)
{
	struct { const char *typed, *suggest; } cases[] = {
		{ "snd", "send" }, { "lgo", "log" }, { "room", "rooms" }, { "veriyf", "verify" },
		{ "allowed-signer", "allowed-signers" }, { "frobnicate", NULL }, { "xyzzy", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t_run r = t_chatv(NULL, cases[i].typed);
		char *want = t_fmt("error: '%s' is not a git-chat command; 'git chat -h' lists them\n"
		                   "%s%s%s"
		                   "usage: git chat <command> [<options>]\n", cases[i].typed,
		                   cases[i].suggest ? "did you mean '" : "",
		                   cases[i].suggest ? cases[i].suggest : "",
		                   cases[i].suggest ? "'?\n" : "");
		cr_assert_eq(r.status, 129, "%s: %d", cases[i].typed, r.status);
		cr_assert_str_eq(r.out, "");
		cr_assert_str_eq(r.err, want);
		t_run_free(&r);
	}
	/* What it points to does list them. */
	t_run r = t_chatv(NULL, "-h");
	t_assert_contains(r.out, "allowed-signers");
	t_run_free(&r);
}

Test(notices, readme_shows_sharing_and_the_first_steps)
{
	char *readme = t_read_file(GITCHAT_SOURCE_DIR "/README.md", NULL);
	const char *use = strstr(readme, "\n## Use");

	cr_assert(use, "no Use section");
	/* The first lines stay the two commands. */
	t_assert_contains(readme, "sh contrib/demo.sh");
	t_assert_contains(readme, "sh tests/run-all.sh");
	t_assert_contains(use, "## Chatting through a shared repository");
	t_assert_contains(use, "git chat init --server");
	t_assert_contains(use, "git chat remote add");
	t_assert_contains(use, "git chat sync");
	t_assert_contains(use, "git chat follow");
	t_assert_contains(use, "git log --all");
	t_assert_contains(use, "no rooms yet");
	free(readme);
}
