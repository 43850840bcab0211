/*
 * The CA bundle is read when a connection over http(s) is about to be
 * made, and only then (src/cli/netlibs.c): `log` and friends, and syncs
 * over a path or git://, skip the ~5-8 ms libgit2 would spend parsing it;
 * a sync over https still gets every certificate.
 * Watched with strace: which files the real binary opens.
 */
#include <unistd.h>
#include "testchat.h"

/* The bundle Debian's libgit2 loads at init (GIT_DEFAULT_CERT_LOCATION). */
#define BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* What these tests watch exists only with a libgit2 built on mbedTLS
 * (src/cli/netlibs.c): on OpenSSL nothing is deferred, `log` never opens
 * the bundle anyway, and a pass would check nothing. So they fail, with
 * the reason, rather than pass or skip on such a build. */
static void need_strace_bundle_and_mbedtls(void)
{
	t_run r = t_sh("command -v strace");
	int have = r.status == 0;

	t_run_free(&r);
	cr_assert(have, "strace is missing: .ci/install-deps installs it");
	cr_assert(access(BUNDLE, R_OK) == 0,
	          "no CA bundle at " BUNDLE ": install ca-certificates (.ci/install-deps does)");
	r = t_sh("ldd '%s'", GITCHAT_BIN);
	cr_assert_eq(r.status, 0, "ldd %s: %s", GITCHAT_BIN, r.err);
	cr_assert(strstr(r.out, "libmbedtls") != NULL,
	          "git-chat's libgit2 is not built on mbedTLS, so there is no CA bundle "
	          "deferral to check (src/cli/netlibs.c); libraries:\n%s", r.out);
	t_run_free(&r);
}

/* How many times `git chat ARGS` (run in STORE) opened the CA bundle. */
static int bundle_opens(const char *store, const char *args, int expect_status)
{
	char *trace = t_path(t_scratch(), "trace");
	/* LeakSanitizer cannot run under ptrace; every other test checks leaks. */
	t_run r = t_sh("GIT_DIR='%s' ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
	               "strace -f -qq -e trace=open,openat -o '%s' '%s' %s",
	               store, trace, GITCHAT_BIN, args);
	char *text, *p;
	int n = 0;

	cr_assert_eq(r.status, expect_status, "git chat %s: %s", args, r.err);
	t_run_free(&r);
	text = t_keep(t_read_file(trace, NULL));
	for (p = text; (p = strstr(p, "\"" BUNDLE "\"")); p++)
		n++;
	return n;
}

Test(netlibs, reading_commands_never_parse_the_bundle)
{
	const char *dir;
	char *store, *key;

	need_strace_bundle_and_mbedtls();
	dir = t_scratch();
	store = t_store(dir, "a.git");
	key = t_keygen(dir, "alice", 1);
	t_set_identity("Alice", "alice@example.org");
	t_send(store, key, "general", "hello");

	cr_assert_eq(bundle_opens(store, "log", 0), 0);
	cr_assert_eq(bundle_opens(store, "log -n 1 --format=json", 0), 0);
	cr_assert_eq(bundle_opens(store, "rooms", 0), 0);
	cr_assert_eq(bundle_opens(store, "verify", 0), 0);
	cr_assert_eq(bundle_opens(store, t_fmt("send --key '%s' -m again", key), 0), 0);
}

Test(netlibs, sync_parses_the_bundle_only_to_connect_over_https)
{
	const char *dir;
	char *store, *key, *remote;

	need_strace_bundle_and_mbedtls();
	dir = t_scratch();
	store = t_store(dir, "a.git");
	remote = t_path(dir, "remote.git");
	key = t_keygen(dir, "alice", 1);
	t_set_identity("Alice", "alice@example.org");
	t_send(store, key, "general", "hello");

	/* A local path, and git:// (nobody listens on port 1: the connection
	 * is tried, and fails): no TLS, no bundle. */
	cr_assert_eq(bundle_opens(store, t_fmt("sync '%s'", remote), 0), 0);
	cr_assert_eq(bundle_opens(store, t_fmt("sync '%s'", remote), 0), 0);
	cr_assert_eq(bundle_opens(store, "sync git://127.0.0.1:1/room.git", 1), 0);
	/* And the message really went: the deferral changed nothing else. */
	cr_assert_str_eq(t_git(remote, "for-each-ref --format='%%(refname)' refs/chat"),
	                 t_ref("general", key));
	/* https (and http, which may be redirected to it): the certificates are
	 * there before the connection is. */
	cr_assert_geq(bundle_opens(store, "sync https://127.0.0.1:1/room.git", 1), 1);
	cr_assert_geq(bundle_opens(store, "sync http://127.0.0.1:1/room.git", 1), 1);
}

/* A CA bundle that cannot be parsed costs https remotes only, as it did
 * when libgit2 loaded it at init: a path sync still works, and says
 * nothing of it; a sync over https is warned. The bundle is replaced in a
 * private mount namespace. */
Test(netlibs, a_broken_bundle_only_warns)
{
	const char *dir;
	char *store, *key, *remote, *empty;
	t_run r;

	need_strace_bundle_and_mbedtls();
	dir = t_scratch();
	store = t_store(dir, "a.git");
	remote = t_path(dir, "remote.git");
	empty = t_path(dir, "empty.crt");
	t_write_file(empty, "not a certificate\n", 18);
	key = t_keygen(dir, "alice", 1);
	t_set_identity("Alice", "alice@example.org");
	t_send(store, key, "general", "hello");

	r = t_sh("unshare -m true");
	if (r.status != 0) {
		t_run_free(&r);
		cr_skip_test("cannot make a mount namespace here (not root?)");
	}
	t_run_free(&r);
	r = t_sh("unshare -m sh -c \"mount --bind '%s' " BUNDLE " && GIT_DIR='%s' '%s' sync '%s'\"",
	         empty, store, GITCHAT_BIN, remote);
	cr_assert_eq(r.status, 0, "a path sync failed over the CA bundle: %s", r.err);
	cr_assert(!strstr(r.err, "CA certificates"), "a path sync read the bundle: %s", r.err);
	t_run_free(&r);
	r = t_sh("unshare -m sh -c \"mount --bind '%s' " BUNDLE " && GIT_DIR='%s' '%s' sync "
	         "https://127.0.0.1:1/room.git\"", empty, store, GITCHAT_BIN);
	cr_assert_neq(r.status, 0);
	t_assert_contains(r.err, "cannot load the CA certificates '" BUNDLE "'");
	t_assert_contains(r.err, "https remotes will not be trusted");
	t_run_free(&r);
	cr_assert_str_eq(t_git(remote, "for-each-ref --format='%%(refname)' refs/chat"),
	                 t_ref("general", key));
}
