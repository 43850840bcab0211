#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
	"usage: git chat sync [-r ROOM]... [--no-fetch] [--no-push] [-q | -v] [REMOTE|URL|PATH...]\n"
	"\n"
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
	"SHA-256 of the URL (of the absolute path) under refs/chat-remotes/.\n"
	"\n"
	"    -r, --room ROOM       only this room (repeatable; default: git config\n"
	"                          chat.rooms, else every room)\n"
	"        --no-fetch        only push\n"
	"        --no-push         only fetch\n"
	"    -q, --quiet           no progress and no summary; errors still show\n"
	"    -v, --verbose         also each log received or pushed and what the\n"
	"                          server says\n"
	"\n"
	"ssh: keys from ssh-agent, then git config chat.sshKey, ~/.ssh/id_ed25519\n"
	"(id_ecdsa, id_rsa); host keys must be in ~/.ssh/known_hosts (connect once\n"
	"with ssh, or use ssh-keyscan); a changed host key is always refused.\n"
	"http(s): passwords and tokens come from git's credential helpers.\n"
	"\n"
	"Prints one summary line per remote. Exit status: 0 when everything synced,\n"
	"1 when a log was rejected, a push declined or a remote failed (the others\n"
	"still sync), 128 on a store error, 129 on a usage error.\n";

typedef struct {
	int verbose, quiet, progress;
	struct timespec last;
	int line_open;
	int width;          /* of the longest progress line so far */
} sync_ui;

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

static int on_event(const gitchat_sync_event *e, void *payload)
{
	sync_ui *ui = payload;
	char a[12], b[12], fp[GITCHAT_FINGERPRINT_SIZE] = "";

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
		if (ui->verbose)
			fprintf(stderr, "remote: %s\n", e->reason);
		break;
	case GITCHAT_SYNC_EVENT_CREATED:
		if (!ui->quiet)
			fprintf(stderr, "created a new bare repository at '%s'\n", e->url);
		break;
	case GITCHAT_SYNC_EVENT_RECEIVED:
		if (ui->verbose)
			fprintf(stderr, "'%s': %zu new message%s in room '%s'\n", e->remote, e->count,
			        e->count == 1 ? "" : "s", e->room);
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
static void part(gitchat_buf *out, int *n, size_t count, const char *one, const char *many)
{
	gitchat_buf_puts(out, (*n)++ ? ", " : " ");
	if (count)
		gitchat_buf_printf(out, "%zu %s", count, count == 1 ? one : many);
	else
		gitchat_buf_puts(out, one);
}

static void print_summary(const gitchat_sync_remote_result *r)
{
	gitchat_buf line = GITCHAT_BUF_INIT;
	int n = 0;
	size_t i;

	gitchat_buf_printf(&line, "%s", r->name);
	if (strcmp(r->name, r->url) != 0 && !strncmp(r->name, "url-", 4))
		gitchat_buf_printf(&line, " (%s)", r->url);
	gitchat_buf_puts(&line, ":");
	if (r->created)
		part(&line, &n, 0, "created", NULL);
	if (r->received) {
		gitchat_buf_printf(&line, "%sreceived %zu new message%s (", n++ ? ", " : " ",
		                   r->received, r->received == 1 ? "" : "s");
		for (i = 0; i < r->rooms_count; i++)
			gitchat_buf_printf(&line, "%s%s: %zu", i ? ", " : "", r->rooms[i].room,
			                   r->rooms[i].count);
		gitchat_buf_puts(&line, ")");
	}
	if (r->pushed)
		part(&line, &n, r->pushed, "log pushed", "logs pushed");
	if (r->rejected)
		part(&line, &n, r->rejected, "log rejected", "logs rejected");
	if (r->declined)
		part(&line, &n, r->declined, "push declined by the server",
		     "pushes declined by the server");
	if (r->forks)
		part(&line, &n, r->forks, "fork", "forks");
	if (r->failed)
		part(&line, &n, 0, "failed", NULL);
	if (!n)
		gitchat_buf_puts(&line, " up to date");
	printf("%s\n", line.ptr);
	gitchat_buf_dispose(&line);
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "no-fetch", no_argument, NULL, 'F' },
		{ "no-push", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	gitchat_sync_result *res = NULL;
	gitchat_store *store = NULL;
	const char **rooms = NULL;
	size_t nrooms = 0, i;
	sync_ui ui = { 0 };
	int c, ret;

	if (!(rooms = calloc((size_t)argc + 1, sizeof(*rooms))))
		return cli_fatal("out of memory");
	while ((c = cli_getopt(argc, argv, "r:qvh", opts, usage)) != 0) {
		switch (c) {
		case 'r':
			if (gitchat_room_validate(optarg) < 0) {
				ret = cli_usage_error(usage, "%s", gitchat_error_last()->message);
				goto done;
			}
			rooms[nrooms++] = optarg;
			break;
		case 'F': o.flags |= GITCHAT_SYNC_NO_FETCH; break;
		case 'P': o.flags |= GITCHAT_SYNC_NO_PUSH; break;
		case 'q': ui.quiet = 1; break;
		case 'v': ui.verbose = 1; break;
		case 'h': ret = cli_help(usage); goto done;
		default: ret = CLI_EXIT_USAGE; goto done;
		}
	}
	if (ui.quiet && ui.verbose) {
		ret = cli_usage_error(usage, "-q and -v cannot be used together");
		goto done;
	}
	if ((o.flags & GITCHAT_SYNC_NO_FETCH) && (o.flags & GITCHAT_SYNC_NO_PUSH)) {
		ret = cli_usage_error(usage, "--no-fetch and --no-push leave nothing to do");
		goto done;
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (!argv[i][0]) {
			ret = cli_usage_error(usage, "an empty remote name");
			goto done;
		}
	if ((ret = cli_open_store(&store)) != 0)
		goto done;
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
	if (gitchat_sync(&res, store, (const char *const *)argv + optind, (size_t)(argc - optind),
	                 &o) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	end_progress_line(&ui);
	if (!ui.quiet)
		for (i = 0; i < gitchat_sync_result_count(res); i++)
			print_summary(gitchat_sync_result_get(res, i));
	ret = gitchat_sync_result_problems(res) ? CLI_EXIT_PROBLEM : 0;
done:
	gitchat_sync_result_free(res);
	gitchat_store_free(store);
	free(rooms);
	return ret;
}
