/*
 * ssh (issue 3, item 6): host keys are checked against known_hosts as ssh
 * does. An unknown host key is refused with a clear error (which says how
 * to accept it) unless it is accepted as ssh does, in ~/.ssh/known_hosts
 * (plain or hashed entries); a changed or revoked key is always refused,
 * even by a caller that accepts unknown keys. Credentials: the ssh-agent
 * first, then key files.
 */
#include <signal.h>
#include <unistd.h>
#include "testsync.h"
#include "servers.h"

typedef struct {
	t_server *ssh;
	char *root, *url, *repo, *known_hosts, *fp, *dir;
	t_person a;
} fixture;

static void setup(fixture *f)
{
	t_run r;
	char *pub;

	unsetenv("SSH_AUTH_SOCK");
	f->dir = t_scratch_copy();
	f->root = t_path(f->dir, "srv");
	t_mkdir(f->root);
	f->ssh = t_server_start(T_SERVER_SSH, f->root);
	f->repo = t_keep(t_server_new_repo(f->ssh, "room.git"));
	f->url = t_keep(t_server_url(f->ssh, "room.git"));
	f->known_hosts = t_fmt("%s/.ssh/known_hosts", getenv("HOME"));
	t_mkdir(t_fmt("%s/.ssh", getenv("HOME")));
	unlink(f->known_hosts);
	pub = t_path(f->dir, "host.pub");
	t_write_file(pub, t_server_host_pubkey(f->ssh), strlen(t_server_host_pubkey(f->ssh)));
	r = t_sh("ssh-keygen -lf '%s' | cut -d' ' -f2", pub);
	cr_assert_eq(r.status, 0, "%s", r.err);
	f->fp = t_keep(strndup(r.out, strcspn(r.out, "\n")));
	t_run_free(&r);
	t_person_init(&f->a, f->dir, "Alice");
	free(t_git_out(f->a.store, "config chat.sshKey '%s'", t_server_ssh_client_key(f->ssh)));
	t_person_send(&f->a, "general", "over ssh");
}

static char *lookup_name(const fixture *f)
{
	return t_fmt("[127.0.0.1]:%d", t_server_port(f->ssh));
}

static void assert_untouched(const fixture *f)
{
	cr_assert_str_eq(t_refs(f->repo, "refs/chat"), "", "something was pushed");
	cr_assert_str_eq(t_refs(f->a.store, "refs/chat-quarantine"), "");
}

Test(sync_ssh, unknown_host_refused_until_accepted_as_ssh_does)
{
	fixture f;
	t_run r;

	setup(&f);
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(t_contains(r.err, "is not known"), "%s", r.err);
	cr_assert(t_contains(r.err, lookup_name(&f)), "names the host: %s", r.err);
	cr_assert(t_contains(r.err, f.fp), "shows the fingerprint %s: %s", f.fp, r.err);
	cr_assert(t_contains(r.err, "ssh-keyscan"), "says how to accept: %s", r.err);
	t_run_free(&r);
	assert_untouched(&f);

	/* accept it the way the message says */
	r = t_sh("ssh-keyscan -p %d 127.0.0.1 2>/dev/null >> '%s'", t_server_port(f.ssh),
	         f.known_hosts);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	t_person_sync_ok(&f.a, f.url);
	cr_assert_str_eq(t_refs(f.repo, "refs/chat"), t_refs(f.a.store, "refs/chat"));

	/* hashed entries (HashKnownHosts) are read too */
	r = t_sh("ssh-keygen -q -H -f '%s' && ! grep -q 127.0.0.1 '%s'", f.known_hosts,
	         f.known_hosts);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	t_person_send(&f.a, "general", "after hashing");
	t_person_sync_ok(&f.a, f.url);
	cr_assert_str_eq(t_refs(f.repo, "refs/chat"), t_refs(f.a.store, "refs/chat"));
	t_server_stop(f.ssh);
}

Test(sync_ssh, changed_or_revoked_host_key_always_refused)
{
	fixture f;
	t_run r;
	char *other, *line, *lines;

	setup(&f);
	other = t_path(f.dir, "impostor");
	r = t_sh("ssh-keygen -q -t ed25519 -N '' -f '%s'", other);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	/* known_hosts says the host has another key: an attack, or a reinstall */
	r = t_sh("printf '# first line\\n%s ' > '%s' && cut -d' ' -f1,2 '%s.pub' >> '%s'",
	         lookup_name(&f), f.known_hosts, other, f.known_hosts);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "has CHANGED"), "%s", r.err);
	line = t_fmt("%s:2", f.known_hosts);
	cr_assert(t_contains(r.err, line), "names the known_hosts line: %s", r.err);
	cr_assert(t_contains(r.err, "ssh-keygen -R"), "%s", r.err);
	t_run_free(&r);
	assert_untouched(&f);

	/* hashed, the same */
	r = t_sh("ssh-keygen -q -H -f '%s'", f.known_hosts);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "has CHANGED"), "%s", r.err);
	t_run_free(&r);

	/* the right key marked @revoked: refused even next to a good entry */
	lines = t_fmt("%s %s\n@revoked * %s\n", lookup_name(&f),
	                         t_server_host_pubkey(f.ssh), t_server_host_pubkey(f.ssh));
	t_write_file(f.known_hosts, lines, strlen(lines));
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(t_contains(r.err, "@revoked"), "%s", r.err);
	t_run_free(&r);
	assert_untouched(&f);

	/* and the good entry alone works */
	lines = t_fmt("%s %s\n", lookup_name(&f), t_server_host_pubkey(f.ssh));
	t_write_file(f.known_hosts, lines, strlen(lines));
	t_person_sync_ok(&f.a, f.url);
	t_server_stop(f.ssh);
}

/* Through the library: a caller may accept an unknown key (as ssh's "yes"
 * would), never a changed one. */
typedef struct {
	int asked;
	char fp[80];
	int status;
} hostkey_answer;

static int accept_unknown(const gitchat_sync_hostkey *hk, void *payload)
{
	hostkey_answer *a = payload;
	a->asked++;
	a->status = hk->status;
	snprintf(a->fp, sizeof(a->fp), "%s", hk->fingerprint);
	return 1;
}

Test(sync_ssh, library_hostkey_callback)
{
	fixture f;
	gitchat_store *store = NULL;
	gitchat_sync_result *res = NULL;
	gitchat_sync_options o = GITCHAT_SYNC_OPTIONS_INIT;
	hostkey_answer ans = { 0 };
	const char *remotes[1];
	char *other, *lines;
	t_run r;

	setup(&f);
	remotes[0] = f.url;
	o.hostkey_cb = accept_unknown;
	o.payload = &ans;
	cr_assert_eq(gitchat_store_open(&store, f.a.store), 0);
	cr_assert_eq(gitchat_sync(&res, store, remotes, 1, &o), 0);
	cr_assert_eq(gitchat_sync_result_problems(res), 0, "%s",
	             gitchat_sync_result_get(res, 0)->error);
	cr_assert_eq(ans.asked, 2, "asked once per connection (fetch, push): %d", ans.asked);
	cr_assert_eq(ans.status, GITCHAT_HOSTKEY_UNKNOWN);
	cr_assert_str_eq(ans.fp, f.fp);
	cr_assert_eq(gitchat_sync_result_get(res, 0)->pushed, 1);
	gitchat_sync_result_free(res);
	res = NULL;

	other = t_path(f.dir, "impostor");
	r = t_sh("ssh-keygen -q -t ed25519 -N '' -f '%s'", other);
	cr_assert_eq(r.status, 0);
	t_run_free(&r);
	r = t_sh("cut -d' ' -f1,2 '%s.pub'", other);
	lines = t_fmt("%s %s", lookup_name(&f), r.out);
	t_run_free(&r);
	t_write_file(f.known_hosts, lines, strlen(lines));
	ans.asked = 0;
	cr_assert_eq(gitchat_sync(&res, store, remotes, 1, &o), 0);
	cr_assert_eq(gitchat_sync_result_get(res, 0)->failed, 1);
	cr_assert(t_contains(gitchat_sync_result_get(res, 0)->error, "CHANGED"), "%s",
	          gitchat_sync_result_get(res, 0)->error);
	cr_assert_eq(ans.asked, 0, "a changed key must not even be offered");
	gitchat_sync_result_free(res);
	gitchat_store_free(store);
	t_server_stop(f.ssh);
}

Test(sync_ssh, agent_first_then_key_files)
{
	fixture f;
	char *sock, *pidline, *env_sock, *wrong;
	pid_t agent;
	t_run r;

	setup(&f);
	r = t_sh("ssh-keyscan -p %d 127.0.0.1 2>/dev/null >> '%s'", t_server_port(f.ssh),
	         f.known_hosts);
	t_run_free(&r);
	free(t_git_out(f.a.store, "config --unset chat.sshKey"));
	sock = t_path(f.dir, "agent.sock");
	r = t_sh("ssh-agent -a '%s' -s", sock);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pidline = strstr(r.out, "SSH_AGENT_PID=");
	cr_assert(pidline);
	agent = (pid_t)atol(pidline + strlen("SSH_AGENT_PID="));
	t_run_free(&r);
	cr_assert(agent > 0);
	r = t_sh("SSH_AUTH_SOCK='%s' ssh-add -q '%s'", sock, t_server_ssh_client_key(f.ssh));
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);

	/* no key file anywhere: the agent's key is used */
	env_sock = t_fmt("%s", sock);
	setenv("SSH_AUTH_SOCK", env_sock, 1);
	t_person_sync_ok(&f.a, f.url);
	cr_assert_str_eq(t_refs(f.repo, "refs/chat"), t_refs(f.a.store, "refs/chat"));

	/* an agent with only a wrong key: then the key files are tried */
	r = t_sh("SSH_AUTH_SOCK='%s' ssh-add -q -D", sock);
	t_run_free(&r);
	wrong = t_path(f.dir, "wrong");
	r = t_sh("ssh-keygen -q -t ed25519 -N '' -f '%s' && SSH_AUTH_SOCK='%s' ssh-add -q '%s'",
	         wrong, sock, wrong);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	t_person_send(&f.a, "general", "second");
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1, "only a wrong key: %s", r.err);
	cr_assert(t_contains(r.err, "the ssh-agent"), "lists what was tried: %s", r.err);
	t_run_free(&r);
	free(t_git_out(f.a.store, "config chat.sshKey '%s'", t_server_ssh_client_key(f.ssh)));
	t_person_sync_ok(&f.a, f.url);
	cr_assert_str_eq(t_refs(f.repo, "refs/chat"), t_refs(f.a.store, "refs/chat"));
	unsetenv("SSH_AUTH_SOCK");
	kill(agent, SIGTERM);
	t_server_stop(f.ssh);
}

/* One text per key (issue 9): libsodium 1.0.18 reads 0xAF as '/' in base64,
 * ssh does not. A hashed known_hosts name whose salt has 0xAF for a '/'
 * names no host: the host stays unknown, as it is to ssh. */
Test(sync_ssh, high_bit_byte_in_known_hosts_is_not_base64)
{
	fixture f;
	const char *salt = "//////////////////////////8=";   /* twenty 0xff bytes */
	char *hash, *good, *bad;
	t_run r;

	setup(&f);
	r = t_sh("printf '%%s' '%s' | openssl dgst -sha1 -binary -mac HMAC "
	         "-macopt hexkey:%s | base64", lookup_name(&f),
	         "ffffffffffffffffffffffffffffffffffffffff");
	cr_assert_eq(r.status, 0, "%s", r.err);
	hash = t_keep(strndup(r.out, strcspn(r.out, "\n")));
	t_run_free(&r);
	good = t_fmt("|1|%s|%s %s\n", salt, hash, t_server_host_pubkey(f.ssh));
	bad = t_fmt("%s", good);
	bad[3 + 5] = '\xaf';

	t_write_file(f.known_hosts, bad, strlen(bad));
	r = t_person_sync(&f.a, f.url, NULL);
	cr_assert_eq(r.status, 1, "the host was taken as known:\n%s", r.err);
	cr_assert(t_contains(r.err, "is not known"), "%s", r.err);
	t_run_free(&r);
	assert_untouched(&f);

	/* The same line with the '/' is the host. */
	t_write_file(f.known_hosts, good, strlen(good));
	t_person_sync_ok(&f.a, f.url);
	t_server_stop(f.ssh);
}
