/*
 * Initialises the network libraries only in commands that talk to a remote:
 * the system's CA certificates (mbedTLS) and libssh2 (which initialises
 * OpenSSL's libcrypto).
 *
 * Debian's libgit2 1.5 is built with mbedTLS, and git_libgit2_init parses
 * the whole CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140 PEM
 * certificates) in every process: about 8 ms of CPU on our CI machines,
 * more than everything else `git chat log -n 50` does with a warm order
 * index. `log`, `send`, `verify` and the rest never open a connection.
 *
 * So the executable (not the library: programs linking libgitchat keep
 * libgit2's behaviour) defines mbedTLS's two loading functions. The dynamic
 * linker resolves libgit2's calls to them here first; while
 * cli_net_defer_begin() is in effect we only record what libgit2 asked for,
 * and libgit2 installs an empty CA chain. An empty chain trusts nothing, so
 * a connection made without cli_net_prepare() fails its certificate check: the
 * deferral can break HTTPS, never weaken it (tests/cli/test_netlibs.c checks
 * that `log` and a sync over a path or git:// do not read the bundle, and
 * that a sync over https does).
 * cli_net_prepare() hands the recorded location back to libgit2 through
 * GIT_OPT_SET_SSL_CERT_LOCATIONS, which parses it with the real functions,
 * found with dlsym(RTLD_NEXT). It is called when a sync is about to
 * connect (GITCHAT_SYNC_EVENT_CONNECTING), and loads the bundle only for
 * an http(s) URL: a sync over a path or git:// never parses it (about
 * 5 ms of CPU). The TUI sets everything up before it takes the screen.
 *
 * libgit2 also calls libssh2_init at init, which sets up OpenSSL (its
 * providers, error strings, an exit handler): about 2 ms more per process
 * here, for ssh:// only. The same deferral applies; libgit2's libssh2_exit at
 * shutdown is a no-op for a libssh2 never initialised.
 *
 * With a libgit2 built on OpenSSL, or without ssh, these functions are never
 * called and all of this is inert.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
/* The exact prototypes (libgit2-dev depends on libmbedtls-dev), so that a
 * change in them fails the build instead of the call. */
#include <mbedtls/x509_crt.h>
#include <libssh2.h>

#include "cli.h"

static int deferring;
static char deferred_file[PATH_MAX];
static char deferred_dir[PATH_MAX];
static int ssh_wanted, ssh_flags;

/* A path too long to keep is loaded at once rather than truncated. */
static int remember(char *slot, const char *path)
{
	size_t len;

	if (!deferring || !path || (len = strlen(path)) >= PATH_MAX)
		return 0;
	memcpy(slot, path, len + 1);
	return 1;
}

typedef int (*parse_fn)(mbedtls_x509_crt *chain, const char *path);
typedef int (*ssh_init_fn)(int flags);

static int call_real(const char *name, mbedtls_x509_crt *chain, const char *path)
{
	parse_fn real;
	void *sym = dlsym(RTLD_NEXT, name);

	if (!sym)
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	memcpy(&real, &sym, sizeof(real));
	return real(chain, path);
}

static int ssh_init_real(int flags)
{
	ssh_init_fn real;
	void *sym = dlsym(RTLD_NEXT, "libssh2_init");

	if (!sym)
		return -1;
	memcpy(&real, &sym, sizeof(real));
	return real(flags);
}

int libssh2_init(int flags)
{
	if (deferring) {
		ssh_wanted = 1;
		ssh_flags = flags;
		return 0;
	}
	return ssh_init_real(flags);
}

int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path)
{
	if (remember(deferred_file, path))
		return 0;
	return call_real("mbedtls_x509_crt_parse_file", chain, path);
}

int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path)
{
	if (remember(deferred_dir, path))
		return 0;
	return call_real("mbedtls_x509_crt_parse_path", chain, path);
}

void cli_net_defer_begin(void)
{
	deferred_file[0] = deferred_dir[0] = '\0';
	ssh_wanted = 0;
	deferring = 1;
}

void cli_net_defer_end(void)
{
	deferring = 0;
}

void cli_net_load(void)
{
	/* Timeouts for every connection (decisions.md: the program's choice). */
	if (gitchat_sync_streams_register() < 0)
		cli_warn("%s: a silent server can block this command", gitchat_error_last()->message);
}

/* As libgit2 itself does at init: a bundle that cannot be read costs https
 * remotes (they then fail their certificate check), nothing else. */
static void load_ca(void)
{
	const char *file = deferred_file[0] ? deferred_file : NULL;
	const char *dir = deferred_dir[0] ? deferred_dir : NULL;

	if (!file && !dir)
		return;
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) < 0) {
		const git_error *e = git_error_last();

		cli_warn("cannot load the CA certificates '%s' (%s): https remotes will not be "
		         "trusted; check the ca-certificates package, or set http.sslCAInfo",
		         file ? file : dir, e ? e->message : "unknown error");
		git_error_clear();
	}
	deferred_file[0] = deferred_dir[0] = '\0';
}

void cli_net_prepare(const char *url)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	/* http too: a server may redirect it to https, which libgit2 follows. */
	int web = !strncasecmp(url, "https://", 8) || !strncasecmp(url, "http://", 7);
	int plain = !strncasecmp(url, "git://", 6) || !strncasecmp(url, "file://", 7);

	pthread_mutex_lock(&lock);
	if (web) {
		load_ca();
	} else if (!plain && ssh_wanted) {   /* ssh://, user@host:path */
		if (ssh_init_real(ssh_flags) != 0)
			cli_warn("cannot initialise libssh2: ssh:// remotes will fail");
		ssh_wanted = 0;
	}
	pthread_mutex_unlock(&lock);
}
