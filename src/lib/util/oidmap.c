#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/oidmap.h"

static size_t slot_of(const git_oid *key, size_t cap)
{
	uint64_t h;
	memcpy(&h, key->id, sizeof(h));
	return (size_t)h & (cap - 1);
}

/* Plain memcmp/memcpy: libgit2's oid functions are calls into the shared
 * library, which costs more than the hashing itself when a 100,000-entry
 * verify cache is loaded. */
static int key_equal(const git_oid *a, const git_oid *b)
{
	return memcmp(a->id, b->id, GIT_OID_RAWSZ) == 0;
}

static int resize(gitchat_oidmap *map, size_t cap)
{
	gitchat_oidmap bigger = GITCHAT_OIDMAP_INIT;
	size_t i;

	bigger.cap = cap;
	bigger.keys = malloc(bigger.cap * sizeof(git_oid));
	bigger.values = malloc(bigger.cap * sizeof(uint32_t));
	bigger.used = calloc(bigger.cap, 1);
	if (!bigger.keys || !bigger.values || !bigger.used) {
		gitchat_oidmap_dispose(&bigger);
		return gitchat_error_oom();
	}
	for (i = 0; i < map->cap; i++)
		if (map->used[i])
			gitchat_oidmap_set(&bigger, &map->keys[i], map->values[i]);
	gitchat_oidmap_dispose(map);
	*map = bigger;
	return 0;
}

static int grow(gitchat_oidmap *map)
{
	return resize(map, map->cap ? map->cap * 2 : 64);
}

int gitchat_oidmap_reserve(gitchat_oidmap *map, size_t entries)
{
	size_t cap = map->cap ? map->cap : 64;

	while ((entries + 1) * 4 > cap * 3)
		cap *= 2;
	return cap == map->cap ? 0 : resize(map, cap);
}

int gitchat_oidmap_set(gitchat_oidmap *map, const git_oid *key, uint32_t value)
{
	size_t i;

	if ((map->size + 1) * 4 > map->cap * 3 && grow(map) < 0)
		return GITCHAT_ENOMEM;
	for (i = slot_of(key, map->cap);; i = (i + 1) & (map->cap - 1)) {
		if (!map->used[i]) {
			map->used[i] = 1;
			memcpy(map->keys[i].id, key->id, GIT_OID_RAWSZ);
			map->values[i] = value;
			map->size++;
			return 0;
		}
		if (key_equal(&map->keys[i], key)) {
			map->values[i] = value;
			return 0;
		}
	}
}

int gitchat_oidmap_get(const gitchat_oidmap *map, const git_oid *key, uint32_t *value)
{
	size_t i;

	if (!map->cap)
		return 0;
	for (i = slot_of(key, map->cap); map->used[i]; i = (i + 1) & (map->cap - 1)) {
		if (key_equal(&map->keys[i], key)) {
			if (value)
				*value = map->values[i];
			return 1;
		}
	}
	return 0;
}

/* Linear probing's deletion without tombstones: each later entry of the
 * run moves back into the hole unless its home slot lies cyclically in
 * (hole, entry], where a lookup would no longer pass the hole to find it. */
int gitchat_oidmap_remove(gitchat_oidmap *map, const git_oid *key)
{
	size_t mask = map->cap - 1, hole, j, home;

	if (!map->cap)
		return 0;
	for (hole = slot_of(key, map->cap); map->used[hole]; hole = (hole + 1) & mask)
		if (key_equal(&map->keys[hole], key))
			break;
	if (!map->used[hole])
		return 0;
	for (j = (hole + 1) & mask; map->used[j]; j = (j + 1) & mask) {
		home = slot_of(&map->keys[j], map->cap);
		if (((j - home) & mask) < ((j - hole) & mask))
			continue;   /* home in (hole, j]: it stays */
		map->keys[hole] = map->keys[j];
		map->values[hole] = map->values[j];
		hole = j;
	}
	map->used[hole] = 0;
	map->size--;
	return 1;
}

void gitchat_oidmap_dispose(gitchat_oidmap *map)
{
	free(map->keys);
	free(map->values);
	free(map->used);
	memset(map, 0, sizeof(*map));
}
