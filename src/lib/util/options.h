/* Internal: the body of every public gitchat_<noun>_options_init(). */
#ifndef GITCHAT_UTIL_OPTIONS_H
#define GITCHAT_UTIL_OPTIONS_H

#include <stddef.h>

/* Copies `size` bytes of `tmpl` (a static copy of the type's _INIT macro)
 * into `opts` when `version` is `expected`; else GITCHAT_EINVALID naming
 * `type`, and `opts` is left alone. */
int gitchat_options_fill(void *opts, size_t size, const void *tmpl, unsigned int version,
                         unsigned int expected, const char *type);

/* Defines gitchat_<name>_options_init for the struct `type`. */
#define GITCHAT_OPTIONS_INIT_FUNCTION(fn, type, INIT, VERSION)                          \
	int fn(type *opts, unsigned int version)                                        \
	{                                                                               \
		static const type tmpl = INIT;                                          \
		return gitchat_options_fill(opts, sizeof(*opts), &tmpl, version, VERSION, #type); \
	}

#endif
