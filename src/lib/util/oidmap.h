/*
 * Internal: an open-addressing hash map from git_oid to a 32-bit value.
 * Oids are SHA-1 output, so their first bytes are already a good hash.
 */
#ifndef GITCHAT_UTIL_OIDMAP_H
#define GITCHAT_UTIL_OIDMAP_H

#include <git2.h>
#include <stdint.h>

typedef struct {
	git_oid *keys;
	uint32_t *values;
	unsigned char *used;
	size_t size;     /* entries */
	size_t cap;      /* slots, a power of two */
} gitchat_oidmap;

#define GITCHAT_OIDMAP_INIT { NULL, NULL, NULL, 0, 0 }

/* Inserts or replaces; GITCHAT_ENOMEM on allocation failure. */
int gitchat_oidmap_set(gitchat_oidmap *map, const git_oid *key, uint32_t value);
/* Makes room for `entries` in all without growing again. */
int gitchat_oidmap_reserve(gitchat_oidmap *map, size_t entries);
/* 1 and *value when present, 0 when absent. */
int gitchat_oidmap_get(const gitchat_oidmap *map, const git_oid *key, uint32_t *value);
/* 1 when it was present (and is now gone), 0 when absent. */
int gitchat_oidmap_remove(gitchat_oidmap *map, const git_oid *key);
void gitchat_oidmap_dispose(gitchat_oidmap *map);

#endif
