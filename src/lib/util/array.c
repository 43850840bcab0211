#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/error.h"

int gitchat_array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : (first ? first : 1);
	void *old, *grown;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return gitchat_error_oom();
		n *= 2;
	}
	if (size && n > SIZE_MAX / size)
		return gitchat_error_oom();
	/* Through memcpy: `items` is a T **, not a void **. */
	memcpy(&old, items, sizeof(old));
	if (!(grown = realloc(old, n * size)))
		return gitchat_error_oom();
	memcpy(items, &grown, sizeof(grown));
	*cap = n;
	return 0;
}
