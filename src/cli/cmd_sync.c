#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"

const cli_usage usage_sync = {
	"sync",
	"usage: git chat sync [-r ROOM]... [--no-fetch] [--no-push] [-q | -v] [REMOTE|URL|PATH...]\n",
	"Replicates the logs of the store through git remotes: for each remote,\n"
	"fetches its refs/chat/*, verifies every new commit, fast-forwards the\n"
	"local logs (a log that went another way is a fork: kept under\n"
	"refs/chat-remotes/<remote>/ and shown), then pushes every local log the\n"
	"remote lacks or is behind on, anyone's, never forced. Nothing that does\n"
	"not verify is stored, shown or passed on; each rejected log is named\n"
	"with the remote, the ref, the commit and the reason.\n"
	"\n"
	"Without arguments: every remote configured in the store ('git chat remote\n"
	"add', 'git remote add'). An argument is a remote's name, a URL (file://,\n"
	"git://, http(s)://, ssh://, user@host:path) or a path; a path that does\n"
	"not exist yet becomes a new bare repository (a USB stick). A URL or path\n"
	"that is no configured remote is named \"url-\" and 16 hex digits of the\n"
	"SHA-256 of the URL (of the absolute path) under refs/chat-remotes/.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "only this room (repeatable; default: git config\n"
		  "chat.rooms, else every room)", "@room" },
		{ 'F', 0, "no-fetch", NULL,
		  "only push", NULL },
		{ 'P', 0, "no-push", NULL,
		  "only fetch", NULL },
		{ 'q', 'q', "quiet", NULL,
		  "no progress and no summary; errors still show", NULL },
		{ 'v', 'v', "verbose", NULL,
		  "also each log received or pushed and what the\n"
		  "server says", NULL },
		CLI_OPT_END
	},
	"ssh: keys from ssh-agent, then git config chat.sshKey, ~/.ssh/id_ed25519\n"
	"(id_ecdsa, id_rsa); host keys must be in ~/.ssh/known_hosts (connect once\n"
	"with ssh, or use ssh-keyscan); a changed host key is always refused.\n"
	"http(s): passwords and tokens come from git's credential helpers.\n"
	"\n"
	"Prints one summary line per remote. It counts new messages, or, when edits,\n"
	"redactions or reactions came too, new commits with their kinds ('git chat\n"
	"rooms' counts messages only). A -r ROOM found nowhere is warned about.\n"
	"A log of yours that cannot be pushed (the remote holds a commit that is not\n"
	"in it: invalid data, or a fork) is named at every sync, with what waits\n"
	"here and how to unblock it. Syncing by path runs no hook of that repository\n"
	"(said once per repository; the store remembers it in chat/hook-notes).\n"
	"Exit status: 0 when everything synced, 1 when a log was rejected, a push\n"
	"declined, a log held back by invalid data on the remote or a remote failed\n"
	"(the others still sync), 128 on a store error, 129 on a usage error.\n",
	"@remote"
};

typedef struct {
	int verbose, quiet, progress;
	struct timespec last;
	int line_open;
	int width;          /* of the longest progress line so far */
	gitchat_store *store;
	int me_known;       /* 0: not looked up, 1: found, -1: no key */
	gitchat_pubkey me;
} sync_ui;

/* "3 new messages", or for commits of other kinds "5 new commits" and, in
 * `detail`, ": 3 messages, 1 edit, 1 reaction" (nothing when the kinds
 * the library read do not add up to `count`). 'git chat rooms' counts
 * messages without edits, redactions and reactions: telling them apart
 * keeps the two in agreement. */
static int describe_received(gitchat_buf *out, gitchat_buf *detail, size_t count,
                             const size_t kinds[4])
{
	static const char *names[4][2] = {
		{ "message", "messages" }, { "edit", "edits" },
		{ "redaction", "redactions" }, { "reaction", "reactions" }
	};
	size_t sum = kinds[0] + kinds[1] + kinds[2] + kinds[3];
	int i, n = 0, error;

	if (sum == count && kinds[0] == count)
		return gitchat_buf_printf(out, "%zu new message%s", count, count == 1 ? "" : "s");
	if ((error = gitchat_buf_printf(out, "%zu new commit%s", count, count == 1 ? "" : "s")) < 0)
		return error;
	if (sum != count)
		return 0;   /* a commit could not be read: commits only */
	for (i = 0; i < 4; i++)
		if (kinds[i] && (error = gitchat_buf_printf(detail, "%s%zu %s", n++ ? ", " : ": ",
		                                            kinds[i], names[i][kinds[i] != 1])) < 0)
			return error;
	return 0;
}

static void short_oid(char out[12], const git_oid *id)
{
	if (id)
		git_oid_tostr(out, 12, id);
	else
		strcpy(out, "-");
}

static void end_progress_line(sync_ui *ui)
{
	if (ui->line_open) {
		fputc('\n', stderr);
		ui->line_open = 0;
		ui->width = 0;
	}
}

static int on_progress(const gitchat_sync_progress *p, void *payload)
{
	sync_ui *ui = payload;
	struct timespec now;
	double ms;

	if (!ui->progress)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - ui->last.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - ui->last.tv_nsec) / 1e6;
	if (!p->done && ms < 100)
		return 0;
	ui->last = now;
	{
		char line[256], total[32] = "";
		if (p->total_objects)
			snprintf(total, sizeof(total), "/%zu", p->total_objects);
		snprintf(line, sizeof(line), "%s %s: %zu%s objects, %.1f KiB%s",
		         p->direction == GITCHAT_SYNC_RECEIVING ? "Receiving from" : "Sending to",
		         p->remote, p->objects, total, (double)p->bytes / 1024.0,
		         p->done ? ", done." : "");
		/* pad: a shorter line must cover the longer one before it */
		fprintf(stderr, "\r%-*s", ui->width > (int)strlen(line) ? ui->width : 0, line);
		if ((int)strlen(line) > ui->width)
			ui->width = (int)strlen(line);
	}
	ui->line_open = 1;
	if (p->done)
		end_progress_line(ui);
	return 0;
}

/* Is this log the user's own (their key signs it)? */
static int is_mine(sync_ui *ui, const gitchat_pubkey *key)
{
	if (!ui->me_known)
		ui->me_known = reader_my_key(&ui->me, gitchat_store_repository(ui->store), NULL) ? 1
		                                                                                 : -1;
	return key && ui->me_known == 1 && !gitchat_pubkey_cmp(&ui->me, key);
}

/* A log the remote's copy keeps from being pushed (never forced): say
 * whose, what the remote holds, what waits here (only when something of
 * ours does) and who can unblock it. Built in one buffer, every append
 * checked: on OOM a short line still names the log. */
static int describe_not_pushed(gitchat_buf *out, sync_ui *ui, const gitchat_sync_event *e,
                               const char *fp)
{
	char theirs[GIT_OID_HEXSZ + 1] = "-", base[GIT_OID_HEXSZ + 1] = "";
	int mine = is_mine(ui, e->key), error;
	const char *level = e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? "error" : "warning";

	if (e->old)
		git_oid_tostr(theirs, sizeof(theirs), e->old);
	if (e->base)
		git_oid_tostr(base, sizeof(base), e->base);
	if ((error = gitchat_buf_printf(out, "%s: '%s': ", level, e->remote)) < 0)
		return error;
	if (mine) {
		error = gitchat_buf_printf(out, "your log in '%s' was not pushed", e->room);
	} else {
		gitchat_message *m = NULL;
		if (e->commit && gitchat_message_read(&m, ui->store, e->commit, NULL) == 0 &&
		    m->author_name && m->author_name[0])
			error = gitchat_buf_printf(out, "the log of %s (%s) in '%s' is not passed on",
			                           m->author_name, fp, e->room);
		else
			error = gitchat_buf_printf(out, "the log of %s in '%s' is not passed on", fp,
			                           e->room);
		gitchat_message_free(m);
		gitchat_error_clear();
	}
	if (error < 0)
		return error;
	if ((error = gitchat_buf_printf(out, ": the remote's %s is at %s", e->refname, theirs)) < 0)
		return error;
	switch (e->blocked) {
	case GITCHAT_SYNC_BLOCKED_INVALID:
		if ((error = gitchat_buf_printf(out, ", which is not valid (%s)",
		                                e->reason ? e->reason : "it does not verify")) < 0)
			return error;
		if (e->count)
			error = gitchat_buf_printf(out, " and not in %s log; %s%zu new message%s %s here "
			                           "until the server's copy is repaired", mine ? "your" : "this",
			                           mine ? "your " : "its ", e->count,
			                           e->count == 1 ? "" : "s",
			                           e->count == 1 ? "stays" : "stay");
		else
			error = gitchat_buf_puts(out, "; nothing of this log waits here, but the "
			                              "server's copy needs repair");
		if (error < 0)
			return error;
		if (e->repair == GITCHAT_SYNC_REPAIR_RESET && e->base)
			error = gitchat_buf_printf(out, ": ask its admin to run 'git update-ref %s %s %s' "
			                           "in that repository ('git chat verify' there shows "
			                           "what is wrong)", e->refname, base, theirs);
		else if (e->repair == GITCHAT_SYNC_REPAIR_DELETE)
			error = gitchat_buf_printf(out, ": nothing in it is this log's, so ask its admin "
			                           "to run 'git update-ref -d %s %s' in that repository "
			                           "('git chat verify' there shows what is wrong)",
			                           e->refname, theirs);
		else
			error = gitchat_buf_puts(out, ": could not work out where to reset it; ask its "
			                              "admin to run 'git chat verify' in that repository");
		return error;
	case GITCHAT_SYNC_BLOCKED_FORK:
		if (e->count)
			error = gitchat_buf_printf(out, ", another continuation of this log (a fork); "
			                           "%s%zu new message%s %s here until %s next message in "
			                           "'%s' joins the two", mine ? "your " : "its ", e->count,
			                           e->count == 1 ? "" : "s", e->count == 1 ? "stays" : "stay",
			                           mine ? "your" : "its author's", e->room);
		else
			error = gitchat_buf_printf(out, ", another continuation of this log (a fork); "
			                           "%s next message in '%s' joins the two",
			                           mine ? "your" : "its author's", e->room);
		return error;
	default:
		return gitchat_buf_puts(out, ", which this store has not fetched; sync again "
		                             "(without --no-fetch) to fetch and check it");
	}
}

static void print_not_pushed(sync_ui *ui, const gitchat_sync_event *e, const char *fp)
{
	gitchat_buf line = GITCHAT_BUF_INIT;

	if (describe_not_pushed(&line, ui, e, fp) < 0)
		fprintf(stderr, "%s: '%s': %s was not pushed (out of memory describing why)\n",
		        e->blocked == GITCHAT_SYNC_BLOCKED_INVALID ? "error" : "warning", e->remote,
		        e->refname);
	else
		fprintf(stderr, "%s\n", line.ptr);
	gitchat_buf_dispose(&line);
}

/* The note that a path sync runs no hook is said once per repository,
 * not at every sync: the store remembers the URLs it was said for in
 * $GIT_DIR/chat/hook-notes, one a line (local state, never synced). 1 when
 * it was said before; else 0, and it is now recorded. */
static int hook_note_given(gitchat_store *store, const char *url)
{
	git_repository *repo = gitchat_store_repository(store);
	gitchat_buf path = GITCHAT_BUF_INIT, seen = GITCHAT_BUF_INIT;
	size_t n = strlen(url);
	const char *p;
	int fd, given = 0;

	if (strchr(url, '\n') || gitchat_buf_printf(&path, "%schat", git_repository_path(repo)) < 0)
		goto done;
	(void)mkdir(path.ptr, 0777);
	if (gitchat_buf_puts(&path, "/hook-notes") < 0)
		goto done;
	if ((fd = open(path.ptr, O_RDONLY | O_CLOEXEC)) >= 0) {
		cli_read_fd(&seen, fd, 1 << 20, path.ptr);
		close(fd);
	}
	for (p = seen.ptr; p && (p = strstr(p, url)); p += n)
		if ((p == seen.ptr || p[-1] == '\n') && p[n] == '\n') {
			given = 1;
			goto done;
		}
	if ((fd = open(path.ptr, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) >= 0) {
		if (write(fd, url, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
			cli_warn("cannot write '%s': %s", path.ptr, strerror(errno));
		close(fd);
	}
done:
	gitchat_buf_dispose(&seen);
	gitchat_buf_dispose(&path);
	return given;
}

static int on_event(const gitchat_sync_event *e, void *payload)
{
	sync_ui *ui = payload;
	char a[12], b[12], fp[GITCHAT_FINGERPRINT_SIZE] = "";

	if (e->type == GITCHAT_SYNC_EVENT_CONNECTING) {
		cli_net_prepare(e->url);
		return 0;
	}
	end_progress_line(ui);
	short_oid(a, e->commit);
	short_oid(b, e->old);
	if (e->key)
		gitchat_pubkey_fingerprint(fp, e->key);
	switch (e->type) {
	case GITCHAT_SYNC_EVENT_REJECTED: {
		char full[GIT_OID_HEXSZ + 1] = "-";
		if (e->commit)
			git_oid_tostr(full, sizeof(full), e->commit);
		fprintf(stderr, "error: '%s': rejected %s at %s: %s\n", e->remote, e->refname, full,
		        e->reason);
		break;
	}
	case GITCHAT_SYNC_EVENT_FORK: {
		char full[GIT_OID_HEXSZ + 1];
		const char *who = e->author_name ? e->author_name : "the author";
		git_oid_tostr(full, sizeof(full), e->commit);
		fprintf(stderr, "warning: '%s': fork of %s: the remote has %s, which does not descend "
		        "from ours (%s): %s (%s) wrote two different continuations of this log (a "
		        "history rewrite, or one key used on two devices); both are kept (%s) and "
		        "shown, and %s's next message in '%s' heals it\n", e->remote, e->refname, full,
		        b, who, fp, e->fork_ref, who, e->room);
		break;
	}
	case GITCHAT_SYNC_EVENT_PUSH_DECLINED:
		fprintf(stderr, "error: '%s': the server declined %s at %s: %s\n", e->remote,
		        e->refname, a, e->reason ? e->reason : "declined");
		break;
	case GITCHAT_SYNC_EVENT_REMOTE_FAILED:
		fprintf(stderr, "error: '%s': %s\n", e->remote, e->reason);
		break;
	case GITCHAT_SYNC_EVENT_REMOTE_MESSAGE:
		if (e->refname)   /* ours, about a log: always said */
			fprintf(stderr, "error: '%s': %s\n", e->remote, e->reason);
		else if (ui->verbose)
			fprintf(stderr, "remote: %s\n", e->reason);
		break;
	case GITCHAT_SYNC_EVENT_NOT_PUSHED:
		print_not_pushed(ui, e, fp);
		break;
	case GITCHAT_SYNC_EVENT_HOOK_NOT_RUN:
		if (!ui->quiet && !hook_note_given(ui->store, e->url))
			fprintf(stderr, "note: '%s' has a pre-receive hook (%s); syncing by path writes "
			        "the repository directly and does not run it (serve it over ssh, http(s) "
			        "or git daemon for the hook to check pushes)\n", e->url, e->reason);
		break;
	case GITCHAT_SYNC_EVENT_CREATED:
		if (!ui->quiet)
			fprintf(stderr, "created a new bare repository at '%s'\n", e->url);
		break;
	case GITCHAT_SYNC_EVENT_CONNECTING:   /* handled above */
		break;
	case GITCHAT_SYNC_EVENT_RECEIVED:
		if (ui->verbose) {
			gitchat_buf what = GITCHAT_BUF_INIT, detail = GITCHAT_BUF_INIT;
			if (describe_received(&what, &detail, e->count, e->kinds) < 0)
				fprintf(stderr, "'%s': %zu new commits in room '%s'\n", e->remote,
				        e->count, e->room);
			else
				fprintf(stderr, "'%s': %s in room '%s'%s\n", e->remote, what.ptr, e->room,
				        detail.size ? detail.ptr : "");
			gitchat_buf_dispose(&what);
			gitchat_buf_dispose(&detail);
		}
		break;
	case GITCHAT_SYNC_EVENT_UPDATED:
		if (ui->verbose)
			fprintf(stderr, "'%s': %s %s..%s\n", e->remote, e->refname, b, a);
		break;
	case GITCHAT_SYNC_EVENT_PUSHED:
		if (ui->verbose)
			fprintf(stderr, "'%s': pushed %s %s..%s\n", e->remote, e->refname, b, a);
		break;
	}
	return 0;
}

/* "name: received 3 new messages (general: 3), 1 log pushed, 1 fork" */
static int part(gitchat_buf *out, int *n, size_t count, const char *one, const char *many)
{
	int error = gitchat_buf_puts(out, (*n)++ ? ", " : " ");
	if (error < 0)
		return error;
	if (count)
		return gitchat_buf_printf(out, "%zu %s", count, count == 1 ? one : many);
	return gitchat_buf_puts(out, one);
}

static int summary_line(gitchat_buf *line, const gitchat_sync_remote_result *r)
{
	gitchat_buf what = GITCHAT_BUF_INIT, detail = GITCHAT_BUF_INIT;
	int n = 0, error;
	size_t i;

	if ((error = gitchat_buf_puts(line, r->name)) < 0 ||
	    (strcmp(r->name, r->url) != 0 && !strncmp(r->name, "url-", 4) &&
	     (error = gitchat_buf_printf(line, " (%s)", r->url)) < 0) ||
	    (error = gitchat_buf_puts(line, ":")) < 0 ||
	    (r->created && (error = part(line, &n, 0, "created", NULL)) < 0))
		goto done;
	if (r->received) {
		if ((error = describe_received(&what, &detail, r->received, r->received_kinds)) < 0 ||
		    (error = gitchat_buf_printf(line, "%sreceived %s (", n++ ? ", " : " ",
		                                what.ptr)) < 0)
			goto done;
		for (i = 0; i < r->rooms_count; i++)
			if ((error = gitchat_buf_printf(line, "%s%s: %zu", i ? ", " : "",
			                                r->rooms[i].room, r->rooms[i].count)) < 0)
				goto done;
		if ((error = gitchat_buf_printf(line, ")%s", detail.size ? detail.ptr : "")) < 0)
			goto done;
	}
	if ((r->pushed && (error = part(line, &n, r->pushed, "log pushed", "logs pushed")) < 0) ||
	    (r->rejected &&
	     (error = part(line, &n, r->rejected, "log rejected", "logs rejected")) < 0) ||
	    (r->declined && (error = part(line, &n, r->declined, "push declined by the server",
	                                  "pushes declined by the server")) < 0) ||
	    (r->not_pushed &&
	     (error = part(line, &n, r->not_pushed, "log not pushed", "logs not pushed")) < 0) ||
	    (r->forks && (error = part(line, &n, r->forks, "fork", "forks")) < 0) ||
	    (r->failed && (error = part(line, &n, 0, "failed", NULL)) < 0) ||
	    (!n && (error = gitchat_buf_puts(line, " up to date")) < 0))
		goto done;
done:
	gitchat_buf_dispose(&what);
	gitchat_buf_dispose(&detail);
	return error;
}

static void print_summary(const gitchat_sync_remote_result *r)
{
	gitchat_buf line = GITCHAT_BUF_INIT;

	if (summary_line(&line, r) < 0)
		printf("%s: %s\n", r->name, r->failed ? "failed" : "synced (out of memory for the rest)");
	else
		printf("%s\n", line.ptr);
	gitchat_buf_dispose(&line);
}

/* A room only a remote has is what -r is for, so it is no error; a room
 * that is nowhere after the sync is likely a typo: say so (docs/decisions.md). */
/* Brings the order index of every room that received messages up to date
 * now, while the commits are in the page cache, rather than in the first
 * `log` after a big sync (issue 15): an append when the new messages go
 * after the old ones, a rewrite otherwise. The index is a cache: failing
 * to write it costs the next reader the time, and is only noted.
 *
 * After a large sync it reads through a fresh store object: the sync's
 * keeps the packs it wrote and read mapped whole (a network command keeps
 * libgit2's large windows), which would stay resident beside the order's
 * own memory. After a small one (most syncs) it keeps the sync's store,
 * whose object cache (8 MiB, cli_object_cache_small) still holds the
 * commits the verification just read: the append finds them there instead
 * of inflating each from the pack again (about 8 ms for 1,000 messages). */
#define INDEX_FROM_CACHE_MAX 4096

static void index_received(gitchat_store **store, const gitchat_sync_result *res)
{
	gitchat_conversation_options co = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_store *fresh = NULL;
	size_t i, k, total = 0;

	for (i = 0; i < gitchat_sync_result_count(res); i++) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
		for (k = 0; k < r->rooms_count; k++)
			total += r->rooms[k].count;
	}
	if (total <= INDEX_FROM_CACHE_MAX)
		co.flags |= GITCHAT_CONVERSATION_NEW_CACHED;
	else if (gitchat_store_open(&fresh, git_repository_path(gitchat_store_repository(*store))) == 0) {
		gitchat_store_free(*store);
		*store = fresh;
	}
	gitchat_error_clear();
	cli_pack_windows_small(1);
	for (i = 0; i < gitchat_sync_result_count(res); i++) {
		const gitchat_sync_remote_result *r = gitchat_sync_result_get(res, i);
		for (k = 0; k < r->rooms_count; k++) {
			gitchat_conversation *conv = NULL;
			if (!r->rooms[k].count)
				continue;
			if (gitchat_conversation_load(&conv, *store, r->rooms[k].room, &co) < 0)
				cli_warn("the order index of room '%s' was not brought up to date: %s; "
				         "'git chat log' will do it", r->rooms[k].room,
				         gitchat_error_last()->message);
			gitchat_conversation_free(conv);
		}
	}
	cli_pack_windows_small(0);
}

static void note_unknown_room(gitchat_store *store, const char *room, int no_fetch)
{
	if (reader_room_exists(store, room, NULL) != 0) {
		gitchat_error_clear();
		return;
	}
	if (no_fetch)
		cli_warn("room '%s' is not in this store, so nothing was pushed for it; "
		         "'git chat rooms' lists the rooms here", room);
	else
		cli_warn("room '%s' is neither in this store nor on the remotes that answered; "
		         "check the name ('git chat rooms' lists the rooms here)", room);
}

/* Every argument is checked before any remote is touched: a misspelt
 * remote name after a good one must not let the first one sync (push the
 * user's messages) and then fail. The library names a bare word that is
 * neither a remote nor an existing path as an error; resolving it here
 * the same way (git_remote_lookup, then the path) catches it first. */
static int check_remotes(gitchat_store *store, char **args, int n)
{
	git_repository *repo = gitchat_store_repository(store);
	int i, valid;

	for (i = 0; i < n; i++) {
		const char *a = args[i];
		git_remote *r = NULL;
		if (strchr(a, '/') || strchr(a, ':') || access(a, F_OK) == 0)
			continue;
		if (git_remote_name_is_valid(&valid, a) == 0 && valid &&
		    git_remote_lookup(&r, repo, a) == 0) {
			git_remote_free(r);
			continue;
		}
		git_error_clear();
		return cli_fatal("no remote named '%s'; nothing was synced ('git chat remote' lists "
		                 "the remotes; to create a new repository at that path, write it as "
		                 "'./%s')", a, a);
	}
	return 0;
}

int cmd_sync(int argc, char **argv)
{
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	gitchat_store *store = NULL;
	const char **rooms = NULL;
	size_t nrooms = 0, i;
	sync_ui ui = { 0 };
	cli_parser p;
	int c, ret;

	if (!(rooms = calloc((size_t)argc + 1, sizeof(*rooms))))
		return cli_fatal("out of memory");
	cli_parser_init(&p, &usage_sync, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'r':
			if (gitchat_room_validate(p.value) < 0) {
				ret = cli_usage_error(&usage_sync, "%s", gitchat_error_last()->message);
				goto done;
			}
			rooms[nrooms++] = p.value;
			break;
		case 'F': o.flags |= GITCHAT_SYNC_NO_FETCH; break;
		case 'P': o.flags |= GITCHAT_SYNC_NO_PUSH; break;
		case 'q': ui.quiet = 1; break;
		case 'v': ui.verbose = 1; break;
		default: ret = CLI_EXIT_USAGE; goto done;
		}
	}
	if (c < 0) {
		ret = p.exit;
		goto done;
	}
	if (ui.quiet && ui.verbose) {
		ret = cli_usage_error(&usage_sync, "-q and -v cannot be used together");
		goto done;
	}
	if ((o.flags & GITCHAT_SYNC_NO_FETCH) && (o.flags & GITCHAT_SYNC_NO_PUSH)) {
		ret = cli_usage_error(&usage_sync, "--no-fetch and --no-push leave nothing to do");
		goto done;
	}
	for (i = 0; i < (size_t)p.nargs; i++)
		if (!p.args[i][0]) {
			ret = cli_usage_error(&usage_sync, "an empty remote name");
			goto done;
		}
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = check_remotes(store, p.args, p.nargs)) != 0)
		goto done;
	ui.store = store;
	/* A server that goes away mid-push must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ui.progress = !ui.quiet && isatty(2);
	if (nrooms) {
		o.rooms = rooms;
		o.rooms_count = nrooms;
	}
	o.progress_cb = on_progress;
	o.event_cb = on_event;
	o.payload = &ui;
	if (gitchat_sync(&res, store, (const char *const *)p.args, (size_t)p.nargs, &o) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	end_progress_line(&ui);
	index_received(&store, res);
	ui.store = store;
	if (!ui.quiet)
		for (i = 0; i < gitchat_sync_result_count(res); i++)
			print_summary(gitchat_sync_result_get(res, i));
	ret = gitchat_sync_result_problems(res) ? CLI_EXIT_PROBLEM : 0;
	for (i = 0; i < nrooms; i++)
		note_unknown_room(store, rooms[i], o.flags & GITCHAT_SYNC_NO_FETCH);
done:
	gitchat_sync_result_free(res);
	gitchat_store_free(store);
	free(rooms);
	return ret;
}
