/* Dates as people type them for --since and --until. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gitchat/view.h"
#include "util/date.h"
#include "util/error.h"

static int64_t midnight(int64_t t)
{
	return gitchat_time_days(t) * 86400;
}

static int relative(int64_t *out, const char *s, int64_t now)
{
	static const struct { const char *name; int64_t secs; } units[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
		{ "week", 7 * 86400 }
	};
	char *end;
	long long n = strtoll(s, &end, 10);
	size_t i, len;

	/* Refused, not clamped: more than the calendar holds is no date. */
	if (end == s || n < 0 || n > GITCHAT_TIME_MAX)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		len = strlen(units[i].name);
		if (strncasecmp(end, units[i].name, len))
			continue;
		end += len;
		if (*end == 's' || *end == 'S')
			end++;
		while (*end == ' ')
			end++;
		if (strcasecmp(end, "ago"))
			return -1;
		if ((int64_t)n > GITCHAT_TIME_MAX / units[i].secs)
			return -1;
		*out = now - (int64_t)n * units[i].secs;
		return 0;
	}
	return -1;
}

int gitchat_date_parse_human(int64_t *out, const char *s, int64_t now)
{
	int tz, y, m, d, consumed = 0;

	while (*s == ' ')
		s++;
	if (!strcasecmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (!strcasecmp(s, "today")) {
		*out = midnight(now);
		return 0;
	}
	if (!strcasecmp(s, "yesterday")) {
		*out = midnight(now) - 86400;
		return 0;
	}
	if (relative(out, s, now) == 0)
		return 0;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &consumed) == 3 &&
	    consumed == 10 && y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
		*out = gitchat_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
		return 0;
	}
	if (gitchat_date_parse(out, &tz, s) == 0)
		return 0;
	return gitchat_error_set(GITCHAT_EINVALID,
		"cannot read the date '%s' (dates run from 1970 to 9999); use YYYY-MM-DD, ISO 8601 (2025-11-26T10:00:00Z), "
		"@SECONDS, 'yesterday' or 'N days ago'", s);
}
