#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "gitchat/send.h"
#include "gitchat/sshsig.h"
#include "gitchat/verify.h"
#include "message/commit.h"
#include "message/objects.h"
#include "send/files.h"
#include "send/parents.h"
#include "verify/cache.h"
#include "verify/verify.h"
#include "store/reflock.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/options.h"

#define SEND_DEFAULT_RETRIES 10000

typedef struct {
	char *name, *email;
	int64_t atime, ctime;
	int atz, ctz;
} send_ident;

/* 0 and *out, 1 when it is not set anywhere, or a negative error. */
static int ident_field(char **out, const char *given, const char *env, git_repository *repo,
                       git_config **cfg, const char *key, const char *what)
{
	const char *v = given;
	git_buf cv = GIT_BUF_INIT;
	int error;

	if (!v)
		v = getenv(env);
	/* The config only when needed: a snapshot stats every config file. */
	if (!v && !*cfg && (error = git_repository_config_snapshot(cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config");
	if (!v && git_config_get_string_buf(&cv, *cfg, key) == 0)
		v = cv.ptr;
	if (!v || !*v) {
		git_buf_dispose(&cv);
		return 1;   /* missing: the caller names every missing field at once */
	}
	if (strpbrk(v, "<>\n")) {
		git_buf_dispose(&cv);
		return gitchat_error_set(GITCHAT_EINVALID,
			"the author %s '%s' contains '<', '>' or a newline", what, v);
	}
	*out = strdup(v);
	git_buf_dispose(&cv);
	return *out ? 0 : gitchat_error_oom();
}

static int ident_date(int64_t *t, int *tz, const char *given, const char *env, int64_t now)
{
	const char *v = given ? given : getenv(env);

	if (!v || !*v) {
		*t = now;
		*tz = 0;
		return 0;
	}
	if (gitchat_date_parse(t, tz, v) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"cannot read the date '%s'%s%s; use '@SECONDS +0000' or ISO 8601 "
			"(2025-11-26T10:00:00Z)", v, given ? "" : " in ", given ? "" : env);
	return 0;
}

static int ident_resolve(send_ident *id, git_repository *repo, const gitchat_send_options *o)
{
	git_config *cfg = NULL;
	int64_t now = (int64_t)time(NULL);
	int error, no_name, no_email;


	if ((no_name = ident_field(&id->name, o->author_name, "GIT_AUTHOR_NAME", repo, &cfg,
	                           "user.name", "name")) < 0 ||
	    (no_email = ident_field(&id->email, o->author_email, "GIT_AUTHOR_EMAIL", repo, &cfg,
	                            "user.email", "email")) < 0) {
		error = no_name < 0 ? no_name : no_email;
		goto done;
	}
	/* Both missing is the usual first run: one error that names both. */
	if (no_name || no_email) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"the author %s unknown; set %s with %s%s%s (or %s%s%s)",
			no_name && no_email ? "name and email are" : no_name ? "name is" : "email is",
			no_name && no_email ? "them" : "it",
			no_name ? "'git config --global user.name \"Your Name\"'" : "",
			no_name && no_email ? " and " : "",
			no_email ? "'git config --global user.email you@example.com'" : "",
			no_name ? "GIT_AUTHOR_NAME" : "", no_name && no_email ? " and " : "",
			no_email ? "GIT_AUTHOR_EMAIL" : "");
		goto done;
	}
	if ((error = ident_date(&id->atime, &id->atz, o->author_date, "GIT_AUTHOR_DATE", now)) < 0 ||
	    (error = ident_date(&id->ctime, &id->ctz, o->committer_date, "GIT_COMMITTER_DATE", now)) < 0)
		goto done;
done:
	git_config_free(cfg);
	return error;
}

/* Moves `refname` from `old` (zero: no such ref yet) to `id` under the
 * ref's lock: the compare-and-swap, also for the first message (two first
 * messages must not both pass a "no such ref" check made before the lock).
 * A transaction, not git_reference_create_matching: it takes the reflog
 * identity as an argument (the author), where the latter works one out from
 * the repository, that is from an identity set on the caller's repository
 * or from a fresh config snapshot on every update. GIT_EMODIFIED when the
 * ref is not at `old`, GIT_ELOCKED when another writer holds it. */
static int ref_swap(git_repository *repo, const char *refname, const git_oid *old,
                    const git_oid *id, const send_ident *who)
{
	git_transaction *tx = NULL;
	git_signature *sig = NULL;
	git_oid cur;
	int error;

	/* A name git refuses in a signature: libgit2 picks its own for the reflog. */
	if (git_signature_new(&sig, who->name, who->email, who->ctime, who->ctz) < 0)
		git_error_clear();
	if ((error = git_transaction_new(&tx, repo)) < 0 ||
	    (error = git_transaction_lock_ref(tx, refname)) < 0)
		goto done;
	error = git_reference_name_to_id(&cur, repo, refname);
	if (error == GIT_ENOTFOUND) {
		memset(&cur, 0, sizeof(cur));
		error = 0;
	}
	if (error < 0)
		goto done;
	if (!git_oid_equal(&cur, old)) {
		git_error_set_str(GIT_ERROR_REFERENCE, "the ref moved while the message was written");
		error = GIT_EMODIFIED;
		goto done;
	}
	if ((error = git_transaction_set_target(tx, refname, id, sig, "git-chat: send")) == 0)
		error = git_transaction_commit(tx);
done:
	git_transaction_free(tx);
	git_signature_free(sig);
	return error;
}

static int build_text(gitchat_buf *out, const git_oid *tree, const git_oid *old,
                      const gitchat_parents *others, const send_ident *id,
                      const gitchat_send_options *o, size_t text_len,
                      const gitchat_buf *file_headers)
{
	static const char *kinds[] = { NULL, "chat-edit", "chat-redact", "chat-react" };
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	gitchat_buf_clear(out);
	git_oid_tostr(hex, sizeof(hex), tree);
	if (gitchat_buf_printf(out, "tree %s\n", hex) < 0)
		return GITCHAT_ENOMEM;
	if (old && gitchat_buf_printf(out, "parent %s\n", git_oid_tostr(hex, sizeof(hex), old)) < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < others->count; i++)
		if (gitchat_buf_printf(out, "parent %s\n",
		                       git_oid_tostr(hex, sizeof(hex), &others->ids[i])) < 0)
			return GITCHAT_ENOMEM;
	if (gitchat_buf_puts(out, "author ") < 0 ||
	    gitchat_ident_format(out, id->name, id->email, id->atime, id->atz) < 0 ||
	    gitchat_buf_puts(out, "\ncommitter ") < 0 ||
	    gitchat_ident_format(out, id->name, id->email, id->ctime, id->ctz) < 0 ||
	    gitchat_buf_printf(out, "\nchat-room %s\n", o->room) < 0)
		return GITCHAT_ENOMEM;
	if (o->reply_to && gitchat_buf_printf(out, "chat-reply %s\n",
	                                      git_oid_tostr(hex, sizeof(hex), o->reply_to)) < 0)
		return GITCHAT_ENOMEM;
	if (o->kind != GITCHAT_MESSAGE_TEXT &&
	    gitchat_buf_printf(out, "%s %s\n", kinds[o->kind],
	                       git_oid_tostr(hex, sizeof(hex), o->target)) < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < o->header_count; i++)
		if (gitchat_buf_printf(out, "%s\n", o->headers[i]) < 0)
			return GITCHAT_ENOMEM;
	if (gitchat_buf_put(out, file_headers->ptr, file_headers->size) < 0 ||
	    gitchat_buf_putc(out, '\n') < 0)
		return GITCHAT_ENOMEM;
	/* Files alone: no text at all after the blank line (as git writes an
	 * empty message), the one encoding validity accepts. */
	if (text_len && (gitchat_buf_put(out, o->text, text_len) < 0 ||
	                 gitchat_buf_putc(out, '\n') < 0))
		return GITCHAT_ENOMEM;
	return 0;
}

/* The caller's headers are one line each and in the chat-* namespace,
 * and never a second chat-room: the rest is the validity check's. */
static int check_headers(const gitchat_send_options *o)
{
	size_t i;

	if (o->header_count && !o->headers)
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_send: header_count without headers");
	for (i = 0; i < o->header_count; i++) {
		const char *h = o->headers[i];

		if (!h || strncmp(h, "chat-", 5) || strchr(h, '\n') || !strchr(h, ' ') ||
		    !strncmp(h, "chat-room ", 10))
			return gitchat_error_set(GITCHAT_EINVALID,
				"gitchat_send: header %zu is not one line 'chat-<name> <value>' "
				"(or is a second chat-room)", i + 1);
	}
	return 0;
}

static int check_options(gitchat_store *store, const gitchat_send_options *o, size_t *text_len)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t n;
	int error;

	if (!o || o->version != GITCHAT_SEND_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_send: unknown options version");
	if ((error = gitchat_room_validate(o->room)) < 0)
		return error;
	if (!o->text && !o->allow_empty_text && !o->file_count)
		return gitchat_error_set(GITCHAT_EINVALID, "the message is empty");
	if ((error = check_headers(o)) < 0)
		return error;
	if (o->file_count && (!o->files || o->tree || o->kind != GITCHAT_MESSAGE_TEXT))
		return gitchat_error_set(GITCHAT_EINVALID, !o->files ?
			"gitchat_send: file_count without files" : o->tree ?
			"gitchat_send: files and a tree of the caller's" :
			"only a message carries files, not an edit, redaction or reaction");
	/* The commit's message ends in exactly one newline; trailing ones are not text. */
	for (n = o->text ? o->text_len : 0; n && (o->text[n - 1] == '\n' || o->text[n - 1] == '\r'); n--)
		;
	/* With files, no text (or only white space) is a message of files alone. */
	if (o->file_count) {
		size_t i;
		for (i = 0; i < n && (o->text[i] == ' ' || o->text[i] == '\t' ||
		                      o->text[i] == '\r' || o->text[i] == '\n'); i++)
			;
		if (i == n)
			n = 0;
	}
	if ((n || !(o->file_count || o->allow_empty_text)) &&
	    (error = gitchat_text_check(o->text, n ? n : o->text_len,
	                                gitchat_store_limits(store))) < 0)
		return error;
	*text_len = n;
	if (o->kind != GITCHAT_MESSAGE_TEXT && (!o->target || o->kind > GITCHAT_MESSAGE_REACT))
		return gitchat_error_set(GITCHAT_EINVALID, "gitchat_send: an edit, redaction or "
		                         "reaction needs a target message");
	if (o->reply_to && gitchat_verify_commit(store, o->reply_to, o->room, NULL) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"cannot reply to %s: it is not a valid message in room '%s' (%s)",
			git_oid_tostr(hex, sizeof(hex), o->reply_to), o->room,
			gitchat_error_last()->message);
	if (o->target && o->kind != GITCHAT_MESSAGE_TEXT &&
	    gitchat_verify_commit(store, o->target, o->room, NULL) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"the target %s is not a valid message in room '%s' (%s)",
			git_oid_tostr(hex, sizeof(hex), o->target), o->room,
			gitchat_error_last()->message);
	return 0;
}

static void backoff(unsigned int attempt)
{
	/* Randomised, growing: two senders in lock-step would collide forever. */
	unsigned int cap = attempt < 10 ? 1000u << attempt : 1000u << 10;
	usleep(randombytes_uniform(cap) + 100);
}

/* The commit object as git stores it: the signed text with the signature
 * in a gpgsig header after the last header line, continuation lines
 * starting with a space (what git_commit_create_with_signature makes of
 * the same text and signature, and what git commit -S writes). */
static int build_object(gitchat_buf *out, const gitchat_buf *text, const gitchat_buf *sig)
{
	size_t head = 0, i;

	for (i = 0; i + 1 < text->size; i++)
		if (text->ptr[i] == '\n' && text->ptr[i + 1] == '\n') {
			head = i + 1;
			break;
		}
	if (!head)
		return gitchat_error_set(GITCHAT_EINVALID, "internal: a commit text without headers");
	gitchat_buf_clear(out);
	if (gitchat_buf_put(out, text->ptr, head) < 0 || gitchat_buf_puts(out, "gpgsig ") < 0)
		return GITCHAT_ENOMEM;
	for (i = 0; i < sig->size; i++)
		if ((sig->ptr[i] == '\n' ? gitchat_buf_puts(out, "\n ") : gitchat_buf_putc(out, sig->ptr[i])) < 0)
			return GITCHAT_ENOMEM;
	if (gitchat_buf_putc(out, '\n') < 0 || gitchat_buf_put(out, text->ptr + head, text->size - head) < 0)
		return GITCHAT_ENOMEM;
	return 0;
}

/* libgit2 refuses to write a commit whose parents are not stored; the
 * verification cache, which decides the rest, knows ids, not objects. */
static int parents_stored(git_repository *repo, const git_oid *old, const gitchat_parents *others)
{
	gitchat_objects o;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error;

	if ((error = gitchat_objects_open(&o, repo)) < 0)
		return error;
	for (i = 0; i <= others->count && error == 0; i++) {
		const git_oid *p = i < others->count ? &others->ids[i] : old;
		if (p && !gitchat_objects_exists(&o, p))
			error = gitchat_error_set(GITCHAT_EVERIFY, "its parent %s is missing from the store",
			                          git_oid_tostr(hex, sizeof(hex), p));
	}
	gitchat_objects_close(&o);
	return error;
}

static const gitchat_tip *find_tip(const gitchat_tips *tips, const char *refname)
{
	for (size_t i = 0; i < tips->count; i++)
		if (strcmp(tips->tips[i].refname, refname) == 0)
			return &tips->tips[i];
	return NULL;
}

int gitchat_send(git_oid *out, gitchat_store *store, const gitchat_key *key,
                 const gitchat_send_options *opts)
{
	send_ident id = { 0 };
	gitchat_buf refname = GITCHAT_BUF_INIT, text = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	gitchat_buf obj = GITCHAT_BUF_INIT, file_headers = GITCHAT_BUF_INIT;
	gitchat_parents others = { 0 };
	gitchat_tips tips = { 0 };
	gitchat_verify_cache *cache;
	const gitchat_tip *own;
	git_odb *odb = NULL;
	git_oid tree, old, commit_id;
	unsigned int attempt, retries;
	int reflock;
	size_t text_len = 0;
	int has_old, error;

	if ((error = check_options(store, opts, &text_len)) < 0 ||
	    (error = ident_resolve(&id, gitchat_store_repository(store), opts)) < 0 ||
	    (error = gitchat_chatref_format(&refname, NULL, opts->room, gitchat_key_public(key))) < 0)
		goto done;
	/* A caller's tree is the caller's to write; the empty tree is
	 * written after signing (below). */
	if (opts->tree)
		git_oid_cpy(&tree, opts->tree);
	if ((error = git_repository_odb(&odb, gitchat_store_repository(store))) < 0 ||
	    (!opts->tree && (error = git_odb_hash(&tree, "", 0, GIT_OBJECT_TREE)) < 0)) {
		error = gitchat_error_from_git(error, "cannot open the object database");
		goto done;
	}
	/* The files once, before the loop: a retry re-signs, it does not
	 * re-read them. */
	if (opts->file_count &&
	    (error = gitchat_send_files(&tree, &file_headers, store, opts->files,
	                                opts->file_count)) < 0)
		goto done;
	retries = opts->max_retries ? opts->max_retries : SEND_DEFAULT_RETRIES;
	for (attempt = 0;; attempt++) {
		/* The room's refs, read once: the own head comes from the same
		 * listing as the other authors' heads. */
		gitchat_tips_dispose(&tips);
		if ((error = gitchat_tips_list(&tips, NULL, gitchat_store_repository(store),
		                               opts->room)) < 0)
			goto done;
		own = find_tip(&tips, refname.ptr);
		has_old = own != NULL;
		if (has_old) {
			git_oid_cpy(&old, &own->id);
			/* A head this store object wrote itself was verified then. */
			if (!gitchat_parents_wrote(store, refname.ptr, &old) &&
			    (error = gitchat_verify_ref_update(store, refname.ptr, NULL, &old, NULL)) < 0) {
				error = gitchat_error_set(GITCHAT_EVERIFY,
					"your own log '%s' is invalid (%s); run 'git chat verify' and repair "
					"or remove that ref before sending", refname.ptr,
					gitchat_error_last()->message);
				goto done;
			}
		}
		gitchat_parents_dispose(&others);
		if ((error = gitchat_parents_choose(&others, store, refname.ptr,
		                                    has_old ? &old : NULL, &tips)) < 0 ||
		    (error = build_text(&text, &tree, has_old ? &old : NULL, &others, &id, opts,
		                        text_len, &file_headers)) < 0)
			goto done;
		gitchat_buf_clear(&sig);
		if ((error = gitchat_sshsig_sign(&sig, key, "git", text.ptr, text.size)) < 0)
			goto done;
		/* git stores the armor without its final newline. */
		sig.ptr[--sig.size] = '\0';
		if ((error = build_object(&obj, &text, &sig)) < 0)
			goto done;
		if ((error = parents_stored(gitchat_store_repository(store), has_old ? &old : NULL, &others)) < 0) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"the new message does not verify (%s); nothing was sent",
				gitchat_error_last()->message);
			goto done;
		}
		/* Written only once the message is signed (a signer that fails,
		 * ssh-agent gone, leaves the store as it was), and once per store,
		 * not per message (writing an object that exists rewrites its
		 * file's times). */
		if (!opts->tree && !git_odb_exists(odb, &tree) &&
		    (error = git_odb_write(&tree, odb, "", 0, GIT_OBJECT_TREE)) < 0) {
			error = gitchat_error_from_git(error, "cannot write the empty tree");
			goto done;
		}
		if ((error = git_odb_write(&commit_id, odb, obj.ptr, obj.size, GIT_OBJECT_COMMIT)) < 0) {
			error = gitchat_error_from_git(error, "cannot write the message commit");
			goto done;
		}
		/* Never point refs/chat at anything unverified, not even our own:
		 * the stored commit is checked as any update of the ref is, by the
		 * same function (a refused object nothing points to is harmless),
		 * given the bytes just written (hashed against the id, not read
		 * back); the cache records go out in batches below. */
		if ((error = gitchat_verify_ref_update_bytes(store, refname.ptr,
		                                             has_old ? &old : NULL, &commit_id,
		                                             obj.ptr, obj.size, NULL, 0)) < 0) {
			if (error != GITCHAT_ENOMEM)
				error = gitchat_error_set(GITCHAT_EVERIFY,
					"the new message does not verify (%s); nothing was sent",
					gitchat_error_last()->message);
			goto done;
		}
		if (!has_old)
			memset(&old, 0, sizeof(old));
		if ((error = gitchat_store_refs_hold(&reflock, store)) < 0)
			goto done;
		error = ref_swap(gitchat_store_repository(store), refname.ptr, &old, &commit_id, &id);
		gitchat_store_refs_release(reflock);
		/* a lock left by a killed writer: removed, and at once again */
		if (error == GIT_ELOCKED && gitchat_store_ref_unstick(store, refname.ptr) > 0 &&
		    attempt < retries)
			continue;
		if (error == 0) {
			gitchat_parents_remember(store, refname.ptr, &commit_id, &others);
			break;
		}
		if ((error == GIT_EMODIFIED || error == GIT_ELOCKED || error == GIT_EEXISTS) &&
		    attempt < retries) {
			backoff(attempt);
			continue;
		}
		error = gitchat_error_from_git(error, "cannot update '%s'", refname.ptr);
		goto done;
	}
	/* The verification cache file gets this process's new commits in
	 * batches (and the rest when the store is freed). */
	if (gitchat_verify_cache_of(&cache, store) == 0)
		gitchat_verify_cache_flush_some(cache, 128);
	gitchat_error_clear();
	git_oid_cpy(out, &commit_id);
	error = 0;
done:
	git_odb_free(odb);
	gitchat_tips_dispose(&tips);
	gitchat_parents_dispose(&others);
	gitchat_buf_dispose(&refname);
	gitchat_buf_dispose(&text);
	gitchat_buf_dispose(&sig);
	gitchat_buf_dispose(&obj);
	gitchat_buf_dispose(&file_headers);
	free(id.name);
	free(id.email);
	return error;
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_send_options_init, gitchat_send_options, GITCHAT_SEND_OPTIONS_INIT, GITCHAT_SEND_OPTIONS_VERSION)
