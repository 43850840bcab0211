/*
 * The socket stream with timeouts (stream.h). libgit2 1.5 opens every
 * plain TCP connection through git_socket_stream_new, which uses the
 * GIT_STREAM_STANDARD registration when there is one: git:// reads and
 * writes through us, http:// too, and https:// through libgit2's TLS stream
 * on top of ours (mbedTLS reads and writes its records through the stream
 * below it). So one registration covers every transport's connect, and
 * every read and write but ssh's.
 *
 * ssh: libgit2's libssh2 transport takes the socket out of the stream as
 * if it were its own git_socket_stream { parent, host, port, s } and hands
 * `s` to libssh2, which reads and writes it itself (and waits in poll()
 * with no timeout). So our stream starts with the same fields, and for ssh
 * (limits->relay) `s` is one end of a socketpair: a thread relays it to the
 * real socket and ends the connection when nothing moved either way for the
 * timeout while a sync waits on it. libssh2 then sees the connection end
 * and fails; the limits say why.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <git2/sys/stream.h>

#include "gitchat/sync.h"
#include "sync/stream.h"
#include "util/error.h"

static _Thread_local sync_stream_limits *current;
static atomic_int registered;

/* Layout shared with libgit2 1.5's git_socket_stream (see above). */
typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s;                      /* libssh2's end when relaying, else the socket */
	/* ours */
	int net;                    /* the TCP socket */
	sync_stream_limits *limits; /* the connection's, NULL: defaults */
	long long window_start;     /* low-speed window (ms) and bytes in it */
	size_t window_bytes;
	pthread_t relay;
	int relaying;
	int relay_end;              /* the relay thread's end of the socketpair */
	int stop_pipe[2];           /* wakes the relay to stop */
	atomic_int *active;         /* the sync waits on the network (relay only) */
} tstream;

static atomic_int no_sync_waiting;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int timeout_ms(const tstream *st)
{
	return (st->limits ? st->limits->timeout : SYNC_STREAM_DEFAULT_TIMEOUT) * 1000;
}

static void expire(tstream *st, sync_stream_expiry why)
{
	int secs = timeout_ms(st) / 1000;

	if (st->limits && !st->limits->expired)
		st->limits->expired = why;
	if (why == SYNC_STREAM_CONNECT_TIMEOUT)
		git_error_set(GIT_ERROR_NET, "no answer to the connection to %s:%s within %d s",
		              st->host, st->port, secs);
	else if (why == SYNC_STREAM_TOO_SLOW)
		git_error_set(GIT_ERROR_NET, "%s:%s sent less than %ld bytes/s for %d s", st->host,
		              st->port, st->limits->low_speed_limit, st->limits->low_speed_time);
	else
		git_error_set(GIT_ERROR_NET, "%s:%s sent nothing for %d s", st->host, st->port, secs);
}

/* Waits for `events` on fd until the deadline; 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_one(tstream *st, const struct addrinfo *ai, long long deadline)
{
	int fd, err = 0, ready;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		st->net = fd;
		return 0;
	}
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	ready = wait_fd(fd, POLLOUT, deadline);
	if (ready == 0) {
		close(fd);
		return 1;      /* timed out */
	}
	if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		st->net = fd;
		return 0;
	}
fail:
	close(fd);
	errno = err;
	return -1;
}

static void *relay_main(void *arg);

static int start_relay(tstream *st)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		goto fail;
	if (pipe2(st->stop_pipe, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	st->s = sv[0];
	st->relay_end = sv[1];
	if (pthread_create(&st->relay, NULL, relay_main, st) != 0) {
		close(sv[0]);
		close(sv[1]);
		close(st->stop_pipe[0]);
		close(st->stop_pipe[1]);
		st->s = st->relay_end = st->stop_pipe[0] = st->stop_pipe[1] = -1;
		goto fail;
	}
	st->relaying = 1;
	return 0;
fail:
	git_error_set(GIT_ERROR_OS, "cannot set up the ssh connection's timeout: %s", strerror(errno));
	return -1;
}

static int st_connect(git_stream *stream)
{
	tstream *st = (tstream *)stream;
	struct addrinfo hints, *res = NULL, *ai;
	long long deadline = now_ms() + timeout_ms(st);
	int rc, timed_out = 0, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((rc = getaddrinfo(st->host, st->port, &hints, &res)) != 0) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", st->host,
		              gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(st, ai, deadline);
		if (rc == 0)
			break;
		if (rc == 1)
			timed_out = 1;
		else
			err = errno;
		if (now_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (st->net < 0) {
		if (timed_out) {
			expire(st, SYNC_STREAM_CONNECT_TIMEOUT);
		} else {
			git_error_set(GIT_ERROR_NET, "failed to connect to %s:%s: %s", st->host, st->port,
			              strerror(err ? err : ECONNREFUSED));
		}
		return -1;
	}
	st->window_start = now_ms();
	if (st->limits && st->limits->relay)
		return start_relay(st);
	st->s = st->net;
	return 0;
}

/* git's http.lowSpeedLimit: fewer than limit * time bytes in a window of
 * `time` seconds ends the transfer. */
static int too_slow(tstream *st, size_t got)
{
	const sync_stream_limits *l = st->limits;
	long long t = now_ms();

	st->window_bytes += got;
	if (!l || l->low_speed_limit <= 0 || l->low_speed_time <= 0)
		return 0;
	if (t - st->window_start < (long long)l->low_speed_time * 1000)
		return 0;
	if (st->window_bytes < (size_t)l->low_speed_limit * (size_t)l->low_speed_time)
		return 1;
	st->window_start = t;
	st->window_bytes = 0;
	return 0;
}

static ssize_t st_read(git_stream *stream, void *data, size_t len)
{
	tstream *st = (tstream *)stream;
	ssize_t n;

	for (;;) {
		int ready;
		n = recv(st->s, data, len, 0);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			git_error_set(GIT_ERROR_NET, "error receiving data from %s: %s", st->host,
			              strerror(errno));
			return -1;
		}
		ready = wait_fd(st->s, POLLIN, now_ms() + timeout_ms(st));
		if (ready <= 0) {
			expire(st, SYNC_STREAM_IDLE_TIMEOUT);
			return -1;
		}
	}
	if (too_slow(st, (size_t)n)) {
		expire(st, SYNC_STREAM_TOO_SLOW);
		return -1;
	}
	return n;
}

static ssize_t st_write(git_stream *stream, const char *data, size_t len, int flags)
{
	tstream *st = (tstream *)stream;
	size_t done = 0;

	(void)flags;
	while (done < len) {
		ssize_t n = send(st->s, data + done, len - done, MSG_NOSIGNAL);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			git_error_set(GIT_ERROR_NET, "error sending data to %s: %s", st->host,
			              strerror(errno));
			return -1;
		}
		if (wait_fd(st->s, POLLOUT, now_ms() + timeout_ms(st)) <= 0) {
			expire(st, SYNC_STREAM_IDLE_TIMEOUT);
			return -1;
		}
	}
	return (ssize_t)len;
}

static void stop_relay(tstream *st)
{
	if (!st->relaying)
		return;
	(void)!write(st->stop_pipe[1], "x", 1);
	pthread_join(st->relay, NULL);
	close(st->stop_pipe[0]);
	close(st->stop_pipe[1]);
	close(st->relay_end);
	st->relaying = 0;
}

static int st_close(git_stream *stream)
{
	tstream *st = (tstream *)stream;

	stop_relay(st);
	if (st->s >= 0 && st->s != st->net)
		close(st->s);
	if (st->net >= 0)
		close(st->net);
	st->s = st->net = -1;
	return 0;
}

static void st_free(git_stream *stream)
{
	tstream *st = (tstream *)stream;

	st_close(stream);
	free(st->host);
	free(st->port);
	free(st);
}

static int st_new(git_stream **out, const char *host, const char *port)
{
	tstream *st;

	*out = NULL;
	if (!(st = calloc(1, sizeof(*st))) || !(st->host = strdup(host)) ||
	    !(st->port = strdup(port ? port : "0"))) {
		if (st)
			free(st->host);
		free(st);
		git_error_set_oom();
		return -1;
	}
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = st_connect;
	st->parent.read = st_read;
	st->parent.write = st_write;
	st->parent.close = st_close;
	st->parent.free = st_free;
	st->s = st->net = st->relay_end = -1;
	st->limits = current;
	st->active = current ? &current->waiting : &no_sync_waiting;
	*out = &st->parent;
	return 0;
}

/* --- the ssh relay ------------------------------------------------------ */

typedef struct {
	char buf[16384];
	size_t off, len;
} pipe_buf;

/* Moves bytes from `from` into b (when empty), and from b to `to`.
 * Returns the bytes moved, -1 when a side closed or failed. */
static ssize_t pump(int from, int to, pipe_buf *b, short rev, short wev)
{
	ssize_t moved = 0, n;

	if (b->len == 0 && (rev & (POLLIN | POLLHUP | POLLERR))) {
		n = recv(from, b->buf, sizeof(b->buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0) {
			b->off = 0;
			b->len = (size_t)n;
			moved += n;
		}
	}
	if (b->len && (wev & POLLOUT || rev)) {
		n = send(to, b->buf + b->off, b->len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			b->off += (size_t)n;
			b->len -= (size_t)n;
			moved += n;
		}
	}
	return moved;
}

/* Ends the connection when nothing moved either way for the timeout while
 * the owning thread waits in a libgit2 network call (limits->waiting, see
 * sync_stream_enter); a connection merely left open while the
 * sync verifies what it fetched is not timed. */
static void *relay_main(void *arg)
{
	tstream *st = arg;
	pipe_buf down = { 0 }, up = { 0 };   /* server -> libssh2, libssh2 -> server */
	long long last = now_ms();
	int tmo = timeout_ms(st);

	for (;;) {
		struct pollfd p[3] = {
			{ st->net, (short)((down.len ? 0 : POLLIN) | (up.len ? POLLOUT : 0)), 0 },
			{ st->relay_end, (short)((up.len ? 0 : POLLIN) | (down.len ? POLLOUT : 0)), 0 },
			{ st->stop_pipe[0], POLLIN, 0 },
		};
		ssize_t a, b;
		int n = poll(p, 3, 250);

		if (n < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		a = pump(st->net, st->relay_end, &down, p[0].revents, p[1].revents);
		b = pump(st->relay_end, st->net, &up, p[1].revents, p[0].revents);
		if (a < 0 || b < 0)
			break;
		if (a > 0 || b > 0 || !atomic_load(st->active))
			last = now_ms();
		else if (now_ms() - last >= tmo) {
			if (st->limits && !st->limits->expired)
				st->limits->expired = SYNC_STREAM_IDLE_TIMEOUT;
			break;
		}
	}
	/* libssh2 sees the end of the connection */
	shutdown(st->relay_end, SHUT_RDWR);
	return NULL;
}

/* --- the limits --------------------------------------------------------- */

void sync_stream_enter(sync_stream_limits *l)
{
	current = l;
	if (l)
		atomic_store(&l->waiting, 1);
}

void sync_stream_leave(void)
{
	if (current)
		atomic_store(&current->waiting, 0);
	current = NULL;
}

static int config_int(long *out, git_config *cfg, const char *key, long min, long max)
{
	int64_t v;
	int error = git_config_get_int64(&v, cfg, key);

	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return gitchat_error_from_git(error, "bad %s in the git config", key);
	if (v < min || v > max)
		return gitchat_error_set(GITCHAT_EINVALID,
			"git config %s is %lld; give a number from %ld to %ld", key, (long long)v, min, max);
	*out = (long)v;
	return 0;
}

int sync_stream_limits_read(sync_stream_limits *out, git_repository *repo, const char *url)
{
	git_config *cfg = NULL;
	long timeout = SYNC_STREAM_DEFAULT_TIMEOUT, limit = 0, time = 0;
	int error;

	memset(out, 0, sizeof(*out));
	atomic_init(&out->waiting, 0);
	out->timeout = SYNC_STREAM_DEFAULT_TIMEOUT;
	out->registered = atomic_load(&registered);
	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config");
	if ((error = config_int(&timeout, cfg, "chat.timeout", 1, 86400)) < 0)
		goto done;
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8)) {
		if ((error = config_int(&limit, cfg, "http.lowSpeedLimit", 0, 1L << 30)) < 0 ||
		    (error = config_int(&time, cfg, "http.lowSpeedTime", 0, 86400)) < 0)
			goto done;
	}
	out->timeout = (int)timeout;
	out->low_speed_limit = limit;
	out->low_speed_time = (int)time;
	/* ssh://, and scp-style host:path (no "://"), go through libssh2 */
	out->relay = !strncasecmp(url, "ssh://", 6) || !strncasecmp(url, "ssh+git://", 10) ||
	             !strncasecmp(url, "git+ssh://", 10) || !strstr(url, "://");
done:
	git_config_free(cfg);
	return error;
}

int sync_stream_error(const sync_stream_limits *l, const char *url)
{
	const char *todo = "check that the server is up and reachable (or remove the remote), "
	                   "or give a slow link more time with 'git config chat.timeout SECONDS'";

	switch (l->expired) {
	case SYNC_STREAM_CONNECT_TIMEOUT:
		return gitchat_error_set(GITCHAT_ENETWORK,
			"the server at %s did not answer the connection within %d s; %s", url,
			l->timeout, todo);
	case SYNC_STREAM_IDLE_TIMEOUT:
		return gitchat_error_set(GITCHAT_ENETWORK, "the server at %s sent nothing for %d s; %s",
		                         url, l->timeout, todo);
	case SYNC_STREAM_TOO_SLOW:
		return gitchat_error_set(GITCHAT_ENETWORK,
			"the server at %s sent less than %ld bytes/s for %d s (git config "
			"http.lowSpeedLimit and http.lowSpeedTime); check the link, or lower those "
			"settings", url, l->low_speed_limit, l->low_speed_time);
	default:
		return 0;
	}
}

int gitchat_sync_streams_register(void)
{
	git_stream_registration reg = { GIT_STREAM_VERSION, st_new, NULL };
	int error;

	if ((error = git_stream_register(GIT_STREAM_STANDARD, &reg)) < 0)
		return gitchat_error_from_git(error, "cannot register git-chat's network streams");
	atomic_store(&registered, 1);
	return 0;
}
