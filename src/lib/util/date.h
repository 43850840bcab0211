/* Internal: the date forms git accepts in GIT_AUTHOR_DATE and friends. */
#ifndef GITCHAT_UTIL_DATE_H
#define GITCHAT_UTIL_DATE_H

#include <stdint.h>

/* "@1764150000 +0000", "1764150000 +0000", ISO 8601
 * ("2025-11-26T10:00:00Z", "2025-11-26 10:00:00 +01:00") and RFC 2822
 * ("Wed, 26 Nov 2025 10:00:00 +0000"). 0, or GITCHAT_EINVALID. */
int gitchat_date_parse(int64_t *time, int *tz, const char *s);

/* Days since the epoch to a civil date and back (proleptic Gregorian). */
int64_t gitchat_days_from_civil(int64_t y, unsigned m, unsigned d);
void gitchat_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
