/*
 * Sync over HTTPS (tests/lib/servers.h: lighttpd + mod_openssl with a
 * throwaway CA): the CA comes from GIT_SSL_CAINFO / GIT_SSL_CAPATH or
 * http.sslCAInfo / http.sslCAPath, as for git. Without it the certificate
 * is not trusted and the sync fails with a clear message, leaving the store
 * as it was; a missing or unreadable CA file is named; turning certificate
 * checks off (http.sslVerify=false, GIT_SSL_NO_VERIFY) is refused.
 */
#include "testsync.h"
#include "servers.h"

typedef struct {
	char *dir;
	t_server *srv;
	char *repo;       /* the served bare repository */
	char *url;        /* https://127.0.0.1:PORT/git/team.git */
	t_person a, b;
} fx;

static void clear_tls_env(void)
{
	unsetenv("GIT_SSL_CAINFO");
	unsetenv("GIT_SSL_CAPATH");
	unsetenv("GIT_SSL_NO_VERIFY");
}

/* The server, Alice, and Bob when `with_bob`. */
static void setup(fx *f, int with_bob)
{
	char *root;

	f->dir = t_scratch_copy();
	clear_tls_env();
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	root = t_path(f->dir, "srv");
	t_mkdir(root);
	f->srv = t_server_start(T_SERVER_HTTPS, root);
	f->repo = t_keep(t_server_new_repo(f->srv, "team.git"));
	f->url = t_keep(t_server_url(f->srv, "team.git"));
	t_person_init(&f->a, f->dir, "Alice");
	if (with_bob)
		t_person_init(&f->b, f->dir, "Bob");
}

static void teardown(fx *f)
{
	clear_tls_env();
	t_server_stop(f->srv);
}

/* Every ref of `gitdir`, then every ref of the served repository (one
 * shell, two gits: this runs before and after each refusal). */
static char *refs_both(const fx *f, const char *gitdir)
{
	t_run r = t_sh("git --git-dir='%s' for-each-ref && echo -- && git --git-dir='%s' for-each-ref",
	               gitdir, f->repo);
	char *out = r.out;

	cr_assert_eq(r.status, 0, "%s", r.err);
	r.out = NULL;
	t_run_free(&r);
	return t_keep(out);
}

/* A CA of its own, which the server's certificate does not come from. */
static char *other_ca(const fx *f)
{
	char *path = t_path(f->dir, "other-ca.pem");
	t_run r = t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	               "-keyout '%s.key' -out '%s' -days 2 -subj '/CN=other CA' 2>&1", path, path);

	cr_assert_eq(r.status, 0, "%s", r.out);
	t_run_free(&r);
	return path;
}

/* Alice pushes a message, Bob fetches it, it verifies; both as `git chat
 * sync URL` with whatever CA settings the caller made. */
static void round_trip(fx *f, const char *text)
{
	char *id = t_person_send(&f->a, "general", text);
	t_run r = t_person_sync(&f->a, f->url, NULL);

	cr_assert_eq(r.status, 0, "alice: %s%s", r.out, r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert(t_contains(t_refs(f->repo, "refs/chat"), id), "not on the server");
	r = t_person_sync(&f->b, f->url, NULL);
	cr_assert_eq(r.status, 0, "bob: %s%s", r.out, r.err);
	cr_assert(t_contains(r.out, "received 1 new message"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(f->b.store, t_person_ref(&f->a, "general")), id);
	cr_assert(t_contains(t_person_log_json(&f->b, "general"), text));
	t_store_sound(f->b.store);
	t_verify_commits(f->b.store);
}

/* A sync by p that must fail with every one of `needles` in its error, and
 * change nothing in p's store nor on the server. */
static void sync_refused(fx *f, const t_person *p, const char *const *needles)
{
	char *before = refs_both(f, p->store);
	t_run r = t_person_sync(p, f->url, NULL);

	cr_assert_eq(r.status, 1, "exit %d: %s%s", r.status, r.out, r.err);
	for (; *needles; needles++)
		cr_assert(t_contains(r.err, *needles), "no '%s' in:\n%s", *needles, r.err);
	t_run_free(&r);
	cr_assert_str_eq(refs_both(f, p->store), before);
}

Test(sync_https, server_is_really_https, .timeout = 120)
{
	fx f;
	t_run r;
	char *plain;

	setup(&f, 0);
	/* stock git: with the CA, yes; without, no; plain http on that port, no */
	r = t_sh("GIT_SSL_CAINFO='%s' git ls-remote '%s'", t_server_ca_file(f.srv), f.url);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_sh("git ls-remote '%s'", f.url);
	cr_assert_neq(r.status, 0, "stock git trusted the test CA without being told");
	cr_assert(t_contains(r.err, "certificate"), "%s", r.err);
	t_run_free(&r);
	plain = t_fmt("http://127.0.0.1:%d/git/team.git", t_server_port(f.srv));
	r = t_sh("git ls-remote '%s'", plain);
	cr_assert_neq(r.status, 0, "plain http worked on the https port");
	t_run_free(&r);
	/* and git-chat over plain http fails too, changing nothing */
	setenv("GIT_SSL_CAINFO", t_server_ca_file(f.srv), 1);
	t_person_send(&f.a, "general", "hello");
	{
		char *before = refs_both(&f, f.a.store);
		r = t_person_sync(&f.a, plain, NULL);
		cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
		t_run_free(&r);
		cr_assert_str_eq(refs_both(&f, f.a.store), before);
		cr_assert(t_contains(before, "\n--\n") && !strstr(before, "\n--\n")[4],
		          "the server has refs: %s", before);
	}
	teardown(&f);
}

Test(sync_https, ca_from_environment, .timeout = 120)
{
	fx f;

	setup(&f, 1);
	setenv("GIT_SSL_CAINFO", t_server_ca_file(f.srv), 1);
	round_trip(&f, "over https, CA from GIT_SSL_CAINFO");
	/* the environment wins over the config, as in git */
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", t_path(f.dir, "no-such-ca.pem")));
	t_person_send(&f.a, "general", "second");
	t_person_sync_ok(&f.a, f.url);
	teardown(&f);
}

Test(sync_https, ca_from_config, .timeout = 120)
{
	fx f;
	char *capath;

	setup(&f, 1);
	/* Alice names the file; Bob a directory holding it (http.sslCAPath) */
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", t_server_ca_file(f.srv)));
	capath = t_path(f.dir, "cas");
	t_mkdir(capath);
	{
		size_t len;
		char *pem = t_keep(t_read_file(t_server_ca_file(f.srv), &len));
		t_write_file(t_path(capath, "test-ca.pem"), pem, len);
	}
	free(t_git_out(f.b.store, "config http.sslCAPath '%s'", capath));
	round_trip(&f, "over https, CA from http.sslCAInfo");
	/* GIT_SSL_CAPATH does the same from the environment */
	free(t_git_out(f.b.store, "config --unset http.sslCAPath"));
	setenv("GIT_SSL_CAPATH", capath, 1);
	t_person_send(&f.a, "general", "again");
	t_person_sync_ok(&f.a, f.url);
	t_person_sync_ok(&f.b, f.url);
	cr_assert(t_contains(t_person_log_json(&f.b, "general"), "again"));
	teardown(&f);
}

Test(sync_https, untrusted_certificate, .timeout = 120)
{
	fx f;
	char *other;

	setup(&f, 1);
	/* Something on the server for Bob to (not) fetch. */
	setenv("GIT_SSL_CAINFO", t_server_ca_file(f.srv), 1);
	t_person_send(&f.a, "general", "first");
	t_person_sync_ok(&f.a, f.url);
	unsetenv("GIT_SSL_CAINFO");
	t_person_send(&f.a, "general", "not sent");
	t_person_send(&f.b, "general", "bob's");

	{
		const char *n[] = { f.url, "127.0.0.1", "certificate", "not trusted",
		                    "http.sslCAInfo", NULL };
		sync_refused(&f, &f.a, n);
		sync_refused(&f, &f.b, n);
	}
	/* a CA file that does not vouch for the server: same, naming the file */
	other = other_ca(&f);
	free(t_git_out(f.b.store, "config http.sslCAInfo '%s'", other));
	{
		const char *n[] = { "not trusted", other, "http.sslCAInfo", NULL };
		sync_refused(&f, &f.b, n);
	}
	cr_assert_eq(t_ref_value(f.b.store, t_person_ref(&f.a, "general")), NULL);
	t_store_sound(f.b.store);
	teardown(&f);
}

Test(sync_https, bad_settings_refused, .timeout = 120)
{
	fx f;
	char *missing, *garbage, *nodir;

	setup(&f, 0);
	t_person_send(&f.a, "general", "hello");
	missing = t_path(f.dir, "missing-ca.pem");
	garbage = t_path(f.dir, "garbage.pem");
	nodir = t_path(f.dir, "no-such-dir");
	t_write_file(garbage, "not a certificate\n", 18);

	setenv("GIT_SSL_CAINFO", missing, 1);
	{
		const char *n[] = { missing, "GIT_SSL_CAINFO", "does not exist", NULL };
		sync_refused(&f, &f.a, n);
	}
	unsetenv("GIT_SSL_CAINFO");
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", missing));
	{
		const char *n[] = { missing, "http.sslCAInfo", "does not exist", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", garbage));
	{
		const char *n[] = { garbage, "http.sslCAInfo", "no certificate", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", f.dir));
	{
		const char *n[] = { f.dir, "http.sslCAInfo", "is a directory", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config --unset http.sslCAInfo"));
	free(t_git_out(f.a.store, "config http.sslCAPath '%s'", garbage));
	{
		const char *n[] = { garbage, "http.sslCAPath", "not a directory", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config http.sslCAPath '%s'", nodir));
	{
		const char *n[] = { nodir, "http.sslCAPath", "does not exist", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config --unset http.sslCAPath"));

	/* turning certificate checks off */
	free(t_git_out(f.a.store, "config http.sslVerify false"));
	{
		const char *n[] = { "http.sslVerify", "does not turn off certificate checks",
		                    "http.sslCAInfo", NULL };
		sync_refused(&f, &f.a, n);
	}
	/* even with a good CA: the setting is refused, not ignored */
	setenv("GIT_SSL_CAINFO", t_server_ca_file(f.srv), 1);
	{
		const char *n[] = { "http.sslVerify", "does not turn off certificate checks", NULL };
		sync_refused(&f, &f.a, n);
	}
	free(t_git_out(f.a.store, "config http.sslVerify true"));
	setenv("GIT_SSL_NO_VERIFY", "1", 1);
	{
		const char *n[] = { "GIT_SSL_NO_VERIFY", "does not turn off certificate checks",
		                    NULL };
		sync_refused(&f, &f.a, n);
	}
	unsetenv("GIT_SSL_NO_VERIFY");
	t_person_sync_ok(&f.a, f.url);
	teardown(&f);
}

/* In one process (the library): libgit2's CA list is process-wide, so one
 * store's http.sslCAInfo must not carry over to a store without it, and a
 * CA file changed on disk must be read again. */
Test(sync_https, ca_setting_does_not_outlive_its_store, .timeout = 120)
{
	fx f;
	gitchat_store *sa = NULL, *sb = NULL;
	gitchat_sync_result *res = NULL;
	const gitchat_sync_remote_result *rr;
	const char *remotes[1];

	setup(&f, 1);
	remotes[0] = f.url;
	t_person_send(&f.a, "general", "in process");
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", t_server_ca_file(f.srv)));
	cr_assert_eq(gitchat_store_open(&sa, f.a.store), 0);
	cr_assert_eq(gitchat_store_open(&sb, f.b.store), 0);
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(gitchat_sync(&res, sa, remotes, 1, NULL), 0);
		rr = gitchat_sync_result_get(res, 0);
		cr_assert_eq(rr->failed, 0, "round %d: %s", round, rr->error);
		gitchat_sync_result_free(res);
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, NULL), 0);
		rr = gitchat_sync_result_get(res, 0);
		cr_assert_eq(rr->failed, 1, "round %d: bob synced with alice's CA", round);
		cr_assert(t_contains(rr->error, "not trusted"), "%s", rr->error);
		cr_assert(t_contains(rr->error, "system's CA"), "%s", rr->error);
		gitchat_sync_result_free(res);
	}
	cr_assert_eq(t_ref_value(f.b.store, t_person_ref(&f.a, "general")), NULL);

	/* Bob's CA file, edited in place while the program runs: loaded again. */
	{
		char *file = t_path(f.dir, "bob-ca.pem"), *pem;
		size_t len;
		pem = t_keep(t_read_file(other_ca(&f), &len));
		t_write_file(file, pem, len);
		free(t_git_out(f.b.store, "config http.sslCAInfo '%s'", file));
		gitchat_store_free(sb);
		cr_assert_eq(gitchat_store_open(&sb, f.b.store), 0);
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, NULL), 0);
		rr = gitchat_sync_result_get(res, 0);
		cr_assert_eq(rr->failed, 1, "trusted by the wrong CA");
		cr_assert(t_contains(rr->error, file), "%s", rr->error);
		gitchat_sync_result_free(res);
		pem = t_keep(t_read_file(t_server_ca_file(f.srv), &len));
		t_write_file(file, pem, len);
		cr_assert_eq(gitchat_sync(&res, sb, remotes, 1, NULL), 0);
		rr = gitchat_sync_result_get(res, 0);
		cr_assert_eq(rr->failed, 0, "the edited CA file was not loaded again: %s", rr->error);
		gitchat_sync_result_free(res);
	}
	cr_assert_neq(t_ref_value(f.b.store, t_person_ref(&f.a, "general")), NULL);
	gitchat_store_free(sa);
	gitchat_store_free(sb);
	teardown(&f);
}

/* The CA settings and the sslVerify refusal follow the URL that is really
 * used: git's url.<base>.insteadOf turns "tls:team.git" into https. */
Test(sync_https, settings_apply_to_the_url_after_insteadof, .timeout = 120)
{
	fx f;
	char *base, *id;
	t_run r;

	setup(&f, 0);
	base = t_fmt("%s", f.url);
	base[strlen(base) - strlen("team.git")] = '\0';
	free(t_git_out(f.a.store, "config 'url.%s.insteadOf' tls:", base));
	free(t_git_out(f.a.store, "config http.sslCAInfo '%s'", t_server_ca_file(f.srv)));
	id = t_person_send(&f.a, "general", "through an insteadOf");
	r = t_person_sync(&f.a, "tls:team.git", NULL);
	cr_assert_eq(r.status, 0, "exit %d: %s%s", r.status, r.out, r.err);
	cr_assert(t_contains(r.out, "1 log pushed"), "%s", r.out);
	t_run_free(&r);
	cr_assert(t_contains(t_refs(f.repo, "refs/chat"), id));

	free(t_git_out(f.a.store, "config http.sslVerify false"));
	r = t_person_sync(&f.a, "tls:team.git", NULL);
	cr_assert_eq(r.status, 1, "exit %d: %s%s", r.status, r.out, r.err);
	cr_assert(t_contains(r.err, "does not turn off certificate checks"), "%s", r.err);
	t_run_free(&r);
	teardown(&f);
}
