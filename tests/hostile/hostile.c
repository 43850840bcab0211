#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <gitchat.h>

#include "hostile.h"
#include "util/buf.h"

const char *const hx_honest_texts[] = { "hello from alice", "hello from bob",
                                        "how is everyone", NULL };

static void lib_init(void)
{
	static int done;
	if (!done++)
		cr_assert_eq(gitchat_init(), 0);
}

static t_run git_env(const hx_world *w, const char *const *argv)
{
	return t_run_argv(NULL, argv, NULL, 0, w->srv ? t_server_git_env(w->srv) : NULL);
}

static void copy_logs(const char *from, const char *to)
{
	t_git(to, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", from);
}

void hx_setup(hx_world *w)
{
	char *root;
	t_run r;

	lib_init();
	memset(w, 0, sizeof(*w));
	w->dir = t_strndup(t_scratch(), 4096);
	root = t_keep(t_path(w->dir, "srv"));
	t_mkdir(root);
	w->srv = t_server_start(T_SERVER_DAEMON, root);
	w->server = t_keep(t_path(root, "room.git"));
	r = t_chatv(NULL, "init", "--server", "--http", w->server);
	cr_assert_eq(r.status, 0, "init --server: %s", r.err);
	t_run_free(&r);
	w->url = t_keep(t_server_url(w->srv, "room.git"));
	w->honest = t_store(w->dir, "honest.git");
	w->attacker = t_store(w->dir, "mallory.git");
	w->victim = t_store(w->dir, "victim.git");
	w->alice = t_keep(t_keygen(w->dir, "alice", 1));
	w->bob = t_keep(t_keygen(w->dir, "bob", 1));
	w->mallory = t_keep(t_keygen(w->dir, "mallory", 0));
	w->aref = t_ref("general", w->alice);
	w->bref = t_ref("general", w->bob);
	w->mref = t_ref("general", w->mallory);
	w->a1 = t_send(w->honest, w->alice, "general", hx_honest_texts[0]);
	w->b1 = t_send(w->honest, w->bob, "general", hx_honest_texts[1]);
	w->a2 = t_send(w->honest, w->alice, "general", hx_honest_texts[2]);
	{
		const char *argv[] = { "git", "--git-dir", w->honest, "push", "-q", w->url,
		                       "refs/chat/*:refs/chat/*", NULL };
		r = git_env(w, argv);
		cr_assert_eq(r.status, 0, "honest push: %s", r.err);
		t_run_free(&r);
	}
	copy_logs(w->honest, w->attacker);
	copy_logs(w->honest, w->victim);
}

char *hx_payload(const hx_spec *s)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	const char *who = "Mallory <mallory@example.org> 1764150000 +0000";
	const char *text = s->text ? s->text : "hostile";
	char *out;

	gitchat_buf_printf(&b, "tree %s\n", s->tree ? s->tree : HX_EMPTY_TREE);
	for (size_t i = 0; i < 40 && s->parents[i]; i++)
		gitchat_buf_printf(&b, "parent %s\n", s->parents[i]);
	gitchat_buf_printf(&b, "author %s\ncommitter %s\n%s\n", s->author ? s->author : who,
	                   s->committer ? s->committer : who,
	                   s->headers ? s->headers : "chat-room general\n");
	gitchat_buf_puts(&b, text);
	gitchat_buf_puts(&b, "\n");
	cr_assert(b.ptr != NULL);
	out = malloc(b.size + 1);
	memcpy(out, b.ptr, b.size + 1);
	gitchat_buf_dispose(&b);
	return t_keep(out);
}

char *hx_sign(const char *key, const char *payload)
{
	return t_sign_ours(key, payload, strlen(payload));
}

char *hx_object(const char *payload, const char *armor)
{
	return t_commit_with_signature(payload, armor);
}

char *hx_write(const char *store, const char *data, size_t len, git_object_t type)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];

	lib_init();
	cr_assert_eq(git_repository_open(&repo, store), 0);
	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_odb_write(&id, odb, data, len, type), 0);
	git_oid_tostr(hex, sizeof(hex), &id);
	git_odb_free(odb);
	git_repository_free(repo);
	return t_strndup(hex, GIT_OID_HEXSZ);
}

/* Each "@NUL@" in the text becomes a NUL byte; the new length. */
static size_t nul_markers(char *s)
{
	size_t len = strlen(s);

	for (char *p = strstr(s, "@NUL@"); p; p = strstr(p + 1, "@NUL@")) {
		memmove(p + 1, p + 5, len - (size_t)(p + 5 - s) + 1);
		*p = '\0';
		len -= 4;
	}
	return len;
}

char *hx_commit(const char *store, const char *key, const hx_spec *s)
{
	char *payload = hx_payload(s), *sig, *obj, *id;
	size_t len = nul_markers(payload), hlen, slen, o;
	const char *blank;

	if (!key)
		return hx_write(store, payload, len, GIT_OBJECT_COMMIT);
	/* hx_object, over bytes that may hold NULs. */
	sig = t_sign_ours(key, payload, len);
	blank = memmem(payload, len, "\n\n", 2);
	cr_assert(blank != NULL);
	hlen = (size_t)(blank - payload) + 1;
	slen = strlen(sig);
	obj = malloc(len + 2 * slen + 16);
	memcpy(obj, payload, hlen);
	o = hlen + (size_t)sprintf(obj + hlen, "gpgsig ");
	for (size_t i = 0; i < slen; i++) {
		obj[o++] = sig[i];
		if (sig[i] == '\n' && i + 1 < slen)
			obj[o++] = ' ';
	}
	memcpy(obj + o, payload + hlen, len - hlen);
	id = hx_write(store, obj, o + len - hlen, GIT_OBJECT_COMMIT);
	free(obj);
	return id;
}

/* reason: one substring, or several separated by '|' (any of them). */
static int has_reason(const char *err, const char *reason)
{
	const char *p = reason;

	for (;;) {
		size_t n = strcspn(p, "|");
		char *one = t_strndup(p, n);
		if (strstr(err, one))
			return 1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static char *server_refs(const hx_world *w)
{
	return t_git(w->server, "for-each-ref --format='%%(objectname) %%(refname)'");
}

t_run hx_push(const hx_world *w, const char *refspec)
{
	const char *argv[] = { "git", "--git-dir", w->attacker, "push", w->url, refspec, NULL };
	return git_env(w, argv);
}

void hx_hook_refuses_ref(const hx_world *w, const char *refspec, const char *reason)
{
	char *before = server_refs(w);
	t_run r = hx_push(w, refspec);

	/* When git fsck in receive-pack refuses an object before the whole
	 * pack was read, git daemon may close the connection with data
	 * unread, and the kernel then resets it before the client read the
	 * reason: git's race, not the hook's. Push again (bounded). */
	for (int i = 0; i < 5 && r.status != 0 && strstr(r.err, "Connection reset by peer") &&
	                !has_reason(r.err, reason); i++) {
		t_run_free(&r);
		r = hx_push(w, refspec);
	}

	cr_assert_neq(r.status, 0, "push %s was accepted:\n%s", refspec, r.err);
	cr_assert(has_reason(r.err, reason), "reason '%s' not shown for %s:\n%s", reason, refspec,
	          r.err);
	cr_assert_str_eq(server_refs(w), before, "the server's refs changed");
	t_run_free(&r);
}

void hx_hook_refuses(const hx_world *w, const char *id, const char *reason)
{
	hx_hook_refuses_ref(w, t_fmt("%s:%s", id, w->mref), reason);
}

void hx_hook_accepts(const hx_world *w, const char *id)
{
	t_run r = hx_push(w, t_fmt("%s:%s", id, w->mref));

	cr_assert_eq(r.status, 0, "push of %s refused:\n%s", id, r.err);
	cr_assert(strstr(r.err, "remote: git-chat: "), "the hook did not run:\n%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_git(w->server, "rev-parse '%s'", w->mref), id);
}

t_run hx_sync(const hx_world *w)
{
	return t_chatv(w->victim, "sync", "--no-push", w->attacker);
}

/* Whether a ref of mallory's log (or a copy of it) points at id. */
static int victim_has(const hx_world *w, const char *id)
{
	char *refs = t_git(w->victim, "for-each-ref --format='%%(refname)' --points-at %s", id);
	return strstr(refs, strrchr(w->mref, '/') + 1) != NULL;
}

void hx_set_ref(const char *store, const char *ref, const char *id)
{
	char *path = t_keep(t_path(store, ref)), *dir = t_strndup(path, strrchr(path, '/') - path);

	/* Written as a file: git update-ref would refuse some of what mallory
	 * writes (a commit whose parent is a tree). */
	t_mkdir(dir);
	t_write_file(path, t_fmt("%s\n", id), 41);
}

void hx_sync_refuses(const hx_world *w, const char *id, const char *reason)
{
	t_run r;

	hx_set_ref(w->attacker, w->mref, id);
	r = hx_sync(w);
	cr_assert_eq(r.status, 1, "sync exited %d (not 1: rejected):\n%s%s", r.status, r.out, r.err);
	cr_assert(has_reason(r.err, reason), "reason '%s' not shown:\n%s", reason, r.err);
	cr_assert(strstr(r.err, w->mref) || strstr(r.err, id), "the log is not named:\n%s", r.err);
	cr_assert(!victim_has(w, id), "%s is under the victim's refs", id);
	t_run_free(&r);
}

void hx_sync_accepts(const hx_world *w, const char *id)
{
	t_run r;

	hx_set_ref(w->attacker, w->mref, id);
	r = hx_sync(w);
	cr_assert_eq(r.status, 0, "sync exited %d:\n%s%s", r.status, r.out, r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_git(w->victim, "rev-parse '%s'", w->mref), id);
}

void hx_assert_json_lines(const char *out)
{
	static const char script[] =
		"import json, sys\n"
		"for n, line in enumerate(sys.stdin.buffer.read().split(b'\\n'), 1):\n"
		"    if line:\n"
		"        json.loads(line.decode('utf-8', 'strict'))\n";
	const char *argv[] = { "python3", "-c", script, NULL };
	t_run r = t_run_argv(NULL, argv, out, strlen(out), NULL);

	cr_assert_eq(r.status, 0, "not valid JSON lines:\n%s\n%s", r.err, out);
	t_run_free(&r);
}

static void shows(const char *what, const char *out, const char *const *texts)
{
	for (; *texts; texts++)
		cr_assert(strstr(out, *texts), "%s does not show '%s':\n%s", what, *texts, out);
}

char *hx_readable(const char *store, const char *const *texts, int verify_status)
{
	char *html = t_path(t_scratch(), "room.html"), *page, *log;
	t_run r;

	t_keep(html);
	if (!texts)
		texts = hx_honest_texts;
	r = t_chatv(store, "log", "-r", "general");
	cr_assert_eq(r.status, 0, "log exited %d:\n%s", r.status, r.err);
	shows("log", r.out, texts);
	log = t_keep(r.out);
	r.out = NULL;
	t_run_free(&r);

	r = t_chatv(store, "log", "-r", "general", "--format=json");
	cr_assert_eq(r.status, 0, "log --format=json exited %d:\n%s", r.status, r.err);
	hx_assert_json_lines(r.out);
	shows("log --format=json", r.out, texts);
	t_run_free(&r);

	r = t_chatv(store, "verify");
	cr_assert_eq(r.status, verify_status, "verify exited %d:\n%s%s", r.status, r.out, r.err);
	t_run_free(&r);

	r = t_chatv(store, "rooms");
	cr_assert_eq(r.status, 0, "rooms exited %d:\n%s", r.status, r.err);
	t_assert_contains(r.out, "general");
	t_run_free(&r);
	r = t_chatv(store, "rooms", "--format=json");
	cr_assert_eq(r.status, 0, "rooms --format=json exited %d:\n%s", r.status, r.err);
	hx_assert_json_lines(r.out);
	t_run_free(&r);

	r = t_chatv(store, "export", "-r", "general", "-o", html);
	cr_assert_eq(r.status, 0, "export exited %d:\n%s", r.status, r.err);
	t_run_free(&r);
	page = t_keep(t_read_file(html, NULL));
	cr_assert(page != NULL);
	shows("export", page, texts);
	return log;
}

hx_spec hx_on_heads(const hx_world *w, const char *text)
{
	hx_spec s = { .text = text };

	s.parents[0] = w->a2;
	s.parents[1] = w->b1;
	return s;
}

void hx_refused_everywhere(const hx_world *w, const char *id, const char *hook_reason,
                           const char *sync_reason)
{
	hx_hook_refuses(w, id, hook_reason);
	hx_sync_refuses(w, id, sync_reason);
	hx_readable(w->server, NULL, 0);
	hx_readable(w->victim, NULL, 0);
}

void hx_shown_everywhere(const hx_world *w, const char *id, const char *text)
{
	const char *texts[] = { text, hx_honest_texts[0], hx_honest_texts[1],
	                        hx_honest_texts[2], NULL };

	hx_hook_accepts(w, id);
	hx_sync_accepts(w, id);
	hx_readable(w->server, texts, 0);
	hx_readable(w->victim, texts, 0);
}

void hx_case(const hx_spec *s, const char *hook_reason, const char *sync_reason)
{
	hx_world w;
	hx_spec c = *s;
	char *id;

	hx_setup(&w);
	if (!c.parents[0]) {
		c.parents[0] = w.a2;
		c.parents[1] = w.b1;
	}
	id = hx_commit(w.attacker, w.mallory, &c);
	if (hook_reason)
		hx_refused_everywhere(&w, id, hook_reason, sync_reason);
	else
		hx_shown_everywhere(&w, id, c.text);
}

t_run hx_chat_timed(const char *store, int seconds, const char *args)
{
	return t_sh("GIT_DIR='%s' timeout -k 5 %d '%s' %s", store, seconds, GITCHAT_BIN, args);
}
