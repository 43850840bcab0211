/*
 * The persistent order index ($GIT_DIR/chat/index/<room>): updated with
 * only the new commits when refs move, shrunk when they move back, never
 * trusted over the refs; rebuilt when damaged anywhere (header, block sums,
 * a block found bad only when read, truncated, emptied) or stale (other
 * limits); the room still loads when it cannot be written; concurrent
 * readers and writers always see a whole, correct index.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testorder.h"
#include "testlib.h"
#include <sodium.h>

#define ROOM "general"

typedef struct {
	char *path;
	char *index;
	gitchat_store *store;
	git_repository *repo;
	t_order_author au[3];
	git_oid heads[3];
	int has_head[3];
	int64_t clock;
	size_t sent;
} room;

static void room_new(room *r)
{
	memset(r, 0, sizeof(*r));
	cr_assert_eq(gitchat_init(), 0);
	r->path = t_path(t_scratch(), "store");
	cr_assert_eq(gitchat_store_init(&r->store, r->path), 0, "%s", gitchat_error_last()->message);
	r->repo = gitchat_store_repository(r->store);
	cr_assert(asprintf(&r->index, "%s/chat/index/%s", r->path, ROOM) > 0);
	t_order_authors(r->au, 3);
	r->clock = 1000;
}

static void room_free(room *r)
{
	t_order_authors_free(r->au, 3);
	gitchat_store_free(r->store);
	free(r->path);
	free(r->index);
}

/* `n` more messages, shaped as send shapes them: own head first, then the
 * other heads. Refs follow. */
static void room_send(room *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int a = (int)((r->sent * 7 + i) % 3), np = 0, b;
		git_oid parents[3];
		if (r->has_head[a])
			parents[np++] = r->heads[a];
		for (b = 0; b < 3; b++)
			if (b != a && r->has_head[b] && (r->sent + i) % (b + 2) == 0)
				parents[np++] = r->heads[b];
		r->clock += (int64_t)((r->sent + i) % 3);
		r->heads[a] = t_order_commit(r->repo, &r->au[a], ROOM, parents, np, r->clock, NULL);
		r->has_head[a] = 1;
	}
	r->sent += n;
	for (int a = 0; a < 3; a++)
		if (r->has_head[a])
			t_order_ref(r->repo, NULL, ROOM, r->au[a].key, &r->heads[a]);
}

static gitchat_store *reopen(const room *r)
{
	gitchat_store *st = NULL;
	cr_assert_eq(gitchat_store_open(&st, r->path), 0, "%s", gitchat_error_last()->message);
	return st;
}

/* Loads with a fresh store handle (as a new process) and checks the ids
 * against a from-scratch order in memory. */
static gitchat_conversation_stats load_check(const room *r, unsigned flags, const char *what)
{
	gitchat_store *st = reopen(r);
	gitchat_conversation *want = t_order_load(st, ROOM, GITCHAT_CONVERSATION_NO_INDEX, NULL);
	gitchat_conversation_stats stats;
	gitchat_conversation *got = t_order_load(st, ROOM, flags, &stats);
	size_t nw, ng, i;
	git_oid *w = t_order_ids(want, &nw), *g = t_order_ids(got, &ng);

	cr_assert_eq(ng, nw, "%s: %zu messages, expected %zu", what, ng, nw);
	for (i = 0; i < nw; i++)
		cr_assert(git_oid_equal(&w[i], &g[i]), "%s: position %zu", what, i);
	free(w);
	free(g);
	gitchat_conversation_free(want);
	gitchat_conversation_free(got);
	gitchat_store_free(st);
	return stats;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *d = (unsigned char *)t_read_file(path, len);
	cr_assert_not_null(d, "cannot read %s", path);
	return d;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

Test(order_index, new_messages_are_added_without_reading_the_old_ones)
{
	room r;
	gitchat_conversation_stats st;

	room_new(&r);
	room_send(&r, 40);
	st = load_check(&r, 0, "first");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT);
	cr_assert_eq(st.commits_read, 40);
	st = load_check(&r, 0, "warm");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM);
	cr_assert_eq(st.commits_read, 0);
	room_send(&r, 5);
	st = load_check(&r, 0, "five more");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_APPENDED, "%s", t_order_state_name(st.index));
	cr_assert_eq(st.commits_read, 5);
	/* The verification cache lost: the index still knows what it holds,
	 * and only the new messages are verified. */
	{
		t_run run = t_sh("rm -rf '%s/chat/verified'", r.path);
		cr_assert_eq(run.status, 0);
		t_run_free(&run);
	}
	room_send(&r, 3);
	st = load_check(&r, 0, "three more, no cache");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_UPDATED);
	cr_assert_eq(st.commits_read, 3);
	room_free(&r);
}

Test(order_index, refs_that_move_back_drop_what_they_alone_reached)
{
	room r;
	gitchat_conversation_stats st;
	git_oid side;
	git_reference *ref = NULL;
	char name[300], hex[GITCHAT_PUBKEY_HEXSIZE];

	room_new(&r);
	room_send(&r, 20);
	side = t_order_commit(r.repo, &r.au[0], ROOM, &r.heads[1], 1, 5000, NULL);
	t_order_ref(r.repo, "usb", ROOM, r.au[0].key, &side);
	st = load_check(&r, 0, "with the fork");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT);
	gitchat_pubkey_hex(hex, gitchat_key_public(r.au[0].key));
	snprintf(name, sizeof(name), "refs/chat-remotes/usb/%s/%s", ROOM, hex);
	cr_assert_eq(git_reference_lookup(&ref, r.repo, name), 0);
	cr_assert_eq(git_reference_delete(ref), 0);
	git_reference_free(ref);
	st = load_check(&r, 0, "fork ref gone");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_UPDATED);
	cr_assert_eq(st.commits_read, 0);
	/* A log rewritten to an unrelated history (as a forced update would). */
	r.has_head[2] = 0;
	r.clock = 10;
	room_send(&r, 1);
	st = load_check(&r, 0, "rewritten");
	room_free(&r);
}

static size_t many = 1400;   /* > 64 KiB of message records: two blocks */

Test(order_index, a_damaged_block_found_late_is_repaired_in_place)
{
	room r;
	gitchat_conversation_stats st;
	gitchat_conversation *conv, *ref;
	gitchat_conversation_entry e;
	gitchat_store *h;
	size_t len, n, i, nodes;
	unsigned char *d;
	git_oid *want, *got;

	room_new(&r);
	room_send(&r, many);
	conv = t_order_load(r.store, ROOM, 0, &st);
	cr_assert(st.saved);
	want = t_order_ids(conv, &n);
	gitchat_conversation_free(conv);
	d = slurp(r.index, &len);
	nodes = le64(d + 88);
	free(d);
	t_flip_byte(r.index, nodes + 10 * 52 + 8 + 3);   /* an id byte of message 10 */

	h = reopen(&r);
	conv = t_order_load(h, ROOM, 0, &st);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM, "the first block is read late");
	cr_assert_eq(gitchat_conversation_count(conv), n);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, n - 1), 0);
	gitchat_conversation_stats_get(&st, conv);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM, "the last block is fine");
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, 10), 0, "%s",
	             gitchat_error_last()->message);
	cr_assert(git_oid_equal(e.id, &want[10]), "the damaged record is never shown");
	gitchat_conversation_stats_get(&st, conv);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_REBUILT);
	got = t_order_ids(conv, &i);
	cr_assert_eq(i, n);
	cr_assert(memcmp(got, want, n * sizeof(git_oid)) == 0);
	free(got);
	gitchat_conversation_free(conv);
	gitchat_store_free(h);

	/* The file was written again: warm, and whole. */
	h = reopen(&r);
	conv = t_order_load(h, ROOM, 0, &st);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM);
	got = t_order_ids(conv, &i);
	gitchat_conversation_stats_get(&st, conv);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM);
	cr_assert(memcmp(got, want, n * sizeof(git_oid)) == 0);
	free(got);
	/* find() reads the lookup table and records: also fine now */
	cr_assert_eq(gitchat_conversation_find(&i, conv, &want[77]), 0);
	cr_assert_eq(i, 77);
	gitchat_conversation_free(conv);
	gitchat_store_free(h);

	/* The same damage found by find(). */
	t_flip_byte(r.index, nodes + 20 * 52 + 8 + 5);
	h = reopen(&r);
	ref = t_order_load(h, ROOM, 0, NULL);
	cr_assert_eq(gitchat_conversation_find(&i, ref, &want[20]), 0, "%s",
	             gitchat_error_last()->message);
	cr_assert_eq(i, 20);
	gitchat_conversation_stats_get(&st, ref);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_REBUILT);
	gitchat_conversation_free(ref);
	gitchat_store_free(h);
	free(want);
	room_free(&r);
}

static void damage_and_expect(room *r, void (*damage)(const char *path),
                              gitchat_conversation_index_state want, const char *what)
{
	gitchat_conversation_stats st;

	damage(r->index);
	st = load_check(r, 0, what);
	cr_assert_eq(st.index, want, "%s: %s", what, t_order_state_name(st.index));
	cr_assert(st.saved, "%s: written again", what);
	st = load_check(r, 0, what);
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM, "%s: then warm", what);
}

static void damage_header(const char *p) { t_flip_byte(p, 37); }          /* a count */
static void damage_sums(const char *p) { t_flip_byte(p, 192 + 3); }       /* block sum 0 */
static void damage_magic(const char *p) { t_flip_byte(p, 1); }
static void damage_version(const char *p) { t_flip_byte(p, 7); }
static void damage_tail(const char *p)
{
	/* the last block holds the tips, problems and strings */
	size_t len;
	free(slurp(p, &len));
	t_flip_byte(p, len - 2);
}
static void damage_truncate(const char *p)
{
	size_t len;
	free(slurp(p, &len));
	cr_assert_eq(truncate(p, (off_t)(len / 2)), 0);
}
static void damage_empty(const char *p) { cr_assert_eq(truncate(p, 0), 0); }
static void damage_garbage(const char *p)
{
	char junk[4096];
	memset(junk, 'x', sizeof(junk));
	t_write_file(p, junk, sizeof(junk));
}

Test(order_index, damaged_or_truncated_indexes_are_rebuilt)
{
	room r;

	room_new(&r);
	room_send(&r, 30);
	load_check(&r, 0, "first");
	damage_and_expect(&r, damage_header, GITCHAT_CONVERSATION_INDEX_REBUILT, "header");
	damage_and_expect(&r, damage_sums, GITCHAT_CONVERSATION_INDEX_REBUILT, "block sums");
	damage_and_expect(&r, damage_magic, GITCHAT_CONVERSATION_INDEX_REBUILT, "magic");
	damage_and_expect(&r, damage_tail, GITCHAT_CONVERSATION_INDEX_REBUILT, "tips block");
	damage_and_expect(&r, damage_truncate, GITCHAT_CONVERSATION_INDEX_REBUILT, "truncated");
	damage_and_expect(&r, damage_empty, GITCHAT_CONVERSATION_INDEX_REBUILT, "empty");
	damage_and_expect(&r, damage_garbage, GITCHAT_CONVERSATION_INDEX_REBUILT, "garbage");
	/* Another version's file is stale, not damaged. */
	damage_and_expect(&r, damage_version, GITCHAT_CONVERSATION_INDEX_BUILT, "version");
	room_free(&r);
}

Test(order_index, other_limits_make_it_stale)
{
	room r;
	gitchat_conversation_stats st;
	t_run run;

	room_new(&r);
	room_send(&r, 10);
	load_check(&r, 0, "first");
	run = t_sh("git --git-dir='%s' config chat.maxMessageBytes 70000", r.path);
	cr_assert_eq(run.status, 0);
	t_run_free(&run);
	st = load_check(&r, 0, "other limits");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT, "%s", t_order_state_name(st.index));
	cr_assert_eq(st.commits_read, 10);
	room_free(&r);
}

Test(order_index, a_store_that_cannot_be_written_is_ordered_in_memory)
{
	room r;
	gitchat_conversation_stats st;
	char *dir;

	room_new(&r);
	room_send(&r, 10);
	/* chat/index is a file: the index cannot be created. */
	dir = t_path(r.path, "chat");
	t_mkdir(dir);
	free(dir);
	dir = t_path(r.path, "chat/index");
	t_write_file(dir, "", 0);
	st = load_check(&r, 0, "unwritable");
	cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT);
	cr_assert(!st.saved);
	st = load_check(&r, 0, "unwritable again");
	cr_assert(!st.saved);
	cr_assert_eq(st.commits_read, 10);
	unlink(dir);
	free(dir);
	room_free(&r);
}

/* In a child: load `rounds` times, each time comparing with `want`. */
static int child_loads(const room *r, const git_oid *want, size_t n, int rounds, unsigned flags)
{
	for (int k = 0; k < rounds; k++) {
		gitchat_store *st = NULL;
		gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
		gitchat_conversation *conv = NULL;
		gitchat_conversation_entry e;
		o.flags = flags;
		if (gitchat_store_open(&st, r->path) < 0 ||
		    gitchat_conversation_load(&conv, st, ROOM, &o) < 0 ||
		    gitchat_conversation_count(conv) != n)
			return 1;
		for (size_t i = 0; i < n; i++)
			if (gitchat_conversation_entry_get(&e, conv, i) < 0 || !git_oid_equal(e.id, &want[i]))
				return 2;
		gitchat_conversation_free(conv);
		gitchat_store_free(st);
	}
	return 0;
}

Test(order_index, concurrent_readers_and_writers_see_whole_indexes)
{
	room r;
	gitchat_conversation *conv;
	git_oid *want;
	size_t n;
	pid_t kids[4];
	int i, status;

	room_new(&r);
	room_send(&r, 60);
	conv = t_order_load(r.store, ROOM, GITCHAT_CONVERSATION_NO_INDEX, NULL);
	want = t_order_ids(conv, &n);
	gitchat_conversation_free(conv);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0)
			/* two writers that always rewrite, two readers */
			_exit(child_loads(&r, want, n, 25, i < 2 ? GITCHAT_CONVERSATION_REBUILD : 0));
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: status %d", i, status);
	}
	/* No temporary file is left behind; message caches of writers that
	 * lost a race are (swept once they are old, see below). */
	{
		t_run run = t_sh("ls '%s/chat/index' | grep -v '^" ROOM ".text-[0-9a-f]*$'", r.path);
		cr_assert_str_eq(run.out, ROOM "\n");
		t_run_free(&run);
		run = t_sh("touch -d '1 hour ago' '%s'/chat/index/" ROOM ".text-* && "
		           "touch '%s/chat/index/" ROOM ".tmp-feedbeef' && "
		           "touch -d '1 hour ago' '%s/chat/index/" ROOM ".tmp-deadbeef'",
		           r.path, r.path, r.path);
		cr_assert_eq(run.status, 0);
		t_run_free(&run);
	}
	load_check(&r, GITCHAT_CONVERSATION_REBUILD, "after the race");
	{
		t_run run = t_sh("ls '%s/chat/index'", r.path);
		/* the index, its new cache, and the young temporary file */
		cr_assert_eq(t_count_lines(run.out), 3, "%s", run.out);
		cr_assert(strstr(run.out, ROOM ".tmp-feedbeef") != NULL);
		t_run_free(&run);
	}
	free(want);
	room_free(&r);
}

/* ---- the message cache beside the index ---- */

static void same_message(const gitchat_message *a, const gitchat_message *b, size_t i)
{
	cr_assert(git_oid_equal(&a->id, &b->id), "message %zu: id", i);
	cr_assert(git_oid_equal(&a->tree, &b->tree), "message %zu: tree", i);
	cr_assert_eq(a->parent_count, b->parent_count, "message %zu: parents", i);
	for (size_t k = 0; k < a->parent_count; k++)
		cr_assert(git_oid_equal(&a->parents[k], &b->parents[k]), "message %zu: parent %zu", i, k);
	cr_assert_str_eq(a->author_name, b->author_name);
	cr_assert_str_eq(a->author_email, b->author_email);
	cr_assert_eq(a->time, b->time);
	cr_assert_eq(a->tz_offset, b->tz_offset, "message %zu: tz %d %d", i, a->tz_offset, b->tz_offset);
	cr_assert_eq(a->commit_time, b->commit_time);
	cr_assert_str_eq(a->room, b->room);
	cr_assert(!memcmp(&a->key, &b->key, sizeof(a->key)));
	cr_assert_eq(a->has_reply, b->has_reply);
	if (a->has_reply)
		cr_assert(git_oid_equal(&a->reply_to, &b->reply_to));
	cr_assert_eq(a->kind, b->kind);
	if (a->kind != GITCHAT_MESSAGE_TEXT)
		cr_assert(git_oid_equal(&a->target, &b->target));
	cr_assert_eq(a->text_len, b->text_len);
	cr_assert(!memcmp(a->text, b->text, a->text_len), "message %zu: text", i);
	cr_assert_eq(a->file_count, b->file_count, "message %zu: files", i);
	for (size_t k = 0; k < a->file_count; k++) {
		cr_assert_str_eq(a->files[k].name, b->files[k].name);
		cr_assert_eq(a->files[k].size, b->files[k].size);
	}
}

/* Every message of a fresh load equals the message read from git (an
 * in-memory order reads them all from git); returns the stats. */
static gitchat_conversation_stats compare_messages(const room *r)
{
	gitchat_store *st = reopen(r);
	gitchat_conversation *git = t_order_load(st, ROOM, GITCHAT_CONVERSATION_NO_INDEX, NULL);
	gitchat_conversation *got = t_order_load(st, ROOM, 0, NULL);
	gitchat_conversation_stats stats;
	size_t n = gitchat_conversation_count(git), i;

	cr_assert_eq(gitchat_conversation_count(got), n);
	for (i = 0; i < n; i++) {
		gitchat_message *a = NULL, *b = NULL;
		cr_assert_eq(gitchat_conversation_message_load(&a, git, i), 0);
		cr_assert_eq(gitchat_conversation_message_load(&b, got, i), 0, "%s",
		             gitchat_error_last()->message);
		same_message(a, b, i);
		gitchat_message_free(a);
		gitchat_message_free(b);
	}
	gitchat_conversation_stats_get(&stats, git);
	cr_assert_eq(stats.messages_cached, 0);
	cr_assert_eq(stats.messages_read, n);
	gitchat_conversation_stats_get(&stats, got);
	gitchat_conversation_free(git);
	gitchat_conversation_free(got);
	gitchat_store_free(st);
	return stats;
}

static char *text_file(const room *r)
{
	t_run run = t_sh("ls '%s'/chat/index/" ROOM ".text-*", r->path);
	char *path;
	cr_assert_eq(run.status, 0, "no message cache");
	cr_assert_eq(t_count_lines(run.out), 1, "%s", run.out);
	run.out[strcspn(run.out, "\n")] = '\0';
	path = strdup(run.out);
	t_run_free(&run);
	return path;
}

Test(order_index, the_message_cache_gives_what_git_gives)
{
	room r;
	gitchat_conversation_stats st;
	git_oid blob, files, tree, a, b;
	git_treebuilder *tb;
	char *file;
	size_t len;

	room_new(&r);
	room_send(&r, 12);
	cr_assert_eq(git_blob_create_from_buffer(&blob, r.repo, "attached", 8), 0);
	cr_assert_eq(git_treebuilder_new(&tb, r.repo, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "1", &blob, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_write(&files, tb), 0);
	git_treebuilder_free(tb);
	cr_assert_eq(git_treebuilder_new(&tb, r.repo, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "files", &files, GIT_FILEMODE_TREE), 0);
	cr_assert_eq(git_treebuilder_write(&tree, tb), 0);
	git_treebuilder_free(tb);
	{
		t_order_extra x1 = { 0, NULL, &r.heads[0], "with an attachment and a reply", 0, &tree,
		                     "-0130", "chat-file 1 8 note.txt\n" };
		a = t_order_commit(r.repo, &r.au[0], ROOM, &r.heads[0], 1, 5000, &x1);
	}
	{
		t_order_extra x2 = { GITCHAT_MESSAGE_REACT, &a, NULL, "\xf0\x9f\x8e\x89", 0, NULL, "+0545" };
		git_oid p[2] = { r.heads[1], a };
		b = t_order_commit(r.repo, &r.au[1], ROOM, p, 2, 5001, &x2);
	}
	t_order_ref(r.repo, NULL, ROOM, r.au[0].key, &a);
	t_order_ref(r.repo, NULL, ROOM, r.au[1].key, &b);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 14, "all from the cache: %zu cached, %zu read", st.messages_cached, st.messages_read);
	cr_assert_eq(st.messages_read, 0);

	r.heads[0] = a;
	r.heads[1] = b;

	/* A damaged block: its messages come from git, the same. */
	file = text_file(&r);
	free(t_read_file(file, &len));
	t_flip_byte(file, 32 + 24 + 4);             /* in the first block's compressed bytes */
	st = compare_messages(&r);
	cr_assert_eq(st.messages_read, 14);
	cr_assert_eq(st.messages_cached, 0);

	/* Cut short (torn by a crash): read from git, and the next update
	 * makes the cache again, for every message. */
	cr_assert_eq(truncate(file, (off_t)(len / 2)), 0);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_read, 14);
	room_send(&r, 2);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 16, "%zu cached, %zu read", st.messages_cached,
	             st.messages_read);
	cr_assert_eq(st.messages_read, 0);
	free(text_file(&r));                 /* one cache: the torn one went */

	/* Gone: everything from git; the next update makes it again. */
	free(file);
	file = text_file(&r);
	unlink(file);
	free(file);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_read, 16);
	room_send(&r, 4);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 20);
	cr_assert_eq(st.messages_read, 0);
	/* An update appends to the cache in use (its last block written again
	 * with the new records). */
	room_send(&r, 3);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 23);
	free(text_file(&r));
	/* Another writer holds the cache: this update goes without it, and
	 * the old copies stay good. */
	{
		char *f = text_file(&r);
		int fd = open(f, O_RDONLY);
		cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0);
		room_send(&r, 2);
		st = compare_messages(&r);
		cr_assert_eq(st.messages_cached, 23);
		cr_assert_eq(st.messages_read, 2);
		close(fd);
		free(f);
		room_send(&r, 1);
		st = compare_messages(&r);
		cr_assert_eq(st.messages_cached, 24);
	}
		/* A rebuild copies every message again, into a new cache; the old one goes. */
	load_check(&r, GITCHAT_CONVERSATION_REBUILD, "rebuild");
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 26);
	free(text_file(&r));
	room_free(&r);
}

/* Messages of about 20 KB: a block holds three or four. Appends add
 * blocks; a damaged block costs only its own messages; one torn at the
 * end makes the next update write the cache again. */
Test(order_index, the_message_cache_in_blocks)
{
	room r;
	gitchat_conversation_stats st;
	char *big = malloc(20001), *file;
	unsigned char *d;
	size_t len, off = 32, nblocks = 0, i;

	cr_assert(big != NULL);
	room_new(&r);
	for (i = 0; i < 20000; i++)
		big[i] = (char)('a' + (i * 7919 + i / 13) % 26);   /* not too compressible */
	big[20000] = '\0';
	for (int round = 0; round < 3; round++) {
		for (i = 0; i < 5; i++) {
			t_order_extra x = { 0 };
			int au = (int)(i % 3);
			x.text = big;
			big[i] = (char)('A' + round);
			r.clock += 1;
			r.heads[au] = t_order_commit(r.repo, &r.au[au], ROOM, r.has_head[au] ? &r.heads[au] : NULL,
			                             r.has_head[au], r.clock, &x);
			r.has_head[au] = 1;
		}
		for (int au = 0; au < 3; au++)
			t_order_ref(r.repo, NULL, ROOM, r.au[au].key, &r.heads[au]);
		st = compare_messages(&r);
		cr_assert_eq(st.messages_cached, 5 * (size_t)(round + 1), "round %d: %zu cached, %zu read",
		             round, st.messages_cached, st.messages_read);
	}
	file = text_file(&r);
	d = (unsigned char *)t_read_file(file, &len);
	while (off + 24 <= len) {
		off += (24 + le64(d + off + 8) % (1ull << 32) + 7) & ~(size_t)7;
		nblocks++;
	}
	cr_assert_eq(off, len, "the blocks fill the file");
	cr_assert(nblocks >= 4, "%zu blocks", nblocks);
	/* the second block's compressed bytes */
	off = 32 + ((24 + (le64(d + 32 + 8) & 0xffffffff) + 7) & ~(size_t)7);
	t_flip_byte(file, off + 24 + 10);
	st = compare_messages(&r);
	cr_assert(st.messages_read >= 1 && st.messages_read <= 5, "%zu read", st.messages_read);
	cr_assert_eq(st.messages_cached + st.messages_read, 15);
	/* torn at the end */
	cr_assert_eq(truncate(file, (off_t)(len - 100)), 0);
	room_send(&r, 1);
	st = compare_messages(&r);
	cr_assert_eq(st.messages_cached, 16, "%zu cached, %zu read", st.messages_cached,
	             st.messages_read);
	free(text_file(&r));
	free(d);
	free(file);
	free(big);
	room_free(&r);
}

/* ---- damage that the sums do not catch ----
 *
 * The sums are unkeyed: whoever writes the file can write right sums over
 * wrong records. Such a file is data on disk like any other: every field
 * is bounded when read, and a record that is out of bounds makes the room
 * rebuilt from the refs, never a failed command or an overflow. */

static void resum(const char *path)
{
	size_t len;
	unsigned char *d = slurp(path, &len);
	uint32_t nblocks = (uint32_t)d[12] | (uint32_t)d[13] << 8 | (uint32_t)d[14] << 16 |
	                   (uint32_t)d[15] << 24;
	uint64_t block = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 |
	                 (uint32_t)d[11] << 24;
	uint64_t body = le64(d + 80);

	for (uint32_t b = 0; b < nblocks; b++) {
		uint64_t start = body + (uint64_t)b * block, n = len - start;
		crypto_generichash(d + 192 + 16 * b, 16, d + start, n > block ? block : n, NULL, 0);
	}
	crypto_generichash(d + 192 + 16 * (size_t)nblocks, 32, d, 192 + 16 * (size_t)nblocks,
	                   NULL, 0);
	t_write_file(path, (char *)d, len);
	free(d);
}

/* Writes `len` bytes of `v` (little endian) at `off` from the start of
 * section `section` (its offset is in the header), then sums again. */
static void poke(const char *path, int section, uint64_t off, uint64_t v, int len)
{
	size_t flen;
	unsigned char *d = slurp(path, &flen);
	uint64_t at = le64(d + 88 + 8 * section) + off;

	cr_assert_leq(at + (uint64_t)len, flen);
	for (int i = 0; i < len; i++)
		d[at + (uint64_t)i] = i < 8 ? (unsigned char)(v >> (8 * i)) : 0;
	t_write_file(path, (char *)d, flen);
	free(d);
	resum(path);
}

enum { S_NODES, S_PARENTS, S_KEYS, S_TIPS, S_LINKS, S_PROBLEMS, S_RELATED, S_LOOKUP, S_UNRESOLVED,
       S_STRINGS };

/* Damages the index under right sums; every reader path must then give
 * what the refs give. A node's id is the one damage found only when its
 * commit is read (by the view), not by listing the ids. */
static void resummed_and_expect(room *r, int section, uint64_t off, uint64_t v, int len,
                                const char *what)
{
	gitchat_store *st;
	gitchat_conversation *conv;
	gitchat_conversation_stats stats;
	gitchat_view *view = NULL;
	int ids = strcmp(what, "node id") != 0;

	/* The ids, in order, as without an index... */
	if (ids) {
		poke(r->index, section, off, v, len);
		load_check(r, 0, what);
	}
	/* ...and the whole view (replies, edits, reactions, times). */
	poke(r->index, section, off, v, len);
	st = reopen(r);
	conv = t_order_load(st, ROOM, 0, NULL);
	cr_assert_eq(gitchat_view_new(&view, conv), 0, "%s: view: %s", what,
	             gitchat_error_last()->message);
	for (size_t i = 0; i < gitchat_conversation_count(conv); i++) {
		gitchat_view_item *it = NULL;
		gitchat_buf out = GITCHAT_BUF_INIT;
		if (!gitchat_view_visible(view, i))
			continue;
		cr_assert_eq(gitchat_view_item_load(&it, view, i), 0, "%s: item %zu: %s", what, i,
		             gitchat_error_last()->message);
		cr_assert_eq(gitchat_json_render_item(&out, it), 0);
		gitchat_view_item_free(it);
		cr_assert(strstr(out.ptr, "\"time\":\"1970-01-01T"), "%s: %s", what, out.ptr);
		gitchat_buf_dispose(&out);
	}
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	gitchat_store_free(st);
	/* Written again, right this time. */
	stats = load_check(r, 0, what);
	cr_assert_eq(stats.index, GITCHAT_CONVERSATION_INDEX_WARM, "%s: then warm (%s)", what,
	             t_order_state_name(stats.index));
}

Test(order_index, damage_under_right_sums_is_rebuilt_from_the_refs)
{
	room r;

	room_new(&r);
	room_send(&r, 40);
	load_check(&r, 0, "first");
	/* Node 5: its time, key, parents, kind; a parent position; the
	 * lookup table; a tip's name; a key twice. */
	resummed_and_expect(&r, S_NODES, 5 * 52, (uint64_t)INT64_MIN, 8, "time INT64_MIN");
	resummed_and_expect(&r, S_NODES, 5 * 52, (uint64_t)INT64_MAX, 8, "time INT64_MAX");
	resummed_and_expect(&r, S_NODES, 7 * 52 + 40, 0xfffffff0u, 4, "key");
	resummed_and_expect(&r, S_NODES, 7 * 52 + 36, 0xfffffff0u, 4, "first parent");
	resummed_and_expect(&r, S_NODES, 7 * 52 + 44, 0xffff, 2, "parent count");
	resummed_and_expect(&r, S_NODES, 7 * 52 + 46, 9, 1, "kind");
	resummed_and_expect(&r, S_NODES, 7 * 52 + 47, 1, 1, "valid node marked invalid");
	resummed_and_expect(&r, S_PARENTS, 4, 0xfffffff0u, 4, "parent position");
	resummed_and_expect(&r, S_PARENTS, 4, 39, 4, "parent after its child");
	resummed_and_expect(&r, S_LOOKUP, 4 * 200, 0xfffffff0u, 4, "fanout");
	/* The positions follow the 40 two-byte keys (order-index.md). */
	resummed_and_expect(&r, S_LOOKUP, 256 * 4 + 40 * 2 + 8, 0xfffffff0u, 4, "lookup position");
	resummed_and_expect(&r, S_TIPS, 20, 0xfffffff0u, 4, "tip name");
	resummed_and_expect(&r, S_KEYS, 32, 0, 32, "second key");
	/* A node naming a commit the store does not have. */
	resummed_and_expect(&r, S_NODES, 9 * 52 + 8, 0x0123456789abcdefu, 8, "node id");

	/* With an invalid commit on top of one log: its problem record. */
	t_order_extra bad = { 0 };
	bad.tamper = 1;
	r.heads[0] = t_order_commit(r.repo, &r.au[0], ROOM, &r.heads[0], 1, ++r.clock, &bad);
	t_order_ref(r.repo, NULL, ROOM, r.au[0].key, &r.heads[0]);
	load_check(&r, 0, "with an invalid commit");
	resummed_and_expect(&r, S_PROBLEMS, 28, 0xfffffff0u, 4, "problem reason");
	resummed_and_expect(&r, S_PROBLEMS, 0, 0xfffffff0u, 4, "problem ref name");
	resummed_and_expect(&r, S_PROBLEMS, 4, 0xfffffff0u, 4, "problem node");
	room_free(&r);
}

/* What the filter of a private room is handed: the text as loaded. */
static int seen_text(gitchat_message **msg, size_t i, void *payload)
{
	size_t *total = payload;
	(void)i;
	*total += (*msg)->text_len;
	return 0;
}

/* A private room's bodies are age files that only the private layer opens:
 * the message cache keeps the rest of each message and not the body, so a
 * read through the private filter inflates no ciphertext, while a caller
 * that asks for the body (the private layer, before it decrypts) gets it
 * from git, as the commit has it. */
Test(order_index, a_private_rooms_bodies_stay_out_of_the_message_cache)
{
	static const char priv[] = "_0123456789abcdef01234567";
	t_order_author au[1];
	gitchat_store *store = NULL, *st;
	gitchat_conversation *conv;
	gitchat_conversation_filter f = { NULL, seen_text, NULL };
	gitchat_conversation_stats stats;
	git_oid head;
	size_t total = 0;
	char *path = t_path(t_scratch(), "store");

	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_init(&store, path), 0, "%s", gitchat_error_last()->message);
	t_order_authors(au, 1);
	for (int k = 0; k < 5; k++) {
		t_order_extra x = { 0, NULL, NULL, "-----BEGIN AGE ENCRYPTED FILE-----", 0, NULL, NULL, NULL };
		head = t_order_commit(gitchat_store_repository(store), &au[0], priv, k ? &head : NULL,
		                      k ? 1 : 0, 1000 + k, &x);
	}
	t_order_ref(gitchat_store_repository(store), NULL, priv, au[0].key, &head);
	gitchat_conversation_free(t_order_load(store, priv, 0, NULL));   /* writes the cache */

	cr_assert_eq(gitchat_store_open(&st, path), 0);
	conv = t_order_load(st, priv, 0, NULL);
	f.payload = &total;
	gitchat_conversation_filter_set(conv, &f);
	for (size_t i = 0; i < 5; i++) {
		gitchat_message *m = NULL;
		cr_assert_eq(gitchat_conversation_message_load(&m, conv, i), 0);
		gitchat_message_free(m);
	}
	gitchat_conversation_stats_get(&stats, conv);
	cr_assert_eq(stats.messages_cached, 5, "%zu cached, %zu read", stats.messages_cached,
	             stats.messages_read);
	cr_assert_eq(total, 0, "the filter was handed %zu bytes of bodies from the cache", total);
	for (size_t i = 0; i < 5; i++) {
		gitchat_message *m = NULL;
		cr_assert_eq(gitchat_conversation_message_load_raw(&m, conv, i), 0);
		cr_assert_str_eq(m->text, "-----BEGIN AGE ENCRYPTED FILE-----");
		gitchat_message_free(m);
	}
	gitchat_conversation_stats_get(&stats, conv);
	cr_assert_eq(stats.messages_read, 5, "the bodies come from git");
	gitchat_conversation_free(conv);
	gitchat_store_free(st);
	t_order_authors_free(au, 1);
	gitchat_store_free(store);
	free(path);
}
