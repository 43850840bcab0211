/*
 * Rooms as a user counts and names them: `git chat rooms` columns, sync's
 * and rooms' counts alike, and sync -r of a room only on the remote or
 * nowhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"


Test(rooms, sync_room_only_on_the_remote_is_fine_nowhere_is_noted)
{
	const char *dir = t_scratch();
	char *key, *a = t_two_rooms(dir, &key), *b = t_store(dir, "b");
	t_run r;

	r = t_chatv(b, "sync", "-r", "random", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.err, "warning"), NULL, "%s", r.err);
	t_assert_contains(r.out, "received 1 new message (random: 1)");
	t_run_free(&r);

	r = t_chatv(b, "sync", "-r", "genral", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "warning: room 'genral' is neither in this store nor on the "
	                         "remotes");
	t_assert_contains(r.err, "'git chat rooms'");
	t_run_free(&r);

	r = t_chatv(b, "sync", "-r", "genral", "--no-fetch", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "room 'genral' is not in this store, so nothing was pushed");
	t_run_free(&r);
}

Test(rooms, sync_and_rooms_count_alike)
{
	const char *dir = t_scratch();
	char *a = t_store(dir, "a"), *b = t_store(dir, "b"), *key = t_keygen(dir, "k", 1);
	char *first = t_send(a, key, "general", "one");
	t_run r;

	free(t_send(a, key, "general", "two"));
	r = t_chatv(a, "edit", "--key", key, first, "one, edited");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(a, "react", "--key", key, first, "+1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	r = t_chatv(b, "sync", "-v", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "received 4 new commits (general: 4): 2 messages, 1 edit, "
	                         "1 reaction");
	t_assert_contains(r.err, "4 new commits in room 'general': 2 messages, 1 edit, 1 reaction");
	t_run_free(&r);

	r = t_chatv(b, "rooms", "--format=json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "\"messages\":2,");
	t_run_free(&r);

	/* Messages only: said as before. */
	free(t_send(a, key, "general", "three"));
	r = t_chatv(b, "sync", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "received 1 new message (general: 1)\n");
	t_run_free(&r);
	r = t_chatv(b, "rooms");
	t_assert_contains(r.out, "3 messages");
	t_run_free(&r);
}

Test(rooms, rooms_columns_line_up)
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
