/*
 * Internal: splitting remote URLs (scheme, user, host, port, path).
 */
#ifndef GITCHAT_SYNC_URL_H
#define GITCHAT_SYNC_URL_H

/* 1 when `arg` is a URL (scheme://) or scp-like (user@host:path). */
int sync_url_is_remote(const char *arg);

/* Splits an ssh:// http(s):// git:// URL or an scp-like one. Missing
 * parts are NULL (port: the scheme's default). */
typedef struct {
	char *scheme;     /* "ssh", "http", "https", "git", "file" */
	char *user;
	char *host;
	int port;
	char *path;       /* with its leading '/' for URLs */
} sync_url;

int sync_url_parse(sync_url *out, const char *url);
void sync_url_dispose(sync_url *u);

#endif
