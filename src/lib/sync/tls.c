/*
 * https: the CA certificates git's own settings name, and a clear message
 * when a server's certificate is not trusted.
 *
 *   GIT_SSL_CAINFO, else http.sslCAInfo    a file of PEM certificates
 *   GIT_SSL_CAPATH, else http.sslCAPath    a directory of them
 *
 * As in git, either replaces the system's CAs. libgit2 keeps its CA list
 * for the whole process (GIT_OPT_SET_SSL_CERT_LOCATIONS), so it is set
 * before each https connection, and only when it changes (another path,
 * or the file changed): parsing a CA file costs milliseconds, and a sync
 * connects twice. When a sync with no
 * setting follows one with a setting in the same process, the system's
 * list is put back.
 *
 * Certificate checks are never turned off: http.sslVerify=false and
 * GIT_SSL_NO_VERIFY are refused, not ignored, so that nobody believes a
 * sync is protected when it is not, or that it is not when it is.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/tls.h"
#include "sync/url.h"
#include "util/buf.h"
#include "util/error.h"

/* What Debian's libgit2 (mbedTLS) loads at git_libgit2_init. */
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_DIR "/etc/ssl/certs"

/* One setting: its value and where it came from, for messages. */
typedef struct {
	char *value;
	const char *source;    /* "GIT_SSL_CAINFO", "http.sslCAInfo", ... */
} tls_setting;

static pthread_mutex_t applied_lock = PTHREAD_MUTEX_INITIALIZER;
static char *applied_file, *applied_dir;   /* stamp() of what this process set last */
static int applied;

static int is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

static int refuse_no_verify(const char *what)
{
	return gitchat_error_set(GITCHAT_EUNSUPPORTED,
		"%s: git-chat does not turn off certificate checks (anyone on the way could "
		"read and change what is synced); to trust a server whose certificate comes "
		"from its own CA, point http.sslCAInfo (or GIT_SSL_CAINFO) at that CA's "
		"certificate instead", what);
}

static int check_verify_on(git_config *cfg)
{
	int on = 1, error;

	if (getenv("GIT_SSL_NO_VERIFY"))
		return refuse_no_verify("GIT_SSL_NO_VERIFY is set");
	error = git_config_get_bool(&on, cfg, "http.sslVerify");
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return gitchat_error_from_git(error, "bad http.sslVerify in the git config");
	return on ? 0 : refuse_no_verify("http.sslVerify is false in the git config");
}

/* The environment variable if set and not empty, else the config path. */
static int read_setting(tls_setting *out, git_config *cfg, const char *env, const char *key)
{
	git_buf buf = { 0 };
	const char *v = getenv(env);
	int error;

	memset(out, 0, sizeof(*out));
	if (v && *v) {
		out->source = env;
		return (out->value = strdup(v)) ? 0 : gitchat_error_oom();
	}
	error = git_config_get_path(&buf, cfg, key);
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return gitchat_error_from_git(error, "bad %s in the git config", key);
	if (buf.ptr && *buf.ptr) {
		out->source = key;
		if (!(out->value = strdup(buf.ptr)))
			error = gitchat_error_oom();
	}
	git_buf_dispose(&buf);
	return error;
}

static int check_exists(const tls_setting *s, int want_dir)
{
	const char *kind = want_dir ? "CA directory" : "CA file";
	struct stat st;

	if (!s->value)
		return 0;
	if (stat(s->value, &st) < 0)
		return gitchat_error_set(errno == ENOENT ? GITCHAT_ENOTFOUND : GITCHAT_EIO,
			"the %s '%s' (from %s) %s; point %s at %s, or unset it", kind, s->value,
			s->source, errno == ENOENT ? "does not exist" : strerror(errno), s->source,
			want_dir ? "a directory of PEM certificates" : "a file of PEM certificates");
	if (want_dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode))
		return gitchat_error_set(GITCHAT_EINVALID, "the %s '%s' (from %s) is %s; %s wants %s",
			kind, s->value, s->source, want_dir ? "not a directory" : "a directory",
			s->source, want_dir ? "a directory" : "a file of PEM certificates");
	if (access(s->value, R_OK | (want_dir ? X_OK : 0)) < 0)
		return gitchat_error_set(GITCHAT_EIO, "cannot read the %s '%s' (from %s): %s",
			kind, s->value, s->source, strerror(errno));
	return 0;
}

/* A path with its inode, size and mtime: a CA file edited (or a file
 * added to the directory) while a program runs is loaded again. */
static char *stamp(const char *path)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	struct stat st;

	if (!path)
		return NULL;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	gitchat_buf_printf(&b, "%s|%lu|%lld|%lld.%ld", path, (unsigned long)st.st_ino,
	                   (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	                   (long)st.st_mtim.tv_nsec);
	return gitchat_buf_detach(&b);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int locations_error(const tls_setting *file, const tls_setting *dir)
{
	const git_error *ge = git_error_last();
	const char *why = ge && ge->message ? ge->message : "unknown error";

	if (file && file->value)
		return gitchat_error_set(GITCHAT_EINVALID,
			"the CA file '%s' (from %s) holds no certificate git-chat can use (%s); "
			"point %s at a file of PEM certificates", file->value, file->source, why,
			file->source);
	return gitchat_error_set(GITCHAT_EINVALID,
		"cannot use the CA directory '%s' (from %s): %s; point %s at a directory of "
		"PEM certificates", dir->value, dir->source, why, dir->source);
}

static void forget_applied(void)
{
	free(applied_file);
	free(applied_dir);
	applied_file = applied_dir = NULL;
	applied = 0;
}

/* Hands the locations to libgit2 when they differ from the last ones; with
 * none, puts the system's back if an earlier sync replaced them. */
static int apply(const tls_setting *file, const tls_setting *dir)
{
	const char *f = file->value, *d = dir->value;
	char *fs = stamp(f), *ds = stamp(d);
	int error = 0, restore = !f && !d;

	pthread_mutex_lock(&applied_lock);
	if (restore) {
		if (!applied)
			goto done;     /* whatever the program chose: not ours to change */
		f = access(SYSTEM_CA_FILE, R_OK) == 0 ? SYSTEM_CA_FILE : NULL;
		d = f ? NULL : SYSTEM_CA_DIR;
	} else if (applied && same(fs, applied_file) && same(ds, applied_dir)) {
		goto done;
	}
	forget_applied();
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, f, d) < 0) {
		if (restore)
			error = gitchat_error_from_git(-1, "cannot load the system's CA certificates");
		else if (f && d && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, f, NULL) == 0)
			error = locations_error(NULL, dir);   /* the file alone loads */
		else
			error = locations_error(file, dir);
		applied = 1;   /* libgit2's list is unknown now: set it again next time */
		goto done;
	}
	if (!restore) {
		/* A failed stamp() compares unequal next time: set again. */
		applied = 1;
		applied_file = fs;
		applied_dir = ds;
		fs = ds = NULL;
	}
done:
	pthread_mutex_unlock(&applied_lock);
	free(fs);
	free(ds);
	return error;
}

int sync_tls_prepare(sync_tls *t, git_repository *repo, const char *url)
{
	git_config *cfg = NULL;
	tls_setting file = { 0 }, dir = { 0 };
	int error;

	free(t->ca_used);
	t->ca_used = NULL;
	t->untrusted = 0;
	if (!is_https(url))
		return 0;
	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0) {
		error = gitchat_error_from_git(error, "cannot read the git config");
		goto done;
	}
	if ((error = check_verify_on(cfg)) < 0 ||
	    (error = read_setting(&file, cfg, "GIT_SSL_CAINFO", "http.sslCAInfo")) < 0 ||
	    (error = read_setting(&dir, cfg, "GIT_SSL_CAPATH", "http.sslCAPath")) < 0 ||
	    (error = check_exists(&file, 0)) < 0 || (error = check_exists(&dir, 1)) < 0 ||
	    (error = apply(&file, &dir)) < 0)
		goto done;
	{
		gitchat_buf used = GITCHAT_BUF_INIT;
		if (file.value)
			gitchat_buf_printf(&used, "the CA file '%s' (from %s)", file.value, file.source);
		if (dir.value)
			gitchat_buf_printf(&used, "%sthe CA directory '%s' (from %s)",
			                   file.value ? " and " : "", dir.value, dir.source);
		t->ca_used = gitchat_buf_detach(&used);
	}
done:
	free(file.value);
	free(dir.value);
	git_config_free(cfg);
	return error;
}

int sync_tls_certificate_check(sync_tls *t, git_cert *cert, int valid, const char *host)
{
	(void)cert;
	(void)host;
	/* libgit2 checked the chain and the name; its reason (kept when we
	 * pass) goes into the message sync_tls_error() writes. */
	if (!valid)
		t->untrusted = 1;
	return GIT_PASSTHROUGH;
}

/* libgit2's reason on one line. */
static void one_line(gitchat_buf *out, const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n')
			gitchat_buf_puts(out, "; ");
		else
			gitchat_buf_putc(out, s[i]);
}

int sync_tls_error(const sync_tls *t, const char *what, const char *url)
{
	const git_error *ge = git_error_last();
	gitchat_buf why = GITCHAT_BUF_INIT;
	sync_url u;
	int error;

	memset(&u, 0, sizeof(u));
	one_line(&why, ge && ge->message ? ge->message : "certificate check failed");
	sync_url_parse(&u, url);
	gitchat_error_clear();
	error = gitchat_error_set(GITCHAT_ENETWORK,
		"%s '%s': the certificate of '%s' is not trusted (checked against %s): %s. "
		"If the server's certificate comes from its own CA, point http.sslCAInfo "
		"(git config, or GIT_SSL_CAINFO) at that CA's certificate; if it names "
		"another host, use the name it was made for",
		what, url, u.host ? u.host : "the server",
		t->ca_used && *t->ca_used ? t->ca_used : "the system's CA certificates",
		why.ptr ? why.ptr : "");
	sync_url_dispose(&u);
	gitchat_buf_dispose(&why);
	return error;
}

void sync_tls_dispose(sync_tls *t)
{
	free(t->ca_used);
	memset(t, 0, sizeof(*t));
}
