#include <string.h>

#include "cli.h"

void cli_parser_init(cli_parser *p, const cli_usage *usage, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->usage = usage;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
	p->args = argv + 1;
}

/* "<prefix>'<the option as given>'<suffix>" */
static int parse_error(cli_parser *p, const char *prefix, const char *suffix)
{
	cli_usage_error(p->usage, "%s'%s'%s", prefix, p->given, suffix);
	p->exit = CLI_EXIT_USAGE;
	return -1;
}

static int help(cli_parser *p)
{
	cli_usage_print(stdout, p->usage);
	p->exit = 0;
	return -1;
}

/* "--name", "--name=value" or "--name value"; `s` is after the dashes. */
static int parse_long(cli_parser *p, const char *s)
{
	const cli_option *o, *found = NULL;
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : strlen(s);
	int ambiguous = 0;

	snprintf(p->given, sizeof(p->given), "--%.*s", (int)(n < 60 ? n : 60), s);
	for (o = p->usage->options; o && o->id; o++) {
		if (!o->long_name || strncmp(o->long_name, s, n) != 0)
			continue;
		if (!o->long_name[n]) {   /* exact: wins over any prefix */
			found = o;
			ambiguous = 0;
			break;
		}
		if (found && found->id != o->id)
			ambiguous = 1;
		found = o;
	}
	if (!found && n == 4 && !strncmp(s, "help", 4) && !eq)
		return help(p);
	if (!found)
		return parse_error(p, "unknown option ", "");
	if (ambiguous)
		return parse_error(p, "ambiguous option ", "; give more of its name");
	snprintf(p->given, sizeof(p->given), "--%s", found->long_name);
	if (!found->value) {
		if (eq)
			return parse_error(p, "option ", " takes no value");
		return found->id;
	}
	if (eq)
		p->value = eq + 1;
	else if (p->next < p->argc)
		p->value = p->argv[p->next++];
	else
		return parse_error(p, "option ", " needs a value");
	return found->id;
}

/* One letter of "-abc"; a letter that takes a value takes the rest of the
 * cluster, else the next argument. */
static int parse_short(cli_parser *p)
{
	const cli_option *o;
	char c = *p->cluster++;

	snprintf(p->given, sizeof(p->given), "-%c", c);
	for (o = p->usage->options; o && o->id; o++)
		if (o->short_name == c)
			break;
	if (!o || !o->id) {
		p->cluster = NULL;
		if (c == 'h')
			return help(p);
		return parse_error(p, "unknown option ", "");
	}
	if (o->value) {
		if (*p->cluster)
			p->value = p->cluster;
		else if (p->next < p->argc)
			p->value = p->argv[p->next++];
		else
			return parse_error(p, "option ", " needs a value");
		p->cluster = NULL;
	} else if (!*p->cluster) {
		p->cluster = NULL;
	}
	return o->id;
}

int cli_parse_next(cli_parser *p)
{
	p->value = NULL;
	if (p->cluster)
		return parse_short(p);
	while (p->next < p->argc) {
		char *a = p->argv[p->next++];
		if (p->dashdash || a[0] != '-' || !a[1]) {
			/* Never ahead of the reading: argv[1 + nargs] is free. */
			p->args[p->nargs++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			p->dashdash = 1;
			continue;
		}
		if (a[1] == '-')
			return parse_long(p, a + 2);
		p->cluster = a + 1;
		return parse_short(p);
	}
	return 0;
}

/* "    -r, --room ROOM" */
static int option_left(char *buf, size_t size, const cli_option *o)
{
	char sh[8] = "    ";

	if (o->short_name)
		snprintf(sh, sizeof(sh), "-%c%s", o->short_name, o->long_name ? ", " : "");
	return snprintf(buf, size, "    %s%s%s%s%s", sh, o->long_name ? "--" : "",
	                o->long_name ? o->long_name : "", o->value ? " " : "",
	                o->value ? o->value : "");
}

static void print_options(FILE *f, const cli_option *opts)
{
	const cli_option *o;
	char left[128];
	int col = 26, n;

	for (o = opts; o && o->id; o++)
		if (o->help && (n = option_left(left, sizeof(left), o) + 2) > col)
			col = n;
	for (o = opts; o && o->id; o++) {
		const char *h = o->help, *nl;
		if (!h)
			continue;
		option_left(left, sizeof(left), o);
		fprintf(f, "%-*s", col, left);
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, col, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
}

void cli_usage_print_synopsis(FILE *f, const cli_usage *u)
{
	fputs(u->synopsis, f);
}

void cli_usage_print(FILE *f, const cli_usage *u)
{
	const cli_option *o;
	int shown = 0;

	fputs(u->synopsis, f);
	if (u->about)
		fprintf(f, "\n%s", u->about);
	for (o = u->options; o && o->id; o++)
		shown |= o->help != NULL;
	if (shown) {
		fputc('\n', f);
		print_options(f, u->options);
	}
	if (u->after)
		fprintf(f, "\n%s", u->after);
}
