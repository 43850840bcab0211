#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gitchat/common.h"
#include "util/date.h"

/* Howard Hinnant's algorithms: exact for every representable date. */
int64_t gitchat_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void gitchat_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t gitchat_time_days(int64_t t)
{
	int64_t days = t / 86400;
	return t % 86400 < 0 ? days - 1 : days;
}

/* The broken-down UTC time of a time within the calendar, by arithmetic:
 * what gmtime_r gives, for when it does not. */
static void split_utc(struct tm *tm, int64_t t)
{
	int64_t days = gitchat_time_days(t), y, secs = t - days * 86400;
	unsigned m, d;

	gitchat_civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);   /* 1970-01-01 was a Thursday */
	tm->tm_yday = (int)(days - gitchat_days_from_civil(y, 1, 1));
}

int gitchat_time_split(struct tm *out, int64_t t, int local)
{
	int clamped = GITCHAT_SHOWN(t) != t;
	time_t tt;

	t = GITCHAT_SHOWN(t);
	tt = (time_t)t;
	if (!(local && localtime_r(&tt, out)) && !gmtime_r(&tt, out))
		split_utc(out, t);
	return clamped ? GITCHAT_EINVALID : 0;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "+hhmm", "+hh:mm", "Z" or nothing (UTC). */
static int parse_tz(int *tz, const char *s)
{
	int sign, h, m;

	s = skip_space(s);
	if (!*s) { *tz = 0; return 0; }
	if ((*s == 'Z' || *s == 'z') && !*skip_space(s + 1)) { *tz = 0; return 0; }
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (*s == ':')
		s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (*skip_space(s + 2) || h > 23 || m > 59)
		return -1;
	*tz = sign * (h * 60 + m);
	return 0;
}

/* A field of a date: digits only, at most 5 of them; -1 otherwise (every
 * caller refuses a negative field). */
static int field(const char *s, char **end)
{
	size_t n = strspn(s, "0123456789");

	*end = (char *)s + n;
	if (n == 0 || n > 5)
		return n ? -1 : 0;
	return (int)strtol(s, NULL, 10);
}

static int parse_hms(const char **s, int *h, int *mi, int *sec)
{
	char *end;
	*h = field(*s, &end);
	if (end == *s || *end != ':') return -1;
	*s = end + 1;
	*mi = field(*s, &end);
	if (end == *s) return -1;
	*sec = 0;
	if (*end == ':') {
		*s = end + 1;
		*sec = field(*s, &end);
		if (end == *s) return -1;
	}
	*s = end;
	return (*h < 0 || *h > 23 || *mi < 0 || *mi > 59 || *sec < 0 || *sec > 60) ? -1 : 0;
}

static int finish(int64_t *time, int *tz, int64_t y, int mo, int d, int h, int mi, int sec,
                  const char *rest)
{
	int z;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || parse_tz(&z, rest) < 0)
		return GITCHAT_EINVALID;
	if (y < 0 || y > 10000)
		return GITCHAT_EINVALID;
	*time = gitchat_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	        h * 3600 + mi * 60 + sec - (int64_t)z * 60;
	*tz = z;
	return GITCHAT_TIME_VALID(*time) ? 0 : GITCHAT_EINVALID;
}

int gitchat_date_parse(int64_t *time, int *tz, const char *s)
{
	static const char *months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                "jul", "aug", "sep", "oct", "nov", "dec" };
	char *end;
	long long v;
	size_t digits;
	int y, mo, d, h, mi, sec;

	s = skip_space(s);
	/* git's raw form: seconds, then an optional zone that may be negative. */
	digits = strspn(s, "0123456789");
	if (*s == '@' || (digits >= 9 && (!s[digits] || s[digits] == ' ' || s[digits] == '\t'))) {
		if (*s == '@')
			s++;
		errno = 0;
		v = strtoll(s, &end, 10);
		/* Refused, not clamped: 99999999999999999999 is no time at all. */
		if (end == s || errno == ERANGE || !GITCHAT_TIME_VALID(v) || parse_tz(tz, end) < 0)
			return GITCHAT_EINVALID;
		*time = v;
		return 0;
	}
	if (digits && s[digits] == '-') {         /* ISO 8601 */
		y = field(s, &end);
		if (*end != '-') return GITCHAT_EINVALID;
		s = end + 1;
		mo = field(s, &end);
		if (*end != '-') return GITCHAT_EINVALID;
		s = end + 1;
		d = field(s, &end);
		s = end;
		if (*s != 'T' && *s != 't' && *s != ' ') return GITCHAT_EINVALID;
		s++;
		if (parse_hms(&s, &h, &mi, &sec) < 0) return GITCHAT_EINVALID;
		if (*s == '.') { s++; while (isdigit((unsigned char)*s)) s++; }
		return finish(time, tz, y, mo, d, h, mi, sec, s);
	}
	/* RFC 2822: [Day, ]DD Mon YYYY HH:MM[:SS] zone */
	if (isalpha((unsigned char)*s)) {
		while (isalpha((unsigned char)*s)) s++;
		if (*s == ',') s++;
		s = skip_space(s);
	}
	d = field(s, &end);
	if (end == s) return GITCHAT_EINVALID;
	s = skip_space(end);
	for (mo = 0; mo < 12; mo++)
		if (strncasecmp(s, months[mo], 3) == 0)
			break;
	if (mo == 12) return GITCHAT_EINVALID;
	while (isalpha((unsigned char)*s)) s++;
	s = skip_space(s);
	y = field(s, &end);
	if (end == s) return GITCHAT_EINVALID;
	s = skip_space(end);
	if (parse_hms(&s, &h, &mi, &sec) < 0) return GITCHAT_EINVALID;
	return finish(time, tz, y, mo + 1, d, h, mi, sec, s);
}
