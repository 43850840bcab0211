/*
 * Internal: the socket stream git-chat gives libgit2 (gitchat_sync_streams_register,
 * sync.h), with a connect timeout, an idle timeout and git's low-speed
 * limit. libgit2 1.5 itself waits forever on a server that says nothing.
 *
 * The limits follow the thread: transport.c puts the connection's limits in
 * force (sync_stream_enter) around each libgit2 call that may touch the
 * network, and the streams libgit2 opens or uses during that call read them
 * there and record in them why they gave up. Outside a sync (another user of
 * libgit2 in the same program) the defaults apply: 30 s, no speed limit.
 */
#ifndef GITCHAT_SYNC_STREAM_H
#define GITCHAT_SYNC_STREAM_H

#include <stdatomic.h>
#include <git2.h>

#define SYNC_STREAM_DEFAULT_TIMEOUT 30   /* seconds: chat.timeout's default */

typedef enum {
	SYNC_STREAM_OK = 0,
	SYNC_STREAM_CONNECT_TIMEOUT,     /* no answer to the connection within the timeout */
	SYNC_STREAM_IDLE_TIMEOUT,        /* connected, then nothing for the timeout */
	SYNC_STREAM_TOO_SLOW             /* below http.lowSpeedLimit for http.lowSpeedTime */
} sync_stream_expiry;

typedef struct {
	int timeout;               /* seconds, connect and idle; > 0 */
	long low_speed_limit;      /* bytes per second; 0: none (http.lowSpeedLimit) */
	int low_speed_time;        /* seconds (http.lowSpeedTime) */
	int relay;                 /* ssh: libssh2 reads the socket itself (stream.c) */
	sync_stream_expiry expired;   /* out: why a stream gave up */
	int registered;            /* out: the program registered the streams */
	atomic_int waiting;        /* a libgit2 network call runs (between enter and leave) */
} sync_stream_limits;

/* The limits from the git config: chat.timeout, and for http(s) URLs
 * http.lowSpeedLimit / http.lowSpeedTime (git's names and meaning). */
int sync_stream_limits_read(sync_stream_limits *out, git_repository *repo, const char *url);
/* Puts `l` in force on this thread until sync_stream_leave(). */
void sync_stream_enter(sync_stream_limits *l);
void sync_stream_leave(void);
/* Why a network operation on `url` failed, when a limit ended it
 * (l->expired): the error, set (the caller names the remote). 0 when no
 * limit expired. */
int sync_stream_error(const sync_stream_limits *l, const char *url);

#endif
