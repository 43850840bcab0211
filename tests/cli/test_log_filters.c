/*
 * Reading: log filters (-n, --since/--until, --author, --grep), rooms and
 * unread counts, the read marker, and when colour is used.
 */
#include <unistd.h>
#include "testgolden.h"
#include "testchat.h"

#define ROOM "filters"
#define BOB_HEX "08d281fcc64fff81964e20b7a33faf16f045cfd37bdfd2b616ec70e1dac4ed24"

typedef struct {
	const char *dir;
	char *store, *alice, *bob, *carol;
	char *a1, *b1, *a2, *c1;
} fixture;

static void teardown(fixture *f)
{
	free((char *)f->dir);
	free(f->store); free(f->alice); free(f->bob); free(f->carol);
	free(f->a1); free(f->b1); free(f->a2); free(f->c1);
}

static fixture setup(void)
{
	fixture f;

	setenv("TZ", "UTC", 1);
	f.dir = strdup(t_scratch());
	f.store = t_store_in(f.dir);
	f.alice = t_golden_key(f.dir, "alice");
	f.bob = t_golden_key(f.dir, "bob");
	f.carol = t_golden_key(f.dir, "carol");
	f.a1 = t_send_at(f.store, ROOM, f.alice, "Alice", T_GOLDEN_T0, NULL, "alpha one");
	f.b1 = t_send_at(f.store, ROOM, f.bob, "Bob", T_GOLDEN_T0 + 3600, NULL, "beta (with parens) two");
	free(t_act_at(f.store, "react", f.bob, "Bob", T_GOLDEN_T0 + 3700, f.a1, "👍"));
	f.a2 = t_send_at(f.store, ROOM, f.alice, "Alice", T_GOLDEN_T0 + 86400, NULL, "gamma three");
	f.c1 = t_send_at(f.store, ROOM, f.carol, "Carol", T_GOLDEN_T0 + 2 * 86400, NULL, "delta four ALPHA");
	return f;
}

/* The ids, in order, of `git chat log --format=json ARGS...`. */
static char *ids(const fixture *f, ...)
{
	const char *args[24] = { "log", "-r", ROOM, "--format=json" };
	size_t n = 4;
	va_list ap;
	gitchat_buf out = GITCHAT_BUF_INIT;
	const char *p;
	t_run r;

	va_start(ap, f);
	while (n < 23 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	r = t_chat(f->store, NULL, args);
	cr_assert_eq(r.status, 0, "log: %s", r.err);
	for (p = r.out; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
		if (out.size)
			gitchat_buf_puts(&out, " ");
		gitchat_buf_put(&out, p + 7, 40);
	}
	t_run_free(&r);
	return out.ptr ? out.ptr : strdup("");
}

static char *join(const char *a, const char *b, const char *c)
{
	char *s = NULL;
	cr_assert(asprintf(&s, "%s%s%s%s%s", a, b ? " " : "", b ? b : "", c ? " " : "", c ? c : "") > 0);
	return s;
}

#define EXPECT_IDS(got, a, b, c) do { \
	char *want_ = join(a, b, c), *got_ = (got); \
	cr_assert_str_eq(got_, want_); \
	free(want_); free(got_); \
} while (0)

#define EXPECT_EMPTY(got) do { \
	char *got_ = (got); \
	cr_assert_str_eq(got_, ""); \
	free(got_); \
} while (0)

Test(log_filters, max_count_skips_reactions_and_takes_the_last)
{
	fixture f = setup();
	EXPECT_IDS(ids(&f, "-n", "2", NULL), f.a2, f.c1, NULL);
	EXPECT_IDS(ids(&f, "-n", "3", NULL), f.b1, f.a2, f.c1);
	EXPECT_EMPTY(ids(&f, "-n", "0", NULL));
	t_run r = t_chat_expect(f.store, 129, NULL, "log", "-r", ROOM, "-n", "x", NULL);
	t_run_free(&r);
	teardown(&f);
}

Test(log_filters, since_and_until)
{
	fixture f = setup();
	t_run r;

	EXPECT_IDS(ids(&f, "--since", "2025-11-27", NULL), f.a2, f.c1, NULL);
	EXPECT_IDS(ids(&f, "--until", "2025-11-26T23:59:59Z", NULL), f.a1, f.b1, NULL);
	EXPECT_IDS(ids(&f, "--since", "2025-11-26 10:00:00 +00:00", "--until", "@1764234000", NULL),
	           f.b1, f.a2, NULL);
	/* -n applies after the filters. */
	EXPECT_IDS(ids(&f, "--until", "2025-11-27", "-n", "1", NULL), f.b1, NULL, NULL);
	r = t_chat_expect(f.store, 129, NULL, "log", "-r", ROOM, "--since", "last tuesday-ish", NULL);
	cr_assert(t_contains(r.err, "cannot read the date"), "%s", r.err);
	t_run_free(&r);
	teardown(&f);
}

Test(log_filters, author_by_key_fingerprint_name_or_email)
{
	fixture f = setup();

	EXPECT_IDS(ids(&f, "--author", "08d281fc", NULL), f.b1, NULL, NULL);
	EXPECT_IDS(ids(&f, "--author", BOB_HEX, NULL), f.b1, NULL, NULL);
	EXPECT_IDS(ids(&f, "--author", "SHA256:osPhc3oV", NULL), f.b1, NULL, NULL);
	EXPECT_IDS(ids(&f, "--author", "alice", NULL), f.a1, f.a2, NULL);
	EXPECT_IDS(ids(&f, "--author", "Carol@example.org", NULL), f.c1, NULL, NULL);
	EXPECT_EMPTY(ids(&f, "--author", "nobody", NULL));
	EXPECT_EMPTY(ids(&f, "--author", "SHA256:AAAA", NULL));
	teardown(&f);
}

Test(log_filters, grep_regex_fixed_and_case)
{
	fixture f = setup();
	t_run r;

	EXPECT_IDS(ids(&f, "--grep", "alpha", NULL), f.a1, NULL, NULL);
	EXPECT_IDS(ids(&f, "--grep", "alpha", "-i", NULL), f.a1, f.c1, NULL);
	EXPECT_IDS(ids(&f, "--grep", "^(beta|gamma) ", NULL), f.b1, f.a2, NULL);
	EXPECT_IDS(ids(&f, "--grep", "(with parens)", "-F", NULL), f.b1, NULL, NULL);
	r = t_chat_expect(f.store, 129, NULL, "log", "-r", ROOM, "--grep", "(with", NULL);
	cr_assert(t_contains(r.err, "bad --grep pattern"), "%s", r.err);
	t_run_free(&r);
	r = t_chat_expect(f.store, 129, NULL, "log", "-r", ROOM, "-F", NULL);
	t_run_free(&r);
	/* The shown text is searched: after an edit, the old words are gone;
	 * a redacted message never matches. */
	free(t_act_at(f.store, "edit", f.alice, "Alice", T_GOLDEN_T0 + 4000, f.a1, "omega one"));
	EXPECT_IDS(ids(&f, "--grep", "omega", NULL), f.a1, NULL, NULL);
	EXPECT_EMPTY(ids(&f, "--grep", "alpha", NULL));
	free(t_act_at(f.store, "redact", f.bob, "Bob", T_GOLDEN_T0 + 4100, f.b1, NULL));
	EXPECT_EMPTY(ids(&f, "--grep", "beta", NULL));
	teardown(&f);
}

static void rooms_line(const fixture *f, const char *key, const char *room, const char *want)
{
	t_run r = key ? t_chat_expect(f->store, 0, NULL, "rooms", "--format=json", "--key", key, NULL)
	              : t_chat_expect(f->store, 0, NULL, "rooms", "--format=json", NULL);
	char prefix[128];
	const char *p, *e;

	snprintf(prefix, sizeof(prefix), "{\"room\":\"%s\",", room);
	p = strstr(r.out, prefix);
	cr_assert(p != NULL, "room %s missing:\n%s", room, r.out);
	e = strchr(p, '\n');
	cr_assert(!strncmp(p + strlen(prefix), want, strlen(want)) &&
	          (size_t)(e - p) == strlen(prefix) + strlen(want),
	          "want %s%s, got %.*s", prefix, want, (int)(e - p), p);
	t_run_free(&r);
}

Test(rooms, counts_and_unread)
{
	fixture f = setup();
	char *b2, *marker;
	t_run r;

	free(t_send_at(f.store, "another", f.bob, "Bob", T_GOLDEN_T0 + 10, NULL, "elsewhere"));
	/* Without a key, everything is unread; with Alice's, her own is not. */
	rooms_line(&f, NULL, ROOM,
	           "\"messages\":4,\"authors\":3,\"last\":\"2025-11-28T09:00:00Z\",\"unread\":4}");
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":4,\"authors\":3,\"last\":\"2025-11-28T09:00:00Z\",\"unread\":2}");
	rooms_line(&f, f.alice, "another",
	           "\"messages\":1,\"authors\":1,\"last\":\"2025-11-26T09:00:10Z\",\"unread\":1}");
	r = t_chat_expect(f.store, 0, NULL, "rooms", NULL);
	cr_assert_eq(t_count_lines(r.out), 2, "%s", r.out);
	cr_assert(!strncmp(r.out, "another ", 8), "sorted by name:\n%s", r.out);
	cr_assert(t_contains(r.out, "filters      4 messages    3 authors  last 2025-11-28 09:00  "
	                             "4 unread\n"), "%s", r.out);
	t_run_free(&r);

	/* Output to a pipe does not mark as read, unless asked. */
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, NULL);
	t_run_free(&r);
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":4,\"authors\":3,\"last\":\"2025-11-28T09:00:00Z\",\"unread\":2}");
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--mark-read", "-n", "1", NULL);
	t_run_free(&r);
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":4,\"authors\":3,\"last\":\"2025-11-28T09:00:00Z\",\"unread\":0}");
	/* The marker is a local ref at the room's last entry, outside refs/chat/. */
	r = t_sh("git --git-dir='%s' for-each-ref --format='%%(refname) %%(objectname)'", f.store);
	marker = NULL;
	cr_assert(asprintf(&marker, "refs/chat-read/%s %s\n", ROOM, f.c1) > 0);
	cr_assert(t_contains(r.out, marker), "%s", r.out);
	free(marker);
	t_run_free(&r);

	/* Something new from Bob: one unread, shown by --unread; filtered
	 * output does not move the marker. */
	b2 = t_send_at(f.store, ROOM, f.bob, "Bob", T_GOLDEN_T0 + 3 * 86400, NULL, "news from bob");
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":5,\"authors\":3,\"last\":\"2025-11-29T09:00:00Z\",\"unread\":1}");
	EXPECT_IDS(ids(&f, "--unread", "--key", f.alice, NULL), b2, NULL, NULL);
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--mark-read", "--grep", "news", NULL);
	t_run_free(&r);
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":5,\"authors\":3,\"last\":\"2025-11-29T09:00:00Z\",\"unread\":1}");
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--no-mark-read", NULL);
	t_run_free(&r);
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":5,\"authors\":3,\"last\":\"2025-11-29T09:00:00Z\",\"unread\":1}");
	/* The text log marks where the new messages start, then reads them. */
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--color=never", "--mark-read", "--key",
	           f.alice, NULL);
	cr_assert(t_contains(r.out, "four ALPHA\n── new ──"), "%s", r.out);
	cr_assert(t_contains(r.out, "── new ─") && strstr(r.out, "── new ─") < strstr(r.out, "news"),
	          "%s", r.out);
	t_run_free(&r);
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":5,\"authors\":3,\"last\":\"2025-11-29T09:00:00Z\",\"unread\":0}");
	/* Alice's own message is never unread for her. */
	free(t_send_at(f.store, ROOM, f.alice, "Alice", T_GOLDEN_T0 + 4 * 86400, NULL, "mine"));
	rooms_line(&f, f.alice, ROOM,
	           "\"messages\":6,\"authors\":3,\"last\":\"2025-11-30T09:00:00Z\",\"unread\":0}");
	rooms_line(&f, f.bob, ROOM,
	           "\"messages\":6,\"authors\":3,\"last\":\"2025-11-30T09:00:00Z\",\"unread\":1}");
	free(b2);
	teardown(&f);
}

/* Runs git chat on a pseudo-terminal: stdout is a terminal. The colours
 * as log writes them: the pager has its own test (test_pager.c). */
static char *on_pty(const char *store, const char *const *args, const char *no_color)
{
	const char *env[] = { "TERM=xterm", "GIT_PAGER=cat", no_color ? t_fmt("NO_COLOR=%s", no_color)
	                                                              : "NO_COLOR", NULL };
	int status;
	char *out = t_chat_pty(store, env, args, &status);

	cr_assert_eq(status, 0, "exit %d: %s", status, out);
	return out;
}

Test(colour, only_on_a_terminal_and_never_with_no_color)
{
	fixture f = setup();
	const char *auto_args[] = { "log", "-r", ROOM, "--no-mark-read", NULL };
	char *s;
	t_run r;

	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, NULL);
	cr_assert(!strchr(r.out, '\033'), "colour into a pipe");
	t_run_free(&r);
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--color=always", NULL);
	cr_assert(strchr(r.out, '\033'), "no colour with --color=always");
	t_run_free(&r);
	setenv("NO_COLOR", "1", 1);
	r = t_chat_expect(f.store, 0, NULL, "log", "-r", ROOM, "--color=always", NULL);
	unsetenv("NO_COLOR");
	cr_assert(!strchr(r.out, '\033'), "colour despite NO_COLOR");
	t_run_free(&r);
	r = t_chat_expect(f.store, 129, NULL, "log", "-r", ROOM, "--color=sometimes", NULL);
	t_run_free(&r);

	s = on_pty(f.store, auto_args, NULL);
	cr_assert(strstr(s, "\033[0;1;"), "no colour on a terminal:\n%s", s);
	cr_assert(t_contains(s, "delta four ALPHA"));
	free(s);
	s = on_pty(f.store, auto_args, "1");
	cr_assert(!strchr(s, '\033'), "colour on a terminal despite NO_COLOR:\n%s", s);
	cr_assert(t_contains(s, "delta four ALPHA"));
	free(s);
	/* On a terminal, log marks the room read by default. */
	{
		const char *marking[] = { "log", "-r", ROOM, NULL };
		free(on_pty(f.store, marking, "1"));
		rooms_line(&f, f.alice, ROOM,
		           "\"messages\":4,\"authors\":3,\"last\":\"2025-11-28T09:00:00Z\",\"unread\":0}");
	}
	teardown(&f);
}
