#include <string.h>

#include "util/error.h"
#include "util/options.h"

int gitchat_options_fill(void *opts, size_t size, const void *tmpl, unsigned int version,
                         unsigned int expected, const char *type)
{
	if (!opts)
		return gitchat_error_set(GITCHAT_EINVALID, "%s_init: no options to fill", type);
	if (version != expected)
		return gitchat_error_set(GITCHAT_EINVALID,
		                         "unknown %s version %u: this libgitchat knows version %u; "
		                         "build against its headers", type, version, expected);
	memcpy(opts, tmpl, size);
	return 0;
}
