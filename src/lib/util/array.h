/*
 * Internal: the one rule for growing an array (capacity doubled, never
 * overflowing size_t), which a dozen parts of the library repeated.
 */
#ifndef GITCHAT_UTIL_ARRAY_H
#define GITCHAT_UTIL_ARRAY_H

#include <stddef.h>

/* Makes room for `need` items of `size` bytes in the array whose pointer
 * is at `items` (a T **, passed as void * so that any T will do) and whose
 * capacity is *cap: doubled from *cap, or from `first` when it is 0, until
 * `need` fits. 0, or GITCHAT_ENOMEM with the message set (allocation, or
 * a size past SIZE_MAX); the array is unchanged on failure. */
int gitchat_array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first);

#endif
