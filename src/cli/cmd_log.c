#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: git chat log [-r ROOM] [-n N] [--format=text|json]\n"
	"\n"
	"Shows the conversation of ROOM, every replica in the same order. Only\n"
	"verified messages are shown; anything skipped is reported on stderr.\n"
	"\n"
	"    -r, --room ROOM       the room (default: git config chat.room, else general)\n"
	"    -n, --max-count N     only the last N messages\n"
	"        --format FORMAT   text (default) or json (one object per line)\n";

static int report_skipped(const gitchat_problem *p, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "";

	(void)payload;
	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	if (p->refname)
		cli_warn("'%s' at %s: %s", p->refname, hex, p->reason);
	else
		cli_warn("skipping commit %s: %s", hex, p->reason);
	return 0;
}

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "max-count", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	gitchat_store *store = NULL;
	gitchat_conversation *conv = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;
	const char *room_arg = NULL, *format = "text";
	char *room = NULL, *end;
	long long max = -1;
	size_t i, count, start;
	int c, json, ret;

	while ((c = cli_getopt(argc, argv, "r:n:h", opts, usage)) != 0) {
		switch (c) {
		case 'r': room_arg = optarg; break;
		case 'n':
			max = strtoll(optarg, &end, 10);
			if (*end || end == optarg || max < 0)
				return cli_usage_error(usage, "-n needs a count, not '%s'", optarg);
			break;
		case 'f': format = optarg; break;
		case 'h': return cli_help(usage);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error(usage, "unknown format '%s'; use text or json", format);
	json = !strcmp(format, "json");
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(store), room_arg)) != 0)
		goto done;
	if (gitchat_conversation_load(&conv, store, room, report_skipped, NULL) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	count = gitchat_conversation_count(conv);
	start = max >= 0 && (size_t)max < count ? count - (size_t)max : 0;
	for (i = start; i < count; i++) {
		gitchat_message *m = NULL;
		int error;
		gitchat_buf_clear(&out);
		if ((error = gitchat_conversation_message(&m, conv, i)) == 0)
			error = json ? gitchat_render_json(&out, m) : gitchat_render_text(&out, m);
		gitchat_message_free(m);
		if (error < 0) {
			ret = cli_fatal_lib();
			goto done;
		}
		if (cli_write_out(out.ptr, out.size) < 0)
			break;   /* a closed pipe (| head) is not an error */
	}
	ret = 0;
done:
	gitchat_conversation_free(conv);
	gitchat_store_free(store);
	gitchat_buf_dispose(&out);
	free(room);
	return ret;
}
