/* Internal: the date forms git accepts in GIT_AUTHOR_DATE and friends. */
#ifndef GITCHAT_UTIL_DATE_H
#define GITCHAT_UTIL_DATE_H

#include <stdint.h>
#include <time.h>

/* The times git-chat accepts anywhere (commits, dates typed by people, the
 * order index): 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. Within them
 * gmtime_r/localtime_r cannot fail and tm_year + 1900 cannot overflow. */
#define GITCHAT_TIME_MIN INT64_C(0)
#define GITCHAT_TIME_MAX INT64_C(253402300799)
#define GITCHAT_TIME_VALID(t) ((t) >= GITCHAT_TIME_MIN && (t) <= GITCHAT_TIME_MAX)
/* A zone as git writes it: four digits, so at most 99 h 99 min away. */
#define GITCHAT_TZ_MAX (99 * 60 + 99)

/* What the renderers show, for any int64_t they are given: clamped to the
 * four-digit years, 0000-01-01T00:00:00Z to GITCHAT_TIME_MAX. */
#define GITCHAT_SHOWN_MIN INT64_C(-62167219200)
#define GITCHAT_SHOWN(t) ((t) < GITCHAT_SHOWN_MIN ? GITCHAT_SHOWN_MIN : \
                          (t) > GITCHAT_TIME_MAX ? GITCHAT_TIME_MAX : (t))

/* "@1764150000 +0000", "1764150000 +0000", ISO 8601
 * ("2025-11-26T10:00:00Z", "2025-11-26 10:00:00 +01:00") and RFC 2822
 * ("Wed, 26 Nov 2025 10:00:00 +0000"). 0, or GITCHAT_EINVALID. */
int gitchat_date_parse(int64_t *time, int *tz, const char *s);

/* Floor division of a time into days, for any int64_t (INT64_MIN too). */
int64_t gitchat_time_days(int64_t t);

/* Days since the epoch to a civil date and back (proleptic Gregorian). */
int64_t gitchat_days_from_civil(int64_t y, unsigned m, unsigned d);
void gitchat_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
