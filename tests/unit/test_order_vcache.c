/*
 * The verification cache the merger leans on ($GIT_DIR/chat/verified/<room>):
 * its sorted part is searched in place, a long appended tail is merged and
 * the file rewritten sorted, files of earlier rules are rebuilt, other limits
 * or a damaged header make it ignored, a torn last record is skipped, and
 * results are kept per room.
 *
 * The cache is trusted local state (like refs/chat): a commit it lists is
 * valid without a check. The tests use exactly that to see whether an entry
 * was found: they list a commit whose signature is bad.
 */
#include <sys/stat.h>
#include <unistd.h>
#include "testorder.h"
#include "testlib.h"

#define ROOM "general"

typedef struct {
	char *path, *file;
	gitchat_store *store;
	git_repository *repo;
	t_order_author au[1];
	git_oid bad;      /* a commit whose signature does not verify */
	git_oid good;
} fixture;

static void setup(fixture *f)
{
	t_order_extra tamper = { 0, NULL, NULL, "hello", 1 };
	char *dir;

	cr_assert_eq(gitchat_init(), 0);
	f->path = t_path(t_scratch(), "store");
	cr_assert_eq(gitchat_store_init(&f->store, f->path), 0);
	f->repo = gitchat_store_repository(f->store);
	t_order_authors(f->au, 1);
	f->good = t_order_commit(f->repo, &f->au[0], ROOM, NULL, 0, 100, NULL);
	f->bad = t_order_commit(f->repo, &f->au[0], ROOM, &f->good, 1, 200, &tamper);
	dir = t_path(f->path, "chat/verified");
	t_mkdir(dir);
	free(dir);
	cr_assert(asprintf(&f->file, "%s/chat/verified/%s", f->path, ROOM) > 0);
	gitchat_store_free(f->store);
	f->store = NULL;
}

static void teardown(fixture *f)
{
	gitchat_store_free(f->store);
	t_order_authors_free(f->au, 1);
	free(f->path);
	free(f->file);
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* A cache file: `nsorted` sorted random ids, then `ntail` unsorted ones;
 * `extra` (may be NULL) goes among the sorted ones or in the tail. */
static void write_cache(const fixture *f, const char *magic, uint32_t max_text, size_t nsorted,
                        size_t ntail, const git_oid *extra, int extra_in_tail, size_t torn)
{
	size_t n = nsorted + ntail, len = 32 + n * 20 + torn, i;
	unsigned char *d = calloc(len + 1, 1);
	t_rng r = { n * 31 + 7 };

	memcpy(d, magic, 8);
	be32(d + 8, max_text);
	be32(d + 12, 16 * 1024 * 1024);
	be32(d + 16, 17);
	if (!strcmp(magic, "GCVRFY04")) {
		be32(d + 20, (uint32_t)nsorted);
		be32(d + 24, 8 * 1024 * 1024);
	}
	for (i = 0; i < n * 20 + torn; i++)
		d[32 + i] = (unsigned char)t_rng_next(&r);
	if (extra && extra_in_tail)
		memcpy(d + 32 + (nsorted + ntail / 2) * 20, extra->id, 20);
	else if (extra)
		memcpy(d + 32 + (nsorted / 3) * 20, extra->id, 20);
	qsort(d + 32, nsorted, 20, id_cmp);
	t_write_file(f->file, (const char *)d, len);
	free(d);
}

static int verify(fixture *f, const git_oid *id, const char *room)
{
	if (!f->store)
		cr_assert_eq(gitchat_store_open(&f->store, f->path), 0);
	return gitchat_verify_commit(f->store, id, room, NULL);
}

static void reset(fixture *f)
{
	gitchat_store_free(f->store);
	f->store = NULL;
}

Test(order_vcache, the_sorted_part_is_searched_in_place)
{
	fixture f;
	struct stat before, after;

	setup(&f);
	write_cache(&f, "GCVRFY04", 65536, 5000, 10, &f.bad, 0, 0);
	cr_assert_eq(stat(f.file, &before), 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), 0, "listed in the sorted part: trusted");
	reset(&f);
	cr_assert_eq(stat(f.file, &after), 0);
	cr_assert_eq(after.st_ino, before.st_ino, "a short tail does not rewrite the file");
	cr_assert_eq(after.st_size, before.st_size, "nothing new to append");
	teardown(&f);
}

Test(order_vcache, unlisted_commits_are_checked)
{
	fixture f;
	size_t len;
	char *d;

	setup(&f);
	write_cache(&f, "GCVRFY04", 65536, 5000, 10, NULL, 0, 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY);
	cr_assert_eq(verify(&f, &f.good, ROOM), 0);
	reset(&f);
	/* ... and the good one appended */
	d = t_read_file(f.file, &len);
	cr_assert_eq(len, 32 + 5011 * 20);
	cr_assert(memcmp(d + len - 20, f.good.id, 20) == 0);
	free(d);
	teardown(&f);
}

Test(order_vcache, a_long_tail_is_merged_and_the_file_rewritten_sorted)
{
	fixture f;
	size_t len, i;
	unsigned char *d;

	setup(&f);
	write_cache(&f, "GCVRFY04", 65536, 100, 5000, &f.bad, 1, 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), 0, "listed in the tail: trusted");
	reset(&f);
	d = (unsigned char *)t_read_file(f.file, &len);
	cr_assert_eq(len, 32 + 5100 * 20);
	cr_assert_eq((uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23], 5100);
	for (i = 1; i < 5100; i++)
		cr_assert(memcmp(d + 32 + (i - 1) * 20, d + 32 + i * 20, 20) < 0, "sorted at %zu", i);
	free(d);
	cr_assert_eq(verify(&f, &f.bad, ROOM), 0, "still found after the rewrite");
	teardown(&f);
}

/* The process whose appends make the tail long sorts the file itself
 * (issue 15: a `verify` of a whole room, then every sync after it, paid
 * for that sort at each load). Invalid verdicts, kept only in memory,
 * survive the rewrite. */
Test(order_vcache, a_flush_that_makes_the_tail_long_writes_the_file_sorted)
{
	fixture f;
	size_t len, i;
	unsigned char *d;
	const char *reason;

	setup(&f);
	write_cache(&f, "GCVRFY04", 65536, 100, 4095, NULL, 0, 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY);
	cr_assert_eq(verify(&f, &f.good, ROOM), 0, "the 4,096th record after the sorted part");
	d = (unsigned char *)t_read_file(f.file, &len);
	cr_assert_eq(len, 32 + 4196 * 20, "every valid id once");
	cr_assert_eq((uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23],
	             4196, "all of it in the sorted part");
	for (i = 1; i < 4196; i++)
		cr_assert(memcmp(d + 32 + (i - 1) * 20, d + 32 + i * 20, 20) < 0, "sorted at %zu", i);
	free(d);
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY, "the invalid verdict is kept");
	reason = gitchat_error_last()->message;
	cr_assert(strstr(reason, "signature") != NULL, "the reason is kept: %s", reason);
	reset(&f);
	cr_assert_eq(verify(&f, &f.good, ROOM), 0, "found in the rewritten file");
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY);
	teardown(&f);
}

/* A verdict is only as good as the rules it was reached under: files of
 * earlier versions (whose rules took what is now invalid) are not trusted,
 * and rebuilt in the current format. */
Test(order_vcache, files_written_under_earlier_rules_are_rebuilt)
{
	static const char *older[] = { "GCVRFY01", "GCVRFY02", "GCVRFY03" };
	fixture f;
	size_t len;
	unsigned char *d;

	for (size_t i = 0; i < 3; i++) {
		setup(&f);
		write_cache(&f, older[i], 65536, 0, 5000, &f.bad, 1, 0);
		cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY, "%s trusted", older[i]);
		cr_assert_eq(verify(&f, &f.good, ROOM), 0);
		reset(&f);
		d = (unsigned char *)t_read_file(f.file, &len);
		cr_assert(d && memcmp(d, "GCVRFY04", 8) == 0, "rewritten in the current format");
		cr_assert_eq(len, 32 + 20, "only the one valid commit checked since");
		free(d);
		teardown(&f);
	}
}

Test(order_vcache, other_limits_or_a_bad_header_are_ignored)
{
	fixture f;

	setup(&f);
	write_cache(&f, "GCVRFY04", 1000, 50, 50, &f.bad, 0, 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY, "written under other limits");
	reset(&f);
	write_cache(&f, "XXVRFY02", 65536, 50, 50, &f.bad, 0, 0);
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY, "not a cache file");
	reset(&f);
	/* nsorted larger than the file */
	write_cache(&f, "GCVRFY04", 65536, 50, 0, &f.bad, 0, 0);
	{
		FILE *fp = fopen(f.file, "r+b");
		unsigned char big[4] = { 0, 0, 0x10, 0 };
		fseek(fp, 20, SEEK_SET);
		fwrite(big, 1, 4, fp);
		fclose(fp);
	}
	cr_assert_eq(verify(&f, &f.bad, ROOM), GITCHAT_EVERIFY, "counts that do not add up");
	teardown(&f);
}

Test(order_vcache, a_torn_last_record_is_skipped)
{
	fixture f;

	setup(&f);
	write_cache(&f, "GCVRFY04", 65536, 20, 20, &f.bad, 1, 7);
	cr_assert_eq(verify(&f, &f.bad, ROOM), 0);
	teardown(&f);
}

Test(order_vcache, results_are_kept_per_room)
{
	fixture f;

	setup(&f);
	cr_assert_eq(verify(&f, &f.good, ROOM), 0);
	cr_assert_eq(verify(&f, &f.good, "other"), GITCHAT_EVERIFY, "its chat-room is general");
	cr_assert(strstr(gitchat_error_last()->message, "not 'other'") != NULL, "%s",
	          gitchat_error_last()->message);
	cr_assert_eq(verify(&f, &f.good, ROOM), 0, "still valid where it belongs");
	teardown(&f);
}
