/*
 * Internal: ssh host keys checked against known_hosts as OpenSSH does
 * (hashed entries too).
 */
#ifndef GITCHAT_SYNC_KNOWNHOSTS_H
#define GITCHAT_SYNC_KNOWNHOSTS_H

#include <git2.h>
#include "gitchat/sync.h"
#include "util/buf.h"

typedef struct {
	const char *remote;            /* for the caller's question */
	int port;                      /* 0: 22 */
	int (*hostkey_cb)(const gitchat_sync_hostkey *hostkey, void *payload);
	void *payload;
} sync_hostkey_how;

/* certificate_check for ssh host keys: 0 (known, or accepted by the
 * caller), GIT_PASSTHROUGH (not an ssh key), or GIT_ECERTIFICATE with the
 * reason in `failure`. */
int sync_knownhosts_verify(gitchat_buf *failure, const sync_hostkey_how *how, git_cert *cert,
                           const char *host);

typedef enum { KH_NOT_FOUND = 0, KH_MATCH, KH_CHANGED, KH_REVOKED } kh_result;
/* Looks up a host key in one known_hosts file. */
int sync_known_hosts_check(kh_result *out, size_t *line, const char *path,
                           const char *lookup_name, const char *key_type,
                           const unsigned char *blob, size_t blob_len);
/* The same over a file's contents: `data` holds `size` bytes and a NUL
 * after them, and is changed (its lines are cut). The fuzzer calls it
 * (tests/fuzz/fuzz_knownhosts.c). */
int sync_known_hosts_check_data(kh_result *out, size_t *line_no, char *data, size_t size,
                                const char *lookup_name, const char *key_type,
                                const unsigned char *blob, size_t blob_len);

#endif
