/*
 * Internal: https: git's CA settings, refusing to turn checks off, and the
 * message for a certificate that is not trusted.
 */
#ifndef GITCHAT_SYNC_TLS_H
#define GITCHAT_SYNC_TLS_H

#include <git2.h>

typedef struct {
	char *ca_used;     /* the CA settings in force, NULL: the system's */
	int untrusted;     /* libgit2 found the certificate invalid */
} sync_tls;

/* Before connecting to `url` (https only, else nothing): refuses
 * http.sslVerify=false / GIT_SSL_NO_VERIFY, checks GIT_SSL_CAINFO /
 * http.sslCAInfo and GIT_SSL_CAPATH / http.sslCAPath and hands them to
 * libgit2 (process-wide: sync.h says so). */
int sync_tls_prepare(sync_tls *t, git_repository *repo, const char *url);
/* certificate_check for X.509 certificates. */
int sync_tls_certificate_check(sync_tls *t, git_cert *cert, int valid, const char *host);
/* The error for an operation on `url` that failed because the certificate
 * was not trusted (t->untrusted), with libgit2's reason. */
int sync_tls_error(const sync_tls *t, const char *what, const char *url);
void sync_tls_dispose(sync_tls *t);

#endif
