/*
 * bench_order_ids: the room's order as ids, one per line, the way
 * `git rev-list` prints a walk: what the merger costs without rendering.
 *
 *   bench_order_ids [-r ROOM] [-n LAST] [-m] [-x]
 *
 * -n prints only the last LAST; -m also reads every printed message
 * (gitchat_conversation_message), to tell reading from rendering; -x orders
 * in memory without the index (GITCHAT_CONVERSATION_NO_INDEX). The store
 * is found as git finds it (GIT_DIR).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gitchat.h>

static int fail(const char *what)
{
	fprintf(stderr, "bench_order_ids: %s: %s\n", what, gitchat_error_last()->message);
	return 128;
}

int main(int argc, char **argv)
{
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_store *store = NULL;
	gitchat_conversation *conv = NULL;
	const char *room = "general";
	long long last = -1;
	int read_messages = 0, opt;
	size_t i, n, start;
	char hex[GIT_OID_HEXSZ + 2];

	while ((opt = getopt(argc, argv, "r:n:mx")) != -1) {
		switch (opt) {
		case 'r': room = optarg; break;
		case 'n': last = atoll(optarg); break;
		case 'm': read_messages = 1; break;
		case 'x': o.flags |= GITCHAT_CONVERSATION_NO_INDEX; break;
		default:
			fprintf(stderr, "usage: bench_order_ids [-r ROOM] [-n LAST] [-m] [-x]\n");
			return 129;
		}
	}
	if (gitchat_init() < 0)
		return fail("init");
	/* The pack windows git-chat's reading commands use: a program's choice,
	 * not the library's (gitchat/conversation.h). */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 << 20);
	if (gitchat_store_open(&store, NULL) < 0)
		return fail("store");
	if (gitchat_conversation_load_ext(&conv, store, room, &o) < 0)
		return fail("load");
	n = gitchat_conversation_count(conv);
	start = last >= 0 && (size_t)last < n ? n - (size_t)last : 0;
	for (i = start; i < n; i++) {
		gitchat_conversation_entry e;
		if (gitchat_conversation_entry_get(&e, conv, i) < 0)
			return fail("entry");
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, e.id);
		hex[GIT_OID_HEXSZ] = '\n';
		fwrite(hex, 1, GIT_OID_HEXSZ + 1, stdout);
		if (read_messages) {
			gitchat_message *m = NULL;
			if (gitchat_conversation_message(&m, conv, i) < 0)
				return fail("message");
			gitchat_message_free(m);
		}
	}
	gitchat_conversation_free(conv);
	gitchat_store_free(store);
	gitchat_shutdown();
	return fflush(stdout) == 0 ? 0 : 1;
}
