#include <stdlib.h>
#include <string.h>

#include "sync/url.h"
#include "util/buf.h"
#include "util/error.h"

int sync_url_is_remote(const char *arg)
{
	const char *colon, *slash;

	if (strstr(arg, "://"))
		return 1;
	/* git's rule for scp-like addresses: a ':' before any '/'. */
	colon = strchr(arg, ':');
	slash = strchr(arg, '/');
	return colon && colon != arg && (!slash || colon < slash);
}

static int default_port(const char *scheme)
{
	if (!strcmp(scheme, "ssh") || !strcmp(scheme, "git+ssh") || !strcmp(scheme, "ssh+git"))
		return 22;
	if (!strcmp(scheme, "git"))
		return 9418;
	if (!strcmp(scheme, "http"))
		return 80;
	if (!strcmp(scheme, "https"))
		return 443;
	return 0;
}

/* host, [v6 host] and :port out of "host[:port]" of length n. */
static int split_hostport(sync_url *u, const char *s, size_t n)
{
	const char *end = s + n, *portp = NULL;
	char *endp;
	long port;

	if (n && *s == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -1;
		u->host = gitchat_memdup_str(s + 1, (size_t)(close - s - 1));
		if (close + 1 < end && close[1] == ':')
			portp = close + 2;
	} else {
		const char *colon = memchr(s, ':', n);
		u->host = gitchat_memdup_str(s, colon ? (size_t)(colon - s) : n);
		if (colon)
			portp = colon + 1;
	}
	if (!u->host || !*u->host)
		return -1;
	if (portp && portp < end) {
		char buf[16];
		size_t len = (size_t)(end - portp);
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, portp, len);
		buf[len] = '\0';
		port = strtol(buf, &endp, 10);
		if (*endp || port <= 0 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	return 0;
}

int sync_url_parse(sync_url *u, const char *url)
{
	const char *p, *auth_end, *at, *path;

	memset(u, 0, sizeof(*u));
	if ((p = strstr(url, "://"))) {
		if (!(u->scheme = gitchat_memdup_str(url, (size_t)(p - url))))
			goto oom;
		p += 3;
		path = p + strcspn(p, "/");
		auth_end = path;
		at = NULL;
		for (const char *q = p; q < auth_end; q++)
			if (*q == '@')
				at = q;
		if (at) {
			const char *colon = memchr(p, ':', (size_t)(at - p));
			if (!(u->user = gitchat_memdup_str(p, colon ? (size_t)(colon - p) : (size_t)(at - p))))
				goto oom;
			p = at + 1;
		}
		u->port = default_port(u->scheme);
		if (strcmp(u->scheme, "file") != 0 && split_hostport(u, p, (size_t)(auth_end - p)) < 0)
			goto bad;
		if (!(u->path = strdup(*path ? path : "/")))
			goto oom;
		return 0;
	}
	if (!sync_url_is_remote(url))
		goto bad;
	/* scp-like: [user@]host:path */
	if (!(u->scheme = strdup("ssh")))
		goto oom;
	u->port = 22;
	p = url;
	path = strchr(url, ':');
	if ((at = memchr(url, '@', (size_t)(path - url)))) {
		if (!(u->user = gitchat_memdup_str(url, (size_t)(at - url))))
			goto oom;
		p = at + 1;
	}
	if (!(u->host = gitchat_memdup_str(p, (size_t)(path - p))) || !(u->path = strdup(path + 1)))
		goto oom;
	if (!*u->host)
		goto bad;
	return 0;
oom:
	sync_url_dispose(u);
	return gitchat_error_oom();
bad:
	sync_url_dispose(u);
	return gitchat_error_set(GITCHAT_EINVALID, "cannot read the URL '%s'", url);
}

void sync_url_dispose(sync_url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}
