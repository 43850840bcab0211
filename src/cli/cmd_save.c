#include <stdio.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_save = {
	"save",
	"usage: git chat save [-o DIR] [-r ROOM] ID\n",
	"Writes the files of message ID into DIR (default: the current directory)\n"
	"and prints the path of each file written. A file is never written outside\n"
	"DIR whatever its name says, and never over an existing file: a name that\n"
	"is taken gets '-1', '-2'... before its extension, and a name that is not\n"
	"safe as it is (a leading '.' or '-', characters that are not printable)\n"
	"gets '_' in their place; both are said on standard error.\n",
	(const cli_option[]){
		{ 'o', 'o', "output", "DIR",
		  "the directory to write into (default: the current directory)", "@file" },
		READER_OPT_ROOM("check that ID is in ROOM (default: ID's own room)"),
		CLI_OPT_END
	},
	NULL,
	NULL
};

/* The last component of a path save wrote. */
static const char *leaf(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int save_all(gitchat_store *store, const gitchat_message *m, const char *dir)
{
	gitchat_buf path = GITCHAT_BUF_INIT, safe = GITCHAT_BUF_INIT, shown = GITCHAT_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < m->file_count && ret == 0; i++) {
		gitchat_buf_clear(&path);
		gitchat_buf_clear(&safe);
		gitchat_buf_clear(&shown);
		if (gitchat_file_save(&path, store, m, i, dir) < 0) {
			ret = cli_fatal("cannot save file %zu: %s", i + 1, gitchat_error_last()->message);
			break;
		}
		if (gitchat_file_safe_name(&safe, m->files[i].name, 0) < 0 ||
		    gitchat_file_name_quote(&shown, m->files[i].name) < 0) {
			ret = cli_fatal("out of memory");
			break;
		}
		if (strcmp(leaf(path.ptr), safe.ptr))
			fprintf(stderr, "note: '%s' exists; saved '%s' as '%s'\n", safe.ptr, shown.ptr,
			        leaf(path.ptr));
		else if (strcmp(safe.ptr, m->files[i].name))
			fprintf(stderr, "note: saved '%s' as '%s'\n", shown.ptr, safe.ptr);
		if (printf("%s\n", path.ptr) < 0)
			ret = CLI_EXIT_FATAL;
	}
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&safe);
	gitchat_buf_dispose(&shown);
	return ret;
}

/* A private room's message as its members read it (the names and sizes
 * of its files are in the encrypted inner message): through the room's
 * decrypting reader, which then decrypts each file as it is saved. */
static int private_message(gitchat_message **m, gitchat_conversation **conv,
                           gitchat_store *store)
{
	gitchat_message *dec = NULL;
	git_oid id = (*m)->id;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	git_oid_tostr(hex, 9, &id);
	if (reader_load(conv, store, (*m)->room) < 0)
		return cli_fatal_lib();
	if (gitchat_conversation_find(&i, *conv, &id) < 0 ||
	    gitchat_conversation_message_load(&dec, *conv, i) < 0)
		return cli_fatal("message %s is not shown in its room: %s", hex,
		                 gitchat_error_last()->message);
	if (dec->kind == GITCHAT_MESSAGE_HIDDEN) {
		gitchat_message_free(dec);
		return cli_fatal("message %s cannot be read with your key (see the warnings above)",
		                 hex);
	}
	gitchat_message_free(*m);
	*m = dec;
	return 0;
}

int cmd_save(int argc, char **argv)
{
	reader_opts o = READER_OPTS_INIT;
	gitchat_store *store = NULL;
	gitchat_message *m = NULL;
	gitchat_conversation *conv = NULL;
	const char *dir = ".";
	char hex[GIT_OID_HEXSZ + 1];
	cli_parser p;
	int c, ret;

	cli_parser_init(&p, &usage_save, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&o, c, p.value))
			continue;
		switch (c) {
		case 'o': dir = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs < 1)
		return cli_usage_error(&usage_save, "which message? give its ID");
	if (p.nargs > 1)
		return cli_usage_error(&usage_save, "unexpected argument '%s' (one ID at a time)",
		                       p.args[1]);
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (o.room_arg && gitchat_room_validate(o.room_arg) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if ((ret = reader_target(&m, store, p.args[0], o.room_arg)) != 0 ||
	    (gitchat_room_type(m->room) == GITCHAT_ROOM_PRIVATE &&
	     (ret = private_message(&m, &conv, store)) != 0))
		goto done;
	git_oid_tostr(hex, 9, &m->id);
	if (m->kind != GITCHAT_MESSAGE_TEXT || !m->file_count) {
		ret = cli_fatal("message %s has no files", hex);
		goto done;
	}
	if ((ret = reader_check_not_redacted(store, m, GITCHAT_MESSAGE_TEXT)) == 0)
		ret = save_all(store, m, dir);
done:
	gitchat_message_free(m);
	gitchat_conversation_free(conv);
	gitchat_store_free(store);
	return ret;
}
