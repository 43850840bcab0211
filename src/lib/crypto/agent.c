/*
 * The ssh-agent client. One connection per request: the agent is a local
 * socket, and a signature per message sent is cheap next to the rest.
 *
 * Every read is bounded (a reply of at most AGENT_REPLY_MAX bytes, as
 * OpenSSH's own client allows) and timed (poll), writes never raise
 * SIGPIPE (MSG_NOSIGNAL): an agent that dies mid-request is an error, not
 * the end of the process.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/agent.h"
#include "crypto/pubkey.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/error.h"

#define AGENT_REPLY_MAX (256 * 1024)
#define AGENT_LIST_TIMEOUT_MS 10000
/* A key added with `ssh-add -c` waits for the user's confirmation. */
#define AGENT_SIGN_TIMEOUT_MS 120000

#define SSH_AGENT_FAILURE 5
#define SSH_AGENTC_REQUEST_IDENTITIES 11
#define SSH_AGENT_IDENTITIES_ANSWER 12
#define SSH_AGENTC_SIGN_REQUEST 13
#define SSH_AGENT_SIGN_RESPONSE 14

typedef struct {
	int fd;
	const char *sock;
	long long deadline_ms;
	int timeout_ms;
} conn;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *ssh_add_hint(const char *hint)
{
	return hint && *hint ? hint : "KEYFILE";
}

int gitchat_agent_socket(char **out, const char *sock, const gitchat_pubkey *pk,
                         const char *hint, int encrypted)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];

	*out = NULL;
	if (!sock)
		sock = getenv("SSH_AUTH_SOCK");
	if (!sock || !*sock) {
		gitchat_pubkey_fingerprint(fp, pk);
		if (encrypted)
			return gitchat_error_set(GITCHAT_ENOTFOUND,
				"key '%s' is protected by a passphrase, so it signs through ssh-agent, "
				"but no agent is running (SSH_AUTH_SOCK is not set); start one and load "
				"the key: eval \"$(ssh-agent)\" && ssh-add %s", hint, hint);
		return gitchat_error_set(GITCHAT_ENOTFOUND,
			"key %s is a public key, so it signs through ssh-agent, but no agent is "
			"running (SSH_AUTH_SOCK is not set); start one and load the key: "
			"eval \"$(ssh-agent)\" && ssh-add %s", fp, ssh_add_hint(hint));
	}
	return (*out = strdup(sock)) ? 0 : gitchat_error_oom();
}

static int conn_open(conn *c, const char *sock, int timeout_ms)
{
	struct sockaddr_un sa;

	c->fd = -1;
	c->sock = sock;
	c->deadline_ms = now_ms() + timeout_ms;
	c->timeout_ms = timeout_ms;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return gitchat_error_set(GITCHAT_EINVALID,
			"the ssh-agent socket path '%s' (SSH_AUTH_SOCK) is too long", sock);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot make a socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(c->fd);
		c->fd = -1;
		return gitchat_error_set(GITCHAT_EIO,
			"cannot reach ssh-agent at '%s' (SSH_AUTH_SOCK): %s; is the agent still "
			"running? start one and load the key: eval \"$(ssh-agent)\" && ssh-add",
			sock, strerror(e));
	}
	return 0;
}

static void conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Waits until fd is ready for `events` or the request's deadline passes. */
static int conn_wait(conn *c, short events)
{
	struct pollfd p = { c->fd, events, 0 };
	long long left;
	int n;

	for (;;) {
		if ((left = c->deadline_ms - now_ms()) <= 0)
			return gitchat_error_set(GITCHAT_EIO,
				"ssh-agent at '%s' did not answer in %d seconds; is it waiting for a "
				"confirmation, or stuck? restart it and load the key again (ssh-add); "
				"nothing was written", c->sock, c->timeout_ms / 1000);
		n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return gitchat_error_set(GITCHAT_EIO, "waiting for ssh-agent: %s",
			                         strerror(errno));
	}
}

/* Whether the write or the read saw it first is a matter of timing: one
 * message for both. */
static int hung_up(const conn *c, int e)
{
	return gitchat_error_set(GITCHAT_EIO,
		"ssh-agent at '%s' hung up before it answered (%s); is it still running? "
		"nothing was written", c->sock, e ? strerror(e) : "end of file");
}

static int conn_write(conn *c, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len) {
		int error;
		if ((error = conn_wait(c, POLLOUT)) < 0)
			return error;
		n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return hung_up(c, n < 0 ? errno : EPIPE);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int conn_read(conn *c, unsigned char *p, size_t len)
{
	ssize_t n;

	while (len) {
		int error;
		if ((error = conn_wait(c, POLLIN)) < 0)
			return error;
		n = recv(c->fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return hung_up(c, n < 0 ? errno : 0);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends one message (type and body) and reads the reply into *out
 * (type first). */
static int request(gitchat_buf *out, const char *sock, int timeout_ms, unsigned char type,
                   const gitchat_buf *body)
{
	gitchat_buf msg = GITCHAT_BUF_INIT;
	unsigned char hdr[4];
	uint32_t len;
	conn c = { -1, sock, 0, 0 };
	int error;

	/* One write: the agent reads a whole message at once. */
	if ((error = gitchat_buf_put_u32(&msg, (uint32_t)(1 + body->size))) < 0 ||
	    (error = gitchat_buf_put(&msg, &type, 1)) < 0 ||
	    (error = gitchat_buf_put(&msg, body->ptr, body->size)) < 0 ||
	    (error = conn_open(&c, sock, timeout_ms)) < 0)
		goto done;
	if ((error = conn_write(&c, (const unsigned char *)msg.ptr, msg.size)) < 0 ||
	    (error = conn_read(&c, hdr, 4)) < 0)
		goto done;
	len = gitchat_be32(hdr);
	if (len == 0 || len > AGENT_REPLY_MAX) {
		error = gitchat_error_set(GITCHAT_EIO,
			"ssh-agent at '%s' sent a reply of %lu bytes (at most %d are allowed); is "
			"SSH_AUTH_SOCK really an ssh-agent?", sock, (unsigned long)len, AGENT_REPLY_MAX);
		goto done;
	}
	if ((error = gitchat_buf_grow(out, len)) < 0)
		goto done;
	if ((error = conn_read(&c, (unsigned char *)out->ptr, len)) < 0)
		goto done;
	out->size = len;
done:
	conn_close(&c);
	gitchat_buf_dispose(&msg);
	return error;
}

static int bad_reply(const char *sock)
{
	return gitchat_error_set(GITCHAT_EIO,
		"ssh-agent at '%s' sent a reply git-chat cannot read; is SSH_AUTH_SOCK really an "
		"ssh-agent?", sock);
}

int gitchat_agent_has(const char *sock, const gitchat_pubkey *pk)
{
	gitchat_buf body = GITCHAT_BUF_INIT, reply = GITCHAT_BUF_INIT;
	gitchat_reader r;
	const unsigned char *blob, *comment, *type;
	size_t bloblen, clen;
	uint32_t n, i;
	int error, found = 0;

	if ((error = request(&reply, sock, AGENT_LIST_TIMEOUT_MS, SSH_AGENTC_REQUEST_IDENTITIES,
	                     &body)) < 0)
		goto done;
	r.p = (const unsigned char *)reply.ptr;
	r.left = reply.size;
	if (gitchat_reader_bytes(&r, &type, 1) < 0 || type[0] != SSH_AGENT_IDENTITIES_ANSWER ||
	    gitchat_reader_u32(&r, &n) < 0) {
		error = bad_reply(sock);
		goto done;
	}
	for (i = 0; i < n; i++) {
		gitchat_pubkey k;
		if (gitchat_reader_string(&r, &blob, &bloblen) < 0 ||
		    gitchat_reader_string(&r, &comment, &clen) < 0) {
			error = bad_reply(sock);
			goto done;
		}
		/* Other key types and certificates are someone else's business. */
		if (gitchat_pubkey_parse_blob(&k, blob, bloblen) == 0 && !gitchat_pubkey_cmp(&k, pk))
			found = 1;
	}
	error = found;
done:
	gitchat_buf_dispose(&body);
	gitchat_buf_dispose(&reply);
	return error;
}

static int not_loaded(const char *sock, const gitchat_pubkey *pk, const char *hint)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];

	gitchat_pubkey_fingerprint(fp, pk);
	return gitchat_error_set(GITCHAT_ENOTFOUND,
		"key %s is not loaded in ssh-agent ('%s'); load it with: ssh-add %s",
		fp, sock, ssh_add_hint(hint));
}

int gitchat_agent_check(const char *sock, const gitchat_pubkey *pk, const char *hint)
{
	int error = gitchat_agent_has(sock, pk);

	return error == 1 ? 0 : error == 0 ? not_loaded(sock, pk, hint) : error;
}

int gitchat_agent_sign(unsigned char sig[64], const char *sock, const gitchat_pubkey *pk,
                       const char *hint, const void *data, size_t len)
{
	gitchat_buf body = GITCHAT_BUF_INIT, blob = GITCHAT_BUF_INIT, reply = GITCHAT_BUF_INIT;
	gitchat_reader r, s;
	const unsigned char *type, *sigblob, *raw;
	size_t siglen, rawlen;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	int error;

	if ((error = gitchat_pubkey_blob(&blob, pk)) < 0 ||
	    (error = gitchat_buf_put_string(&body, blob.ptr, blob.size)) < 0 ||
	    (error = gitchat_buf_put_string(&body, data, len)) < 0 ||
	    (error = gitchat_buf_put_u32(&body, 0)) < 0)
		goto done;
	if ((error = request(&reply, sock, AGENT_SIGN_TIMEOUT_MS, SSH_AGENTC_SIGN_REQUEST,
	                     &body)) < 0)
		goto done;
	r.p = (const unsigned char *)reply.ptr;
	r.left = reply.size;
	if (gitchat_reader_bytes(&r, &type, 1) < 0) {
		error = bad_reply(sock);
		goto done;
	}
	if (type[0] == SSH_AGENT_FAILURE) {
		/* Asked only now (one round trip fewer per message): a key the
		 * agent lacks is told apart from a refusal. */
		if ((error = gitchat_agent_check(sock, pk, hint)) < 0)
			goto done;
		gitchat_pubkey_fingerprint(fp, pk);
		error = gitchat_error_set(GITCHAT_ERROR,
			"ssh-agent refused to sign with key %s: a key added with 'ssh-add -c' needs "
			"your confirmation (is ssh-askpass installed, and was it confirmed?), and a "
			"locked agent signs nothing ('ssh-add -X' unlocks it); nothing was written", fp);
		goto done;
	}
	if (type[0] != SSH_AGENT_SIGN_RESPONSE ||
	    gitchat_reader_string(&r, &sigblob, &siglen) < 0 || r.left != 0) {
		error = bad_reply(sock);
		goto done;
	}
	s.p = sigblob;
	s.left = siglen;
	if (gitchat_reader_expect(&s, GITCHAT_SSH_ED25519) < 0 ||
	    gitchat_reader_string(&s, &raw, &rawlen) < 0 || rawlen != 64 || s.left != 0) {
		error = bad_reply(sock);
		goto done;
	}
	/* An agent is trusted to hold the key, not to be right: a signature
	 * that does not verify must never reach a commit. */
	if (crypto_sign_verify_detached(raw, data, len, pk->bytes) != 0) {
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"ssh-agent at '%s' returned a signature that does not verify; nothing was "
			"written", sock);
		goto done;
	}
	memcpy(sig, raw, 64);
	error = 0;
done:
	gitchat_buf_dispose(&body);
	gitchat_buf_dispose(&blob);
	gitchat_buf_dispose(&reply);
	return error;
}
