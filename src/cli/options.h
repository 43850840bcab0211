/*
 * git-style command lines from one table per command: the same table
 * parses the options and prints the usage text, and the completion script
 * and the man page test read it too, so the three cannot drift apart.
 *
 * As git's parse-options: options anywhere among the operands, "--" ends
 * them, "-abc" clusters, "-rROOM", "-r ROOM", "--room=ROOM", "--room ROOM",
 * a long option by any unique prefix. "-" alone is an operand (stdin).
 */
#ifndef GITCHAT_CLI_OPTIONS_H
#define GITCHAT_CLI_OPTIONS_H

#include <stdio.h>

typedef struct {
	int id;               /* what cli_parse_next() returns: > 0 */
	char short_name;      /* 0: none */
	const char *long_name;
	const char *value;    /* NULL: a flag; else the value's name ("ROOM") */
	/* The usage line; "\n" continues it on the next line, under the text.
	 * NULL: accepted but not shown (an alias such as --after). */
	const char *help;
	/* What completion offers for the value: "@room", "@remote", "@file",
	 * or the words themselves ("text json"); NULL: nothing. */
	const char *complete;
} cli_option;

/* The entry that ends a table. */
#define CLI_OPT_END { 0, 0, NULL, NULL, NULL, NULL }

typedef struct {
	const char *name;        /* "sync" */
	const char *synopsis;    /* the "usage: ..." lines, each ending in "\n" */
	const char *about;       /* the paragraphs between synopsis and options */
	const cli_option *options; /* ends with an entry whose id is 0 */
	const char *after;       /* paragraphs after the options, or NULL */
	/* What completion offers for operands ("@remote", "@room", words). */
	const char *operands;
} cli_usage;

typedef struct {
	const cli_usage *usage;
	int argc;
	char **argv;
	int next;             /* the next argv index to read */
	const char *cluster;  /* the rest of "-abc" after a flag */
	int dashdash;         /* after "--": all operands */
	/* After each option: its value (or NULL) and how it was written. */
	const char *value;
	char given[64];
	/* At the end (cli_parse_next() returned 0): the operands, in order. */
	int nargs;
	char **args;
	/* After cli_parse_next() returned -1: the exit code (0 after --help). */
	int exit;
} cli_parser;

void cli_parser_init(cli_parser *p, const cli_usage *usage, int argc, char **argv);
/* The id of the next option, 0 at the end (operands in p->args), or -1
 * after an unknown option, a missing or unwanted value (the error and the
 * synopsis printed, p->exit 129) or -h/--help (the usage printed on
 * stdout, p->exit 0). Operands are gathered in argv itself. */
int cli_parse_next(cli_parser *p);

/* The whole usage text (what --help prints). */
void cli_usage_print(FILE *f, const cli_usage *usage);
/* The synopsis only (what a usage error prints). */
void cli_usage_print_synopsis(FILE *f, const cli_usage *usage);

#endif
