/*
 * util/array.c: the one growth rule. Compiled in (the shared library hides
 * it), as test_base64 does.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gitchat/common.h"
#include "util/array.h"

Test(array, grows_by_doubling_from_the_first_capacity_and_keeps_the_items)
{
	uint32_t *v = NULL;
	size_t cap = 0, i;

	cr_assert_eq(gitchat_array_grow(&v, &cap, 1, sizeof(*v), 16), 0);
	cr_assert_eq(cap, 16);
	for (i = 0; i < 16; i++)
		v[i] = (uint32_t)i * 7;
	cr_assert_eq(gitchat_array_grow(&v, &cap, 16, sizeof(*v), 16), 0);
	cr_assert_eq(cap, 16, "room enough: unchanged");
	cr_assert_eq(gitchat_array_grow(&v, &cap, 100, sizeof(*v), 16), 0);
	cr_assert_eq(cap, 128);
	for (i = 0; i < 16; i++)
		cr_assert_eq(v[i], (uint32_t)i * 7);
	v[127] = 1;
	free(v);
}

Test(array, a_size_past_size_max_fails_and_leaves_the_array_as_it_was)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	cr_assert_eq(gitchat_array_grow(&v, &cap, 4, sizeof(*v), 4), 0);
	v[3] = 42;
	cr_assert_eq(gitchat_array_grow(&v, &cap, SIZE_MAX / 4, sizeof(*v), 4), GITCHAT_ENOMEM);
	cr_assert_eq(gitchat_array_grow(&v, &cap, SIZE_MAX, 1, 4), GITCHAT_ENOMEM);
	cr_assert_eq(cap, 4);
	cr_assert_eq(v[3], 42);
	free(v);
}
