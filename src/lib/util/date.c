#include <ctype.h>
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

static int parse_hms(const char **s, int *h, int *mi, int *sec)
{
	char *end;
	*h = (int)strtol(*s, &end, 10);
	if (end == *s || *end != ':') return -1;
	*s = end + 1;
	*mi = (int)strtol(*s, &end, 10);
	if (end == *s) return -1;
	*sec = 0;
	if (*end == ':') {
		*s = end + 1;
		*sec = (int)strtol(*s, &end, 10);
		if (end == *s) return -1;
	}
	*s = end;
	return (*h > 23 || *mi > 59 || *sec > 60) ? -1 : 0;
}

static int finish(int64_t *time, int *tz, int64_t y, int mo, int d, int h, int mi, int sec,
                  const char *rest)
{
	int z;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || parse_tz(&z, rest) < 0)
		return GITCHAT_EINVALID;
	*time = gitchat_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	        h * 3600 + mi * 60 + sec - (int64_t)z * 60;
	*tz = z;
	return 0;
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
		v = strtoll(s, &end, 10);
		if (end == s || v < 0 || parse_tz(tz, end) < 0)
			return GITCHAT_EINVALID;
		*time = v;
		return 0;
	}
	if (digits && s[digits] == '-') {         /* ISO 8601 */
		y = (int)strtol(s, &end, 10);
		if (*end != '-') return GITCHAT_EINVALID;
		s = end + 1;
		mo = (int)strtol(s, &end, 10);
		if (*end != '-') return GITCHAT_EINVALID;
		s = end + 1;
		d = (int)strtol(s, &end, 10);
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
	d = (int)strtol(s, &end, 10);
	if (end == s) return GITCHAT_EINVALID;
	s = skip_space(end);
	for (mo = 0; mo < 12; mo++)
		if (strncasecmp(s, months[mo], 3) == 0)
			break;
	if (mo == 12) return GITCHAT_EINVALID;
	while (isalpha((unsigned char)*s)) s++;
	y = (int)strtol(s, &end, 10);
	if (end == s) return GITCHAT_EINVALID;
	s = skip_space(end);
	if (parse_hms(&s, &h, &mi, &sec) < 0) return GITCHAT_EINVALID;
	return finish(time, tz, y, mo + 1, d, h, mi, sec, s);
}
