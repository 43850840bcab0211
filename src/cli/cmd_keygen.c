#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const cli_usage usage_keygen = {
	"keygen",
	"usage: git chat keygen [-f PATH] [-C COMMENT] [--force]\n",
	"Creates an ed25519 identity key in OpenSSH format (mode 0600) and its\n"
	"PATH.pub. Without -f the key goes where git-chat looks for it: GIT_CHAT_KEY,\n"
	"git config chat.key, else ~/.config/git-chat/id_ed25519.\n",
	(const cli_option[]){
		{ 'f', 'f', "file", "PATH",
		  "where to write the private key", "@file" },
		{ 'C', 'C', "comment", "TEXT",
		  "the key's comment (default: user.email, else user@host)", NULL },
		{ 'F', 0, "force", NULL,
		  "replace an existing key (the old one is lost)", NULL },
		CLI_OPT_END
	},
	NULL,
	NULL
};

static char *default_comment(void)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	char host[256] = "localhost", *out = NULL;
	const char *user = getenv("USER");

	if (git_config_open_default(&cfg) == 0 &&
	    git_config_get_string_buf(&v, cfg, "user.email") == 0 && v.size)
		out = strdup(v.ptr);
	git_buf_dispose(&v);
	git_config_free(cfg);
	if (out)
		return out;
	gethostname(host, sizeof(host) - 1);
	if (asprintf(&out, "%s@%s", user ? user : "git-chat", host) < 0)
		return NULL;
	return out;
}

/* What the user would be told too late, or about the wrong file: a
 * missing directory (the library's error names its temporary file) and
 * an existing key (the library checks the .pub first). */
static int check_target(const char *path, int force)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int ret = 0;

	if (!copy)
		return cli_fatal("out of memory");
	dir = dirname(copy);
	if (stat(dir, &st) < 0 && errno == ENOENT)
		ret = cli_fatal("cannot write the key to '%s': the directory '%s' does not exist; "
		                "create it first, or choose another path with -f", path, dir);
	else if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		ret = cli_fatal("cannot write the key to '%s': '%s' is not a directory; choose "
		                "another path with -f", path, dir);
	/* A symbolic link: the library refuses it, and says so. */
	else if (!force && lstat(path, &st) == 0 && !S_ISLNK(st.st_mode))
		ret = cli_fatal("'%s' already exists; use --force to replace it (the old key is lost)",
		                path);
	free(copy);
	return ret;
}

int cmd_keygen(int argc, char **argv)
{
	const char *file = NULL, *comment = NULL;
	char *comment_alloc = NULL, *dir = NULL;
	gitchat_buf path = GITCHAT_BUF_INIT, line = GITCHAT_BUF_INIT;
	gitchat_key *key = NULL;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	cli_parser p;
	int c, force = 0, ret = CLI_EXIT_FATAL;

	cli_parser_init(&p, &usage_keygen, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'f': file = p.value; break;
		case 'C': comment = p.value; break;
		case 'F': force = 1; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs)
		return cli_usage_error(&usage_keygen, "unexpected argument '%s'", p.args[0]);
	if (gitchat_key_path(&path, NULL, file) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if (!comment && !(comment = comment_alloc = default_comment())) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	if (!file && (dir = strdup(path.ptr))) {
		/* The default location's directory is ours to create, private. */
		char *d = dirname(dir);
		char cmd_dir[4096];
		snprintf(cmd_dir, sizeof(cmd_dir), "%s", d);
		for (char *s = cmd_dir + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(cmd_dir, 0700);
				*s = '/';
			}
		mkdir(cmd_dir, 0700);
	}
	if ((ret = check_target(path.ptr, force)) != 0)
		goto done;
	if (gitchat_key_generate(&key, comment) < 0 ||
	    gitchat_key_write(key, path.ptr, force ? GITCHAT_KEY_WRITE_FORCE : 0) < 0 ||
	    gitchat_pubkey_line(&line, gitchat_key_public(key), gitchat_key_comment(key)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	gitchat_pubkey_fingerprint(fp, gitchat_key_public(key));
	fprintf(stderr, "Your identity key is in %s (public key in %s.pub)\n", path.ptr, path.ptr);
	fprintf(stderr, "Its fingerprint is %s\n", fp);
	printf("%s\n", line.ptr);
	ret = 0;
done:
	gitchat_key_free(key);
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&line);
	free(comment_alloc);
	free(dir);
	return ret;
}
