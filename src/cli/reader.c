#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "reader.h"

int reader_opt(reader_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'r': o->room_arg = arg; return 1;
	case 'k': o->keypath = arg; reader_private_keypath = arg; return 1;
	case 'f': o->format = arg; return 1;
	case 'c': o->color_mode = arg; return 1;
	case 'M': o->mark = 1; return 1;
	case 'N': o->mark = 0; return 1;
	default: return 0;
	}
}

int reader_format(int *json, const char *format, const cli_usage *usage)
{
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error(usage, "unknown format '%s'; use text or json", format);
	*json = !strcmp(format, "json");
	return 0;
}

int reader_opts_finish(reader_opts *o, const cli_parser *p)
{
	int ret;

	if (p->nargs)
		return cli_usage_error(p->usage, "unexpected argument '%s'", p->args[0]);
	if ((ret = reader_format(&o->json, o->format, p->usage)) != 0)
		return ret;
	if (reader_color(&o->color, o->color_mode) < 0)
		return cli_usage_error(p->usage, "unknown --color '%s'; use auto, always or never",
		                       o->color_mode);
	if (o->json)
		o->color = 0;
	if (o->mark < 0)
		o->mark = !o->json && cli_stdout_is_tty();
	return 0;
}

int reader_modifier_args(reader_opts *o, cli_parser *p, int argc, char **argv,
                         const cli_usage *usage)
{
	int c;

	cli_parser_init(p, usage, argc, argv);
	while ((c = cli_parse_next(p)) > 0)
		if (!reader_opt(o, c, p->value))
			return cli_usage_error(usage, "option '%s' is not for this command", p->given);
	return c < 0 ? p->exit : -1;
}

int reader_store_args(gitchat_store **store, const char **room, int argc, char **argv,
                      const cli_usage *usage)
{
	reader_opts o = READER_OPTS_INIT;
	cli_parser p;
	int ret;

	*store = NULL;
	if ((ret = reader_modifier_args(&o, &p, argc, argv, usage)) >= 0)
		return ret;
	if (p.nargs)
		return cli_usage_error(usage, "unexpected argument '%s'", p.args[0]);
	if (o.room_arg && gitchat_room_validate(o.room_arg) < 0)
		return cli_fatal_lib();
	*room = o.room_arg;
	return cli_open_store(store) != 0 ? CLI_EXIT_FATAL : -1;
}

int reader_room_exists(gitchat_store *store, const char *room, gitchat_buf *list)
{
	git_strarray rooms = { 0 };
	size_t i;
	int found = 0;

	if (gitchat_room_list(&rooms, store) < 0)
		return -1;
	for (i = 0; i < rooms.count && !found; i++)
		found = !strcmp(rooms.strings[i], room);
	if (!found && list) {
		gitchat_buf_clear(list);
		/* A store may have many rooms: a dozen names make the point. */
		for (i = 0; i < rooms.count && i < 12; i++)
			gitchat_buf_printf(list, "%s%s", i ? ", " : "", rooms.strings[i]);
		if (i < rooms.count)
			gitchat_buf_printf(list, " and %zu more", rooms.count - i);
	}
	git_strarray_dispose(&rooms);
	return found;
}

int reader_require_room(gitchat_store *store, const char *room)
{
	gitchat_buf list = GITCHAT_BUF_INIT;
	int r = reader_room_exists(store, room, &list), ret = 0;

	if (r < 0)
		ret = cli_fatal_lib();
	else if (!r && list.size)
		ret = cli_fatal("no room '%s' in this store; its rooms: %s "
		                "('git chat rooms' lists them)", room, list.ptr);
	else if (!r)
		ret = cli_fatal("no room '%s' in this store: it has no rooms yet; 'git chat sync' "
		                "fetches them, 'git chat send -r %s' starts this one, 'git chat "
		                "rooms' lists them", room, room);
	gitchat_buf_dispose(&list);
	return ret;
}

int reader_color(int *out, const char *mode)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	int forbidden = no && *no;

	if (!strcmp(mode, "never"))
		*out = 0;
	else if (!strcmp(mode, "always"))
		*out = !forbidden;
	else if (!strcmp(mode, "auto"))
		*out = !forbidden && cli_stdout_is_tty() && !(term && !strcmp(term, "dumb"));
	else
		return -1;
	return 0;
}

unsigned reader_width(void)
{
	const char *cols = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long v;

	if (cols && *cols) {
		v = strtol(cols, &end, 10);
		if (!*end && v > 0 && v < 10000)
			return (unsigned)v;
	}
	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int reader_my_key(gitchat_pubkey *out, git_repository *repo, const char *keypath)
{
	gitchat_buf path = GITCHAT_BUF_INIT;
	int found = 0;

	/* Readers never open the private key: its .pub says who we are. */
	if (gitchat_key_path_find(&path, repo, keypath) == 0 &&
	    gitchat_key_public_read(out, path.ptr) == 0)
		found = 1;
	gitchat_buf_dispose(&path);
	gitchat_error_clear();
	return found;
}

/* Enough to see what is wrong; `git chat verify` lists them all. */
#define SKIPPED_SHOWN 10

int reader_report_skipped(const gitchat_problem *p, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "";
	size_t *seen = payload;

	if (seen && ++*seen > SKIPPED_SHOWN)
		return 0;
	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	if (p->refname)
		cli_warn("'%s' at %s: %s", p->refname, hex, p->reason);
	else
		cli_warn("skipping commit %s: %s", hex, p->reason);
	return 0;
}

/* Private rooms: the reader's key (loaded once) and the rooms opened with
 * it, freed at exit (a conversation's filter points into them, and a
 * caller may hold an old conversation while it loads a new one). */
const char *reader_private_keypath;
static gitchat_key *private_key;
static int private_key_tried;
static struct { gitchat_conversation *conv; gitchat_private *p; } *privates;
static size_t nprivates;

static void privates_free(void)
{
	for (size_t i = 0; i < nprivates; i++)
		gitchat_private_free(privates[i].p);
	free(privates);
	gitchat_key_free(private_key);
}

gitchat_private *reader_private(const gitchat_conversation *conv)
{
	for (size_t i = nprivates; i-- > 0;)
		if (privates[i].conv == conv)
			return privates[i].p;
	return NULL;
}

const gitchat_key *reader_private_key(gitchat_store *store)
{
	gitchat_buf path = GITCHAT_BUF_INIT;

	if (!private_key_tried) {
		private_key_tried = 1;
		/* A key the agent signs with (passphrase-protected) is unlocked:
		 * decrypting needs its secret half, which the agent never gives. */
		if (gitchat_key_path_find(&path, gitchat_store_repository(store),
		                          reader_private_keypath) == 0 &&
		    gitchat_key_open(&private_key, path.ptr) == 0 &&
		    gitchat_key_agent_signs(private_key) &&
		    gitchat_key_unlock(private_key, cli_passphrase, NULL) < 0) {
			cli_warn("cannot read private rooms with %s: %s", path.ptr,
			         gitchat_error_last()->message);
			gitchat_key_free(private_key);
			private_key = NULL;
		}
		gitchat_buf_dispose(&path);
		gitchat_error_clear();
	}
	return private_key;
}

/* Problems found later (a body that does not decrypt, found when it is
 * first read) are counted here, not in the caller's frame. */
static size_t private_seen;

static int private_attach(gitchat_conversation *conv, gitchat_store *store, const char *room)
{
	gitchat_private *p = NULL;
	const gitchat_key *key = reader_private_key(store);
	void *v;
	int error;

	if (!key)
		cli_warn("no private key found to read private room '%s' (see 'git chat whoami')",
		         room);
	if ((error = gitchat_private_open(&p, store, conv, room, key, reader_report_skipped,
	                                  &private_seen)) < 0)
		return error;
	if (!(v = realloc(privates, (nprivates + 1) * sizeof(*privates)))) {
		gitchat_private_free(p);
		cli_warn("out of memory");
		return GITCHAT_ENOMEM;
	}
	if (!nprivates)
		atexit(privates_free);
	privates = v;
	privates[nprivates].conv = conv;
	privates[nprivates++].p = p;
	return 0;
}

int reader_load(gitchat_conversation **out, gitchat_store *store, const char *room)
{
	gitchat_conversation_stats st;
	gitchat_conversation_options opts = GITCHAT_CONVERSATION_OPTIONS_INIT;
	size_t seen = 0;
	int error;

	opts.problem_cb = reader_report_skipped;
	opts.payload = &seen;
	error = gitchat_conversation_load(out, store, room, &opts);
	if (error == 0 && gitchat_room_type(room) == GITCHAT_ROOM_PRIVATE &&
	    (error = private_attach(*out, store, room)) < 0) {
		gitchat_conversation_free(*out);
		*out = NULL;
	}

	if (error == 0) {
		gitchat_conversation_stats_get(&st, *out);
		if (st.index == GITCHAT_CONVERSATION_INDEX_REBUILT)
			cli_warn("the order index of room '%s' was damaged or not a file; "
			         "rebuilt it from the refs", room);
	}
	if (seen > SKIPPED_SHOWN)
		cli_warn("... and %zu more invalid commit%s in '%s'; run 'git chat verify -r %s' "
		         "for all", seen - SKIPPED_SHOWN, seen - SKIPPED_SHOWN == 1 ? "" : "s",
		         room, room);
	return error;
}

int reader_printer_init(reader_printer *p, int json, int color, unsigned width, int devices)
{
	gitchat_text_options o = GITCHAT_TEXT_OPTIONS_INIT;

	memset(p, 0, sizeof(*p));
	p->json = json;
	o.color = color;
	o.width = width;
	o.devices = devices;
	if (!json && gitchat_text_renderer_new(&p->text, &o) < 0)
		return cli_fatal_lib();
	return 0;
}

void reader_printer_dispose(reader_printer *p)
{
	gitchat_text_renderer_free(p->text);
	gitchat_buf_dispose(&p->out);
}

int reader_printer_note(reader_printer *p, gitchat_view *view, const size_t *idx, size_t n)
{
	gitchat_conversation *conv = gitchat_view_conversation(view);
	size_t i;

	if (p->json)
		return 0;
	for (i = 0; i < n; i++) {
		gitchat_message *m = NULL;
		gitchat_person who;
		if (gitchat_conversation_message_load(&m, conv, idx[i]) < 0)
			return cli_fatal_lib();
		/* As the view shows the author: the person's name and key. */
		gitchat_persons_lookup(&who, gitchat_view_persons(view), &m->key);
		if (gitchat_text_renderer_note_author(p->text, who.name ? who.name : m->author_name,
		                                      who.key) < 0) {
			gitchat_message_free(m);
			return cli_fatal_lib();
		}
		gitchat_message_free(m);
	}
	return 0;
}

int reader_print(reader_printer *p, gitchat_view_item *it)
{
	int error;

	gitchat_buf_clear(&p->out);
	error = p->json ? gitchat_json_render_item(&p->out, it)
	                : gitchat_text_render_item(&p->out, p->text, it);
	if (error < 0)
		return cli_fatal_lib();
	return cli_write_out(p->out.ptr, p->out.size);
}

int reader_print_follow(reader_printer *p, gitchat_view_item *it, int update)
{
	static const char mark[] = "(updated) ";
	gitchat_buf marked = GITCHAT_BUF_INIT;
	char id[9];
	const char *at;
	size_t pos;
	int error, r;

	gitchat_buf_clear(&p->out);
	error = p->json ? gitchat_json_render_item(&p->out, it)
	                : gitchat_text_render_item(&p->out, p->text, it);
	if (error < 0)
		return cli_fatal_lib();
	if (p->json) {
		/* One object and a newline: the field goes before the last brace. */
		if (p->out.size < 2 || p->out.ptr[p->out.size - 2] != '}')
			return cli_fatal("unexpected JSON from the renderer");
		pos = p->out.size - 2;
		error = gitchat_buf_put(&marked, p->out.ptr, pos) < 0 ||
		        gitchat_buf_puts(&marked, update ? ",\"update\":true}\n"
		                                         : ",\"update\":false}\n") < 0;
	} else if (update) {
		/* The header is the first line with the short id (a day rule may
		 * come before it). */
		git_oid_tostr(id, sizeof(id), &it->msg->id);
		if (!(at = strstr(p->out.ptr, id)))
			return cli_write_out(p->out.ptr, p->out.size);
		while (at > p->out.ptr && at[-1] != '\n')
			at--;
		pos = (size_t)(at - p->out.ptr);
		error = gitchat_buf_put(&marked, p->out.ptr, pos) < 0 ||
		        gitchat_buf_puts(&marked, mark) < 0 ||
		        gitchat_buf_put(&marked, p->out.ptr + pos, p->out.size - pos) < 0;
	} else {
		return cli_write_out(p->out.ptr, p->out.size);
	}
	if (error) {
		gitchat_buf_dispose(&marked);
		return cli_fatal("out of memory");
	}
	r = cli_write_out(marked.ptr, marked.size);
	gitchat_buf_dispose(&marked);
	return r;
}

int reader_print_rule(reader_printer *p, const char *label)
{
	if (p->json)
		return 0;
	gitchat_buf_clear(&p->out);
	if (gitchat_text_render_rule(&p->out, p->text, label) < 0)
		return cli_fatal_lib();
	return cli_write_out(p->out.ptr, p->out.size);
}

int reader_target(gitchat_message **out, gitchat_store *store, const char *spec,
                  const char *room_arg)
{
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int ret;

	*out = NULL;
	if ((ret = cli_resolve_oid(&id, gitchat_store_repository(store), spec)) != 0)
		return ret;
	git_oid_tostr(hex, sizeof(hex), &id);
	if (gitchat_message_read(out, store, &id, NULL) < 0)
		return cli_fatal("'%s' is not a chat message: %s", spec, gitchat_error_last()->message);
	if (room_arg && strcmp(room_arg, (*out)->room)) {
		ret = cli_fatal("message %s is in room '%s', not '%s'; drop -r or name the right room",
		                hex, (*out)->room, room_arg);
		goto fail;
	}
	if (gitchat_verify_commit(store, &id, (*out)->room, NULL) < 0) {
		ret = cli_fatal("message %s does not verify: %s", hex, gitchat_error_last()->message);
		goto fail;
	}
	return 0;
fail:
	gitchat_message_free(*out);
	*out = NULL;
	return ret;
}

/* An edit or a redaction of a message already redacted would be a commit
 * that changes nothing anyone sees: refused before anything is written.
 * The state is the view's, so it is what 'log' shows. */
int reader_check_not_redacted(gitchat_store *store, const gitchat_message *target,
                              gitchat_message_kind kind)
{
	gitchat_conversation *conv = NULL;
	gitchat_view *view = NULL;
	gitchat_view_item *it = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int ret = 0, error;

	git_oid_tostr(hex, 9, &target->id);
	error = gitchat_conversation_load(&conv, store, target->room, NULL);
	if (error == 0 && (error = gitchat_conversation_find(&i, conv, &target->id)) < 0) {
		/* A valid message the room does not show (not reachable from
		 * its logs): nothing to check against. Anything else is an error
		 * (a damaged index must not let the check pass). */
		if (error == GITCHAT_ENOTFOUND)
			gitchat_error_clear();
		else
			ret = cli_fatal_lib();
		goto done;
	}
	/* The target's modifiers come after it: the view from it on has them. */
	if (error == 0 && (error = gitchat_view_new_from(&view, conv, i)) == 0)
		error = gitchat_view_item_load(&it, view, i);
	if (error < 0)
		ret = cli_fatal_lib();
	else if (it->redacted && kind == GITCHAT_MESSAGE_REDACT)
		ret = cli_fatal("message %s is already deleted; nothing to do", hex);
	else if (it->redacted && kind == GITCHAT_MESSAGE_TEXT)
		ret = cli_fatal("message %s was deleted by its author; its files are not saved "
		                "(git history still holds them)", hex);
	else if (it->redacted)
		ret = cli_fatal("message %s was deleted; an edit would not be shown", hex);
done:
	gitchat_view_item_free(it);
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	return ret;
}

/* Only the author may change a message: the key that signed it, or
 * another device of the same person (a key linked to it). */
static int check_own(gitchat_store *store, const gitchat_message *target, const gitchat_key *key)
{
	gitchat_persons *persons = NULL;
	char hex[GIT_OID_HEXSZ + 1], fp[GITCHAT_FINGERPRINT_SIZE];
	int same;

	if (!gitchat_pubkey_cmp(&target->key, gitchat_key_public(key)))
		return 0;
	if (gitchat_persons_load(&persons, store, NULL) < 0)
		return cli_fatal_lib();
	same = gitchat_persons_same(persons, &target->key, gitchat_key_public(key));
	gitchat_persons_free(persons);
	if (same)
		return 0;
	git_oid_tostr(hex, sizeof(hex), &target->id);
	gitchat_pubkey_fingerprint(fp, &target->key);
	return cli_fatal("message %s was written by %s, not by you nor a device linked to you; "
	                 "only its author can change it", hex, fp);
}

int reader_send_modifier(gitchat_message_kind kind, const char *spec, const char *room_arg,
                         const char *keypath, const char *text, size_t len, int own_only)
{
	static const char *what[] = { "message", "edit", "redaction", "reaction" };
	gitchat_send_options o = GITCHAT_SEND_OPTIONS_INIT;
	gitchat_store *store = NULL;
	gitchat_message *target = NULL;
	gitchat_key *key = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int ret;

	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (room_arg && gitchat_room_validate(room_arg) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if ((ret = reader_target(&target, store, spec, room_arg)) != 0 ||
	    (ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) != 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &target->id);
	if (target->kind != GITCHAT_MESSAGE_TEXT) {
		char orig[GIT_OID_HEXSZ + 1];
		ret = cli_fatal("%s is itself a%s %s; act on the message it applies to (%s)", hex,
		                target->kind == GITCHAT_MESSAGE_EDIT ? "n" : "", what[target->kind],
		                git_oid_tostr(orig, sizeof(orig), &target->target));
		goto done;
	}
	if (own_only && (ret = check_own(store, target, key)) != 0)
		goto done;
	if (kind != GITCHAT_MESSAGE_REACT && (ret = reader_check_not_redacted(store, target, kind)) != 0)
		goto done;
	o.room = target->room;
	o.kind = kind;
	o.target = &target->id;
	o.text = text;
	o.text_len = len;
	ret = cli_send(store, key, &o);
done:
	gitchat_message_free(target);
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
