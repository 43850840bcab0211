/*
 * `git chat tui` driven in tmux: typing sends a signed message, two
 * clients chat through a git daemon, a resize keeps the layout, a killed
 * client's draft comes back, unread counts go down as rooms are read,
 * hostile text shows inert, and notifications reach the notifier.
 */
#include <signal.h>
#include <sys/stat.h>
#include "testsync.h"
#include "tmux.h"

/* Generous for a loaded machine: every wait returns as soon as the
 * screen shows what it waits for. */
#define WAIT 20.0

static const char *const no_notify[] = { "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=chat.notify",
                                         "GIT_CONFIG_VALUE_0=off", NULL };

static t_tmux *client(const t_person *p, const char *room, double interval)
{
	char iv[32];
	snprintf(iv, sizeof(iv), "%g", interval);
	const char *args[] = { "tui", "-r", room, "--key", p->key, "--interval", iv, NULL };
	t_tmux *t = t_tmux_start(p->store, no_notify, args, 100, 30);
	cr_assert(t_tmux_wait(t, "? keys", WAIT), "the client did not start:\n%s", t_tmux_screen(t));
	return t;
}

/* Alice's store with a first message in "general". */
static void setup(t_person *a, const char *name)
{
	t_person_init(a, t_scratch_copy(), name);
	t_person_send(a, "general", "first message");
}

Test(tui, typed_message_is_a_signed_message_in_the_store)
{
	t_person a;
	t_tmux *t;

	setup(&a, "Alice");
	t = client(&a, "general", 60);
	cr_assert(t_tmux_wait(t, "first message", WAIT));
	t_tmux_type(t, "hello from the tui, ünïcødé 日本");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "  hello from the tui, ünïcødé 日本", WAIT), "%s", t_tmux_screen(t));
	/* In the store: the ref moved to a commit git verifies as signed. */
	char *log = t_person_log_json(&a, "general");
	cr_assert(t_contains(log, "\"text\":\"hello from the tui, ünïcødé 日本\""), "%s", log);
	char *head = t_git(a.store, "rev-parse refs/chat/general/%s", a.hex);
	char *raw = t_git(a.store, "cat-file commit %s", head);
	cr_assert(t_contains(raw, "gpgsig -----BEGIN SSH SIGNATURE-----"), "%s", raw);
	const char *verify[] = { "verify", NULL };
	t_run r = t_person_chat(&a, verify);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	/* The composer is empty again, and Ctrl-D quits. */
	t_tmux_key(t, "C-d");
	cr_assert(t_tmux_wait_exit(t, WAIT));
	t_tmux_stop(t);
	free(head);
	free(raw);
}

Test(tui, alt_enter_is_a_new_line_and_slash_quit_quits)
{
	t_person a;
	t_tmux *t;

	setup(&a, "Alice");
	t = client(&a, "general", 60);
	t_tmux_type(t, "one");
	t_tmux_key(t, "M-Enter");
	t_tmux_type(t, "two");
	cr_assert(t_tmux_wait(t, "  two", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "one two", WAIT));   /* a soft break, as log shows it */
	char *log = t_person_log_json(&a, "general");
	cr_assert(t_contains(log, "\"text\":\"one\\ntwo\""), "%s", log);
	t_tmux_type(t, "/quit");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait_exit(t, WAIT));
	t_tmux_stop(t);
}

Test(tui, two_clients_chat_through_a_git_daemon)
{
	char *dir = t_scratch_copy();
	t_server *d;
	char *url = t_daemon_repo(&d, dir, "room.git", NULL);
	t_person a, b;
	double interval = 1, t0, took;
	t_tmux *ta, *tb;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	free(t_git(a.store, "remote add origin %s", url));
	free(t_git(b.store, "remote add origin %s", url));
	t_person_send(&a, "general", "alice was here first");
	t_person_sync_ok(&a, "origin");
	t_person_sync_ok(&b, "origin");
	ta = client(&a, "general", interval);
	tb = client(&b, "general", interval);
	cr_assert(t_tmux_wait(tb, "alice was here first", WAIT));
	t_tmux_type(ta, "ping from alice");
	t_tmux_key(ta, "Enter");
	cr_assert(t_tmux_wait(ta, "  ping from alice", WAIT));
	t0 = t_now();
	cr_assert(t_tmux_wait(tb, "  ping from alice", WAIT), "%s", t_tmux_screen(tb));
	took = t_now() - t0;
	t_tmux_type(tb, "pong from bob");
	t_tmux_key(tb, "Enter");
	cr_assert(t_tmux_wait(ta, "  pong from bob", WAIT), "%s", t_tmux_screen(ta));
	/* One interval, and the time a sync round takes on a loaded machine. */
	cr_expect(took < interval + 5, "bob saw it after %.1f s", took);
	cr_assert(t_tmux_wait(ta, "synced ", WAIT));
	t_tmux_stop(ta);
	t_tmux_stop(tb);
	t_server_stop(d);
}

/* Every line of the screen at most `width` columns wide, the status line
 * and the composer at the bottom. */
static void assert_layout(t_tmux *t, int width, int height)
{
	char *s = t_tmux_screen(t), *line = s, *nl;
	int n = 0;
	const char *status = NULL, *comp = NULL;

	for (; (nl = strchr(line, '\n')); line = nl + 1, n++) {
		*nl = '\0';
		cr_assert(strlen(line) <= (size_t)width * 4, "line %d too long: %s", n, line);
		if (strstr(line, "? keys")) {
			status = line;
			cr_assert_eq(n, height - 2, "the status line is on row %d", n);
		}
		if (!strncmp(line, "> ", 2)) {
			comp = line;
			cr_assert_eq(n, height - 1, "the composer is on row %d", n);
		}
	}
	cr_assert(status && comp, "no status line or composer");
	free(s);
}

Test(tui, resize_keeps_the_layout)
{
	t_person a;
	t_tmux *t;

	setup(&a, "Alice");
	t = client(&a, "general", 60);
	t_tmux_type(t, "draft during resize");
	cr_assert(t_tmux_wait(t, "> draft during resize", WAIT));
	assert_layout(t, 100, 30);
	t_tmux_resize(t, 64, 16);
	cr_assert(t_tmux_wait_gone(t, "─────────────────────────────────────────────────────────────────────", WAIT));
	cr_assert(t_tmux_wait(t, "first message", WAIT));
	assert_layout(t, 64, 16);
	cr_assert(t_tmux_wait(t, " rooms", WAIT));   /* the room list is still there */
	t_tmux_resize(t, 40, 12);                     /* too narrow for it: the talk stays */
	cr_assert(t_tmux_wait_gone(t, " rooms ", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait(t, "first message", WAIT));
	assert_layout(t, 40, 12);
	t_tmux_resize(t, 100, 30);
	cr_assert(t_tmux_wait(t, " rooms", WAIT));
	assert_layout(t, 100, 30);
	cr_assert(t_tmux_wait(t, "> draft during resize", WAIT));
	t_tmux_stop(t);
}

Test(tui, a_killed_clients_draft_is_back_on_restart)
{
	t_person a;
	t_tmux *t;
	char *draft;

	setup(&a, "Alice");
	t = client(&a, "general", 60);
	t_tmux_type(t, "half-written");
	t_tmux_key(t, "M-Enter");
	t_tmux_type(t, "thought, never sent");
	cr_assert(t_tmux_wait(t, "  thought, never sent", WAIT));
	/* Saved as typed: the file is there before the kill. */
	draft = t_fmt("%s/chat/drafts/general", a.store);
	cr_assert(t_file_wait(draft, "half-written\nthought, never sent", WAIT));
	cr_assert_eq(kill(t_tmux_pid(t), SIGKILL), 0);
	cr_assert(t_tmux_wait_exit(t, WAIT));
	t_tmux_stop(t);
	t = client(&a, "general", 60);
	cr_assert(t_tmux_wait(t, "> half-written", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait(t, "  thought, never sent", WAIT));
	/* Sent, the draft is gone. */
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "  half-written thought, never sent", WAIT));
	t_tmux_key(t, "C-d");
	cr_assert(t_tmux_wait_exit(t, WAIT));
	struct stat st;
	cr_assert(stat(draft, &st) < 0, "the draft outlived its message");
	t_tmux_stop(t);
}

Test(tui, unread_counts_go_down_as_rooms_are_read)
{
	char *dir = t_scratch_copy();
	t_person a, b;
	t_tmux *t;

	t_person_init(&a, dir, "Alice");
	t_person_init_key(&b, dir, "Bob", NULL);
	b.store = a.store;   /* Bob writes into Alice's store, as a sync would */
	t_person_send(&a, "general", "hi");
	t_person_send(&b, "second", "one");
	t_person_send(&b, "second", "two");
	t_person_send(&b, "third", "three");
	t = client(&a, "general", 60);
	cr_assert(t_tmux_wait(t, " second (2)", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait(t, " third (1)", WAIT));
	/* A message arriving while the client runs counts at once. */
	t_person_send(&b, "second", "four");
	cr_assert(t_tmux_wait(t, " second (3)", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Tab");
	cr_assert(t_tmux_wait(t, "  four", WAIT));
	cr_assert(t_tmux_wait_gone(t, "second (", WAIT));
	t_tmux_key(t, "Tab");
	cr_assert(t_tmux_wait(t, "  three", WAIT));
	cr_assert(t_tmux_wait_gone(t, "third (", WAIT));
	t_tmux_key(t, "Tab");
	cr_assert(t_tmux_wait(t, "  hi", WAIT));
	cr_assert(t_tmux_wait_gone(t, " second (", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait_gone(t, " third (", WAIT), "%s", t_tmux_screen(t));
	/* The read markers moved: `rooms` agrees. */
	const char *rooms[] = { "rooms", NULL };
	t_run r = t_person_chat(&a, rooms);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(t_count(r.out, " 0 unread"), 3, "%s", r.out);
	t_run_free(&r);
	t_tmux_stop(t);
}

Test(tui, hostile_text_shows_inert)
{
	char *dir = t_scratch_copy(), *big, *evil_name;
	t_person a, m;
	t_tmux *t;
	size_t i;

	t_person_init(&a, dir, "Alice");
	t_person_init(&m, dir, "Mallory");
	m.store = a.store;
	t_person_send(&a, "general", "before the attack");
	/* A name with a colour, a title and a bidi override. */
	evil_name = t_keep(strdup("Mal\033[41mlory\033]2;pwned\007\xe2\x80\xae" "eviL"));
	m.name = evil_name;
	t_person_send(&m, "general", "clear \033[2J\033[H screen \xc2\x9b" "31m c1 \x07 bell \x01 soh");
	t_person_send(&m, "general", "title \033]0;pwned\007 and \xe2\x80\xae" "desrever \xe2\x81\xa6 isolate");
	big = malloc(65536);
	for (i = 0; i < 65535; i++)
		big[i] = (i % 64 == 63) ? '\n' : (i % 64 == 62 ? '\n' : 'x');
	big[65535] = '\0';
	t_person_send(&m, "general", big);
	free(big);
	t = client(&a, "general", 60);
	cr_assert(t_tmux_wait(t, "more lines", WAIT), "%s", t_tmux_screen(t));
	/* Selecting the message before the big one brings it into view. */
	t_tmux_key(t, "Up");
	t_tmux_key(t, "Up");
	cr_assert(t_tmux_wait(t, "clear ^[[2J^[[H screen", WAIT), "%s", t_tmux_screen(t));
	char *s = t_tmux_screen(t);
	cr_assert(t_contains(s, "bell ^G soh") || t_contains(s, "^G bell ^A soh"), "%s", s);
	cr_assert(t_contains(s, "title ^[]0;pwned^G and <U+202E>desrever <U+2066> isolate"), "%s", s);
	cr_assert(t_contains(s, "Mal^[[41mlory^[]2;pwned^G<U+202E>eviL"), "%s", s);
	cr_assert(t_contains(s, "<U+009B>31m c1"), "%s", s);
	free(s);
	/* Nothing was obeyed: the title is tmux's own, the client runs. */
	const char *title[] = { "tmux", NULL };
	(void)title;
	cr_assert(t_tmux_alive(t));
	t_tmux_stop(t);
}

Test(tui, notifies_a_message_in_a_room_not_on_screen)
{
	char *dir = t_scratch_copy(), *script, *out;
	t_person a, b;
	t_tmux *t;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	b.store = a.store;
	t_person_send(&a, "general", "hi");
	out = t_fmt("%s/notified", dir);
	script = t_fmt("%s/notifier", dir);
	{
		const char *sh = "#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> \"$0.out\"\n";
		t_write_file(script, sh, strlen(sh));
	}
	chmod(script, 0755);
	free(t_git(a.store, "config chat.notify desktop"));
	free(t_git(a.store, "config chat.notifyCommand %s", script));
	free(t_git(a.store, "config user.name Alice"));
	{
		const char *args[] = { "tui", "-r", "general", "--key", a.key, NULL };
		t = t_tmux_start(a.store, NULL, args, 100, 30);
	}
	cr_assert(t_tmux_wait(t, "  hi", WAIT));
	t_person_send(&b, "elsewhere", "psst <b>bold</b>");
	cr_assert(t_file_wait(t_fmt("%s.out", script), "Bob in elsewhere|psst &lt;b&gt;bold", WAIT));
	t_person_send(&b, "general", "hey @alice, look");
	cr_assert(t_file_wait(t_fmt("%s.out", script), "you are mentioned|hey @alice, look", WAIT));
	t_tmux_stop(t);
	(void)out;
}

/* A selected message: r replies, + reacts, e edits, d deletes (after y);
 * ? shows the keys. Each lands in the store as `log` reads it. */
Test(tui, select_reply_react_edit_redact)
{
	t_person a;
	t_tmux *t;
	char *log;

	setup(&a, "Alice");
	t = client(&a, "general", 60);
	t_tmux_key(t, "?");
	cr_assert(t_tmux_wait(t, "git chat tui: keys", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Escape");
	cr_assert(t_tmux_wait_gone(t, "git chat tui: keys", WAIT));
	t_tmux_key(t, "Up");
	t_tmux_key(t, "r");
	cr_assert(t_tmux_wait(t, "reply to ", WAIT), "%s", t_tmux_screen(t));
	t_tmux_type(t, "a reply");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "↪ Alice: first message", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Up");
	t_tmux_key(t, "+");
	t_tmux_type(t, "👍");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "👍 1", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Up");
	t_tmux_key(t, "e");
	cr_assert(t_tmux_wait(t, "> a reply", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "C-u");
	t_tmux_type(t, "a better reply");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "(edited)", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait(t, "  a better reply", WAIT));
	t_tmux_key(t, "Up");
	t_tmux_key(t, "Up");
	t_tmux_key(t, "d");
	cr_assert(t_tmux_wait(t, "y/n", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "y");
	cr_assert(t_tmux_wait(t, "message deleted", WAIT), "%s", t_tmux_screen(t));
	log = t_person_log_json(&a, "general");
	cr_assert(t_contains(log, "\"text\":\"a better reply\""), "%s", log);
	cr_assert(t_contains(log, "\"edited\":true"), "%s", log);
	cr_assert(t_contains(log, "\"redacted\":true"), "%s", log);
	cr_assert(t_contains(log, "\"reply_to\":\""), "%s", log);
	cr_assert(t_contains(log, "👍"), "%s", log);
	t_tmux_stop(t);
}

/* /attach PATH then Enter sends the file with the text; s on the selected
 * message saves it, byte for byte, in the client's directory. */
Test(tui, attach_and_save_a_file)
{
	char *dir = t_scratch_copy(), *src, *saved, *data;
	const char bin[] = "\x00\x01\xff binary \x1b[31m\n";
	size_t len = 0;
	t_person a;
	t_tmux *t;

	t_person_init(&a, dir, "Alice");
	t_person_send(&a, "general", "first message");
	src = t_fmt("%s/in/photo.bin", dir);
	t_mkdir(t_fmt("%s/in", dir));
	t_mkdir(t_fmt("%s/out", dir));
	t_write_file(src, bin, sizeof(bin) - 1);
	cr_assert_eq(chdir(t_fmt("%s/out", dir)), 0);   /* where the client saves */
	t = client(&a, "general", 60);
	t_tmux_type(t, t_fmt("/attach %s", src));
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "1 file attached", WAIT), "%s", t_tmux_screen(t));
	t_tmux_type(t, "see the file");
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, "[file] photo.bin", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Up");
	t_tmux_key(t, "s");
	cr_assert(t_tmux_wait(t, "saved ", WAIT), "%s", t_tmux_screen(t));
	saved = t_fmt("%s/out/photo.bin", dir);
	/* The save is done when the client says so. */
	data = t_read_file(saved, &len);
	cr_assert_eq(len, sizeof(bin) - 1);
	cr_assert_eq(memcmp(data, bin, len), 0);
	free(data);
	t_tmux_stop(t);
}

/* git-chat as person P with ARGS; the output, trimmed, after exit 0. */
static char *chat_ok(const t_person *p, const char *const *args)
{
	t_run r = t_person_chat(p, args);
	char *out;

	cr_assert_eq(r.status, 0, "%s failed (%d):\n%s", args[0], r.status, r.err);
	out = t_keep(strdup(r.out));
	if (*out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	t_run_free(&r);
	return out;
}

/* Types TEXT, sends it with Enter and waits until the screen shows
 * WANT. */
static void type_send(t_tmux *t, const char *text, const char *want)
{
	t_tmux_type(t, text);
	t_tmux_key(t, "Enter");
	cr_assert(t_tmux_wait(t, want, WAIT), "%s", t_tmux_screen(t));
}

/* A private room (issue 11) in the client: listed by its title with its
 * unread count, read decrypted with its events and a planted plaintext
 * left out (and counted), and a message typed there lands encrypted. */
Test(tui, a_private_room_is_read_decrypted_and_written_encrypted)
{
	char *dir = t_scratch_copy(), *room, *head, *raw, *planted;
	t_person a, b;
	t_tmux *t;

	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	b.store = a.store;   /* Bob writes into Alice's store, as a sync would */
	t_person_send(&a, "general", "hi");
	room = chat_ok(&a, (const char *[]){ "room", "create", "--private", "--title", "Secret plans",
	                                     "--member", t_fmt("%s.pub", b.key), NULL });
	cr_assert_eq(strlen(room), 25, "room name '%s'", room);
	head = chat_ok(&b, (const char *[]){ "send", "-r", room, "-m", "whispered by bob", NULL });
	/* Bob, a member, in plaintext: the reading rules refuse it. */
	planted = t_write_signed(a.store, b.key, t_fmt(
		"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent %s\n"
		"author Bob <bob@example.org> 1764150100 +0000\n"
		"committer Bob <bob@example.org> 1764150100 +0000\n"
		"chat-room %s\n\nPLANTED-PLAINTEXT\n", head, room));
	free(t_git(a.store, "update-ref refs/chat/%s/%s %s", room, b.hex, planted));

	t = client(&a, "general", 60);
	cr_assert(t_tmux_wait(t, " Secret plans (1)", WAIT), "%s", t_tmux_screen(t));
	t_tmux_key(t, "Tab");
	cr_assert(t_tmux_wait(t, "  whispered by bob", WAIT), "%s", t_tmux_screen(t));
	/* The refusal as log warns it, and the count, on the status line. */
	cr_assert(t_tmux_wait(t, t_fmt("left out %.8s: it is plaintext in a private room", planted),
	                      WAIT), "%s", t_tmux_screen(t));
	t_tmux_resize(t, 180, 30);
	cr_assert(t_tmux_wait(t, "1 invalid commit left out", WAIT), "%s", t_tmux_screen(t));
	char *s = t_tmux_screen(t);
	cr_assert(!t_contains(s, "PLANTED") && !t_contains(s, "BEGIN AGE") &&
	          !t_contains(s, "age1"), "shown:\n%s", s);
	free(s);

	/* A file sent from the client: sealed, its name only inside. */
	t_write_file(t_fmt("%s/plan-b.txt", dir), "x", 1);
	type_send(t, t_fmt("/attach %s/plan-b.txt", dir), "1 file attached");
	type_send(t, "with a file", "  with a file");
	head = t_git(a.store, "rev-parse refs/chat/%s/%s", room, a.hex);
	raw = t_git(a.store, "cat-file commit %s", head);
	cr_assert(!t_contains(raw, "plan-b") && !t_contains(raw, "chat-file"), "%s", raw);
	raw = t_git(a.store, "show %s:files/1 | head -c 21", head);
	cr_assert_str_eq(raw, "age-encryption.org/v1");
	type_send(t, "typed in secret", "  typed in secret");
	/* In the store: an age file, not the text; `log` decrypts it. */
	head = t_git(a.store, "rev-parse refs/chat/%s/%s", room, a.hex);
	raw = t_git(a.store, "cat-file commit %s", head);
	cr_assert(t_contains(raw, "\n-----BEGIN AGE ENCRYPTED FILE-----\n"), "%s", raw);
	cr_assert(t_contains(raw, "\nchat-epoch age1"), "%s", raw);
	cr_assert(!t_contains(raw, "secret"), "%s", raw);
	char *log = chat_ok(&a, (const char *[]){ "log", "-r", room, "--color=never", NULL });
	cr_assert(t_contains(log, "typed in secret") && t_contains(log, "whispered by bob"), "%s", log);
	cr_assert(!t_contains(log, "PLANTED"), "%s", log);
	/* A direct message arriving: listed as the other person, unread. */
	chat_ok(&b, (const char *[]){ "send", "--dm", t_fmt("%s.pub", a.key), "-m", "a word", NULL });
	cr_assert(t_tmux_wait(t, t_fmt(" dm %.8s (1)", b.fp + 7), WAIT), "%s", t_tmux_screen(t));
	t_tmux_stop(t);
	free(head);
	free(raw);
}

/* A passphrase-protected key (issue 12: ssh-agent signs with it, but
 * cannot decrypt) is unlocked before the screen starts, on the terminal
 * as ssh asks; then the private room reads and a message sent there is
 * signed and encrypted. When it cannot be unlocked, the client still runs:
 * public rooms read, the private room's status line says why it cannot. */
Test(tui, a_passphrase_key_is_unlocked_for_private_rooms)
{
	char *dir = t_scratch_copy(), *room, *key = t_fmt("%s/alice-pp", dir);
	t_person b;
	t_tmux *t;
	t_run r;

	r = t_sh("ssh-keygen -q -t ed25519 -N 'correct horse' -C alice -f '%s'", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	t_person_init(&b, dir, "Bob");
	t_person_send(&b, "general", "public hello");
	room = chat_ok(&b, (const char *[]){ "room", "create", "--private", "--title", "Pact",
	                                     "--member", t_fmt("%s.pub", key), NULL });
	chat_ok(&b, (const char *[]){ "send", "-r", room, "-m", "for alice only", NULL });

	const char *args[] = { "tui", "-r", room, "--key", key, "--interval", "60", NULL };
	t = t_tmux_start(b.store, no_notify, args, 100, 30);
	cr_assert(t_tmux_wait(t, "Enter passphrase for key", WAIT), "%s", t_tmux_screen(t));
	type_send(t, "correct horse", "  for alice only");
	type_send(t, "sent with the unlocked key", "  sent with the unlocked key");
	char *log = chat_ok(&b, (const char *[]){ "log", "-r", room, "--color=never", NULL });
	cr_assert(t_contains(log, "sent with the unlocked key"), "%s", log);
	t_tmux_stop(t);

	/* No passphrase to be had: reading public rooms goes on. */
	const char *env[] = { "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=chat.notify",
	                      "GIT_CONFIG_VALUE_0=off", "SSH_ASKPASS_REQUIRE=force",
	                      "SSH_ASKPASS=/bin/false", NULL };
	t = t_tmux_start(b.store, env, args, 100, 30);
	cr_assert(t_tmux_wait(t, "private room not readable: no passphrase", WAIT), "%s",
	          t_tmux_screen(t));
	char *s = t_tmux_screen(t);
	cr_assert(!t_contains(s, "for alice only") && !t_contains(s, "BEGIN AGE"), "%s", s);
	free(s);
	t_tmux_key(t, "Tab");
	cr_assert(t_tmux_wait(t, "  public hello", WAIT), "%s", t_tmux_screen(t));
	cr_assert(t_tmux_wait_gone(t, "not readable", WAIT), "%s", t_tmux_screen(t));
	t_tmux_stop(t);
}
