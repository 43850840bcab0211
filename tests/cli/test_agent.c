/*
 * Signing through ssh-agent (issue 12) with the real ssh-agent, ssh-add
 * and ssh-keygen: a passphrase-protected ~/.ssh/id_ed25519 named by git's
 * user.signingKey signs exactly as the unprotected file would, and every
 * way the agent can fail is a clear error that writes nothing.
 *
 * Each test starts its own agent (`ssh-agent -D -a SOCK`, a child that
 * dies with the test process) and loads keys with ssh-add through
 * SSH_ASKPASS, as a desktop session would, under `setsid -w` (no terminal).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define PASSPHRASE "correct horse battery"
#define DATE "@1764150000 +0000"

typedef struct {
	pid_t pid;
	char *sock;
} agent;

/* Every child this test started (agents, relays), stopped by the suite's
 * fini even when an assertion ends the test early: ssh-agent is setgid,
 * so PR_SET_PDEATHSIG does not survive its exec. */
static pid_t children[8];
static size_t nchildren;

static void child_started(pid_t pid)
{
	cr_assert(nchildren < sizeof(children) / sizeof(*children));
	children[nchildren++] = pid;
}

static void child_stop(pid_t pid)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i] == pid) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			children[i] = 0;
		}
}

static void stop_all(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i] > 0)
			child_stop(children[i]);
	nchildren = 0;
}

TestSuite(agent, .fini = stop_all);

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A child ssh-agent on its own socket; `askpass` is what it runs to ask
 * for a confirmation (NULL: none). Waits, bounded, until it listens. */
static void agent_start(agent *a, const char *dir, const char *name, const char *askpass)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i, fd = -1;

	a->sock = t_path(dir, name);
	a->pid = fork();
	cr_assert(a->pid >= 0);
	if (a->pid == 0) {
		/* Not our output: and an inherited stdout or stderr would keep a
		 * reader of the test's output waiting. */
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		if (askpass) {
			setenv("SSH_ASKPASS", askpass, 1);
			setenv("SSH_ASKPASS_REQUIRE", "force", 1);
		}
		execlp("ssh-agent", "ssh-agent", "-D", "-a", a->sock, (char *)NULL);
		_exit(127);
	}
	child_started(a->pid);
	for (i = 0; i < 1000 && (fd = sock_connect(a->sock)) < 0; i++)
		nanosleep(&tick, NULL);
	cr_assert(fd >= 0, "ssh-agent did not listen on %s", a->sock);
	close(fd);
}

static void agent_stop(agent *a)
{
	child_stop(a->pid);
	a->pid = 0;
}

/* ssh-add KEY [flags] with the passphrase given by SSH_ASKPASS, no terminal. */
static void agent_add(const agent *a, const char *dir, const char *key, const char *flags)
{
	char *askpass = t_path(dir, "askpass.sh");
	t_run r;

	t_write_file(askpass, "#!/bin/sh\necho '" PASSPHRASE "'\n", strlen("#!/bin/sh\necho '" PASSPHRASE "'\n"));
	cr_assert_eq(chmod(askpass, 0700), 0);
	r = t_sh("SSH_AUTH_SOCK='%s' SSH_ASKPASS='%s' SSH_ASKPASS_REQUIRE=force DISPLAY=:0 "
	         "setsid -w ssh-add -q %s '%s' </dev/null", a->sock, askpass, flags, key);
	cr_assert_eq(r.status, 0, "ssh-add %s: %s", key, r.err);
	t_run_free(&r);
	free(askpass);
}

/* git-chat in `store` with fixed dates, the agent at `sock` (NULL: none). */
static t_run chat_env(const char *store, const char *sock, const char *const *args)
{
	const char *argv[16], *env[8];
	size_t i = 0, n = 0;

	argv[i++] = GITCHAT_BIN;
	for (; *args && i < 15; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	env[n++] = t_fmt("GIT_DIR=%s", store);
	env[n++] = "GIT_AUTHOR_DATE=" DATE;
	env[n++] = "GIT_COMMITTER_DATE=" DATE;
	if (sock)
		env[n++] = t_fmt("SSH_AUTH_SOCK=%s", sock);
	env[n] = NULL;
	return t_run_argv(NULL, argv, NULL, 0, env);
}

static char *send_ok(const char *store, const char *sock, const char *const *args)
{
	t_run r = chat_env(store, sock, args);
	char *id;

	cr_assert_eq(r.status, 0, "send: %s", r.err);
	cr_assert_eq(strlen(r.out), 41, "%s", r.out);
	id = t_strndup(r.out, 40);
	t_run_free(&r);
	return id;
}

/* A send that must fail with `want` and leave the store as it was. */
static void send_fails(const char *store, const char *sock, const char *key, const char *want)
{
	const char *with_key[] = { "send", "--key", key, "-m", "never", NULL };
	const char *without[] = { "send", "-m", "never", NULL };
	char *before = t_snapshot(store);
	t_run r = chat_env(store, sock, key ? with_key : without);

	cr_assert_eq(r.status, 128, "send: %d %s", r.status, r.err);
	t_assert_contains(r.err, want);
	cr_assert_eq(t_count_lines(r.err), 1, "one line: %s", r.err);
	cr_assert_str_eq(r.out, "");
	t_run_free(&r);
	cr_assert_str_eq(t_snapshot(store), before, "a failed send changed the store");
	t_run_free(&r);
}

/* ~/.ssh/id_ed25519 with a passphrase, as ssh-keygen makes it. */
static char *protected_key(void)
{
	char *ssh = t_fmt("%s/.ssh", getenv("HOME")), *key = t_fmt("%s/id_ed25519", ssh);
	t_run r;

	t_mkdir(ssh);
	r = t_sh("ssh-keygen -q -t ed25519 -N '" PASSPHRASE "' -C me@laptop -f '%s'", key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	return key;
}

static void git_global(const char *name, const char *value)
{
	t_run r = t_sh("git config --global '%s' '%s'", name, value);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(agent, a_protected_key_named_by_user_signingkey_signs_like_the_file)
{
	const char *dir = t_scratch();
	char *key = protected_key(), *store = t_store(dir, "a"), *plain_store = t_store(dir, "b");
	char *plain = t_path(dir, "plain"), *id, *plain_id, *signers;
	const char *send[] = { "send", "-m", "hello from the agent", NULL };
	agent a;
	t_run r;

	git_global("gpg.format", "ssh");
	git_global("user.signingKey", "~/.ssh/id_ed25519");
	agent_start(&a, dir, "agent.sock", NULL);
	agent_add(&a, dir, key, "");

	/* No git-chat config at all: git's own signing key, through the agent. */
	id = send_ok(store, a.sock, send);
	signers = t_path(dir, "signers");
	r = t_sh("GIT_DIR='%s' '%s' allowed-signers > '%s' && git --git-dir='%s' -c "
	         "gpg.ssh.allowedSignersFile='%s' verify-commit %s", store, GITCHAT_BIN, signers,
	         store, signers, id);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "Good \"git\" signature");
	t_run_free(&r);

	/* The same message signed with the unprotected file: the same bytes. */
	r = t_sh("cp '%s' '%s' && ssh-keygen -q -p -P '" PASSPHRASE "' -N '' -f '%s'", key, plain, plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	const char *send_plain[] = { "send", "--key", plain, "-m", "hello from the agent", NULL };
	plain_id = send_ok(plain_store, NULL, send_plain);
	cr_assert_str_eq(id, plain_id, "the agent's commit differs from the file's");
	cr_assert_str_eq(t_git(store, "cat-file commit %s", id),
	                 t_git(plain_store, "cat-file commit %s", plain_id));

	/* whoami says where the key came from and what signs. */
	const char *whoami[] = { "whoami", NULL };
	r = chat_env(store, a.sock, whoami);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, t_read_file(t_fmt("%s.pub", key), NULL), 80), 0, "%s", r.out);
	t_assert_contains(r.err, t_fmt("key: %s (from git config user.signingKey)", key));
	t_assert_contains(r.err, "signs: through ssh-agent, which holds the key (the file is "
	                  "protected by a passphrase)");
	t_run_free(&r);
	agent_stop(&a);
}

/* user.signingKey as git allows it: a .pub path with "~/", a key:: literal,
 * a bare "ssh-ed25519 ..." line; and chat.key still wins over it. */
Test(agent, signing_key_forms_and_the_lookup_order)
{
	const char *dir = t_scratch();
	char *key = protected_key(), *store = t_store(dir, "a");
	char *pub = t_read_file(t_fmt("%s.pub", key), NULL), *other = t_keygen(dir, "other", 1);
	const char *whoami[] = { "whoami", NULL };
	agent a;
	t_run r;

	pub[strcspn(pub, "\n")] = '\0';
	git_global("gpg.format", "ssh");
	agent_start(&a, dir, "agent.sock", NULL);
	agent_add(&a, dir, key, "");
	const char *forms[] = { "~/.ssh/id_ed25519.pub", t_fmt("key::%s", pub), pub };
	const char *shown[] = { t_fmt("key: %s.pub (from git config user.signingKey)", key),
	                        "key: a key:: literal (from git config user.signingKey)",
	                        "key: a key:: literal (from git config user.signingKey)" };
	for (size_t i = 0; i < 3; i++) {
		git_global("user.signingKey", forms[i]);
		const char *send[] = { "send", "-m", t_fmt("form %zu", i), NULL };
		free(send_ok(store, a.sock, send));
		r = chat_env(store, a.sock, whoami);
		cr_assert_eq(r.status, 0, "%s", r.err);
		t_assert_contains(r.err, shown[i]);
		t_assert_contains(r.err, "signs: through ssh-agent, which holds the key");
		t_run_free(&r);
	}
	/* One log: every form named the same key. */
	cr_assert_eq(t_count(t_git(store, "for-each-ref refs/chat"), "refs/chat/"), 1);

	/* gpg.format other than ssh: user.signingKey is a GPG key, not ours. */
	git_global("gpg.format", "openpgp");
	r = chat_env(store, a.sock, whoami);
	cr_assert_eq(r.status, 128);
	t_assert_contains(r.err, t_fmt("no key at '%s/git-chat/id_ed25519'", getenv("XDG_CONFIG_HOME")));
	t_run_free(&r);
	/* chat.key comes before user.signingKey. */
	git_global("gpg.format", "ssh");
	git_global("chat.key", other);
	r = chat_env(store, a.sock, whoami);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, t_fmt("key: %s (from git config chat.key)", other));
	t_assert_contains(r.err, "signs: with the key file");
	t_run_free(&r);
	agent_stop(&a);
}

/* A relay in front of the real agent that passes on the first `forward`
 * connections and then accepts and hangs up: the agent dying between the
 * key check and the signature, every time, at the same place. */
static pid_t relay_start(const char *path, const char *agent_sock, int forward)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), n;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	          listen(lfd, 8) == 0, "relay: %s", strerror(errno));
	if ((pid = fork()) != 0) {
		close(lfd);
		child_started(pid);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (n = 0;; n++) {
		int c = accept(lfd, NULL, NULL), up;
		if (c < 0)
			_exit(1);
		if (n < forward && (up = sock_connect(agent_sock)) >= 0) {
			struct pollfd p[2] = { { c, POLLIN, 0 }, { up, POLLIN, 0 } };
			char buf[4096];
			for (;;) {
				ssize_t got;
				if (poll(p, 2, -1) < 0)
					break;
				if (p[0].revents) {
					if ((got = read(c, buf, sizeof(buf))) <= 0 || write(up, buf, (size_t)got) != got)
						break;
				}
				if (p[1].revents) {
					if ((got = read(up, buf, sizeof(buf))) <= 0 || write(c, buf, (size_t)got) != got)
						break;
				}
			}
			close(up);
		}
		close(c);
	}
}

Test(agent, every_failure_is_a_clear_error_and_writes_nothing)
{
	const char *dir = t_scratch();
	char *key = protected_key(), *store = t_store(dir, "a"), *other = t_path(dir, "other");
	char *relay_sock = t_path(dir, "relay.sock"), *hangup_sock = t_path(dir, "hangup.sock");
	agent a, confirm;
	pid_t relay, hangup;
	t_run r;

	git_global("gpg.format", "ssh");
	git_global("user.signingKey", "~/.ssh/id_ed25519");

	/* No agent at all. */
	send_fails(store, NULL, NULL, "is protected by a passphrase, so it signs through "
	           "ssh-agent, but no agent is running (SSH_AUTH_SOCK is not set)");
	send_fails(store, NULL, NULL, t_fmt("ssh-add %s", key));
	/* SSH_AUTH_SOCK names a socket nobody listens on. */
	send_fails(store, t_path(dir, "gone.sock"), NULL, "cannot reach ssh-agent at");
	/* An agent without the key. */
	agent_start(&a, dir, "agent.sock", NULL);
	send_fails(store, a.sock, NULL, t_fmt("is not loaded in ssh-agent ('%s'); load it with: "
	                                       "ssh-add %s", a.sock, key));
	/* The agent hangs up before it answers: at once, and between the
	 * check that it holds the key and the signature (connection 1, the
	 * command's check, passes; the second is the signature). */
	agent_add(&a, dir, key, "");
	hangup = relay_start(hangup_sock, a.sock, 0);
	send_fails(store, hangup_sock, NULL, "hung up before it answered");
	relay = relay_start(relay_sock, a.sock, 1);
	send_fails(store, relay_sock, NULL, "hung up before it answered");
	child_stop(relay);
	child_stop(hangup);
	/* The agent killed: its socket is gone. */
	agent_stop(&a);
	send_fails(store, a.sock, NULL, "cannot reach ssh-agent");

	/* A key added with ssh-add -c, whose confirmation fails: refused. */
	r = t_sh("ssh-keygen -q -t ed25519 -N '' -f '%s'", other);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	agent_start(&confirm, dir, "confirm.sock", "/bin/false");
	agent_add(&confirm, dir, other, "-c");
	send_fails(store, confirm.sock, t_fmt("%s.pub", other), "ssh-agent refused to sign");
	send_fails(store, confirm.sock, t_fmt("%s.pub", other), "ssh-add -c");
	agent_stop(&confirm);

	/* Not an ed25519 key. */
	r = t_sh("ssh-keygen -q -t ecdsa -N '' -f '%s/ec'", dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	git_global("user.signingKey", t_fmt("%s/ec.pub", dir));
	send_fails(store, NULL, NULL, "is an ecdsa-sha2-nistp256 key; git-chat identities are "
	           "ed25519 keys");
}

/* What reading a private room needs (the X25519 half): the protected file
 * decrypted, the passphrase asked through SSH_ASKPASS as ssh asks it. */
Test(agent, unlock_asks_the_passphrase_as_ssh_does)
{
	const char *dir = t_scratch();
	char *key = protected_key(), *pub = t_read_file(t_fmt("%s.pub", key), NULL);
	char *good = t_path(dir, "good.sh"), *bad = t_path(dir, "bad.sh"), *no = t_path(dir, "no.sh");
	t_run r;

	pub[strcspn(pub, "\n")] = '\0';
	t_write_file(good, "#!/bin/sh\necho '" PASSPHRASE "'\n", strlen("#!/bin/sh\necho '" PASSPHRASE "'\n"));
	t_write_file(bad, "#!/bin/sh\necho wrong\n", strlen("#!/bin/sh\necho wrong\n"));
	t_write_file(no, "#!/bin/sh\nexit 1\n", strlen("#!/bin/sh\nexit 1\n"));
	cr_assert(chmod(good, 0700) == 0 && chmod(bad, 0700) == 0 && chmod(no, 0700) == 0);
#define WHOAMI_UNLOCK(askpass, k) \
	t_sh("SSH_ASKPASS='%s' SSH_ASKPASS_REQUIRE=force setsid -w '%s' whoami --unlock --key '%s' " \
	     "</dev/null", askpass, GITCHAT_BIN, k)
	r = WHOAMI_UNLOCK(good, key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.err, "unlocked: the key file decrypts");
	t_run_free(&r);
	r = WHOAMI_UNLOCK(bad, key);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, t_fmt("wrong passphrase for key '%s'", key));
	t_run_free(&r);
	r = WHOAMI_UNLOCK(no, key);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "no passphrase for key");
	t_run_free(&r);
	/* No terminal and no askpass: said, not waited for. */
	r = t_sh("SSH_ASKPASS_REQUIRE=never setsid -w '%s' whoami --unlock --key '%s' </dev/null",
	         GITCHAT_BIN, key);
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "no terminal to ask for the passphrase on");
	t_run_free(&r);
	/* A public key alone cannot decrypt: the way out is named. */
	r = WHOAMI_UNLOCK(good, t_fmt("key::%s", pub));
	cr_assert_eq(r.status, 128, "%s", r.err);
	t_assert_contains(r.err, "named by its public half only");
	t_assert_contains(r.err, "a device key without a passphrase");
	t_run_free(&r);
#undef WHOAMI_UNLOCK
}

/* Issue 12: a passphrase-protected key in the agent makes and writes a
 * private room (signing through the agent), and reads it after its file is
 * unlocked with the passphrase SSH_ASKPASS gives; without the passphrase,
 * log says why and shows no message. */
Test(agent, a_protected_key_reads_a_private_room_after_unlocking)
{
	const char *dir = t_scratch();
	char *key = protected_key(), *store = t_store(dir, "a"), *askpass = t_path(dir, "ask.sh");
	const char *script = "#!/bin/sh\necho '" PASSPHRASE "'\n";
	agent a;
	t_run r;

	t_write_file(askpass, script, strlen(script));
	cr_assert(chmod(askpass, 0700) == 0);
	git_global("gpg.format", "ssh");
	git_global("user.signingKey", "~/.ssh/id_ed25519");
	agent_start(&a, dir, "agent.sock", NULL);
	agent_add(&a, dir, key, "");
	const char *create[] = { "room", "create", "--private", NULL };
	r = chat_env(store, a.sock, create);
	cr_assert_eq(r.status, 0, "room create: %s", r.err);
	char *room = t_strndup(r.out, 25);
	t_run_free(&r);
	const char *send[] = { "send", "-r", room, "-m", "sealed through the agent", NULL };
	send_ok(store, a.sock, send);
#define LOG(ask) \
	t_sh("GIT_DIR='%s' SSH_AUTH_SOCK='%s' SSH_ASKPASS='%s' SSH_ASKPASS_REQUIRE=%s setsid -w " \
	     "'%s' log -r %s --color=never </dev/null", store, a.sock, askpass, ask, GITCHAT_BIN, room)
	r = LOG("force");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "sealed through the agent");
	t_run_free(&r);
	r = LOG("never");
	cr_assert(!t_contains(r.out, "sealed through the agent"), "%s", r.out);
	t_assert_contains(r.err, "cannot read private rooms with");
	t_assert_contains(r.err, "no terminal to ask for the passphrase on");
	t_run_free(&r);
#undef LOG
	agent_stop(&a);
}
