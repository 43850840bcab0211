#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_usage usage_whoami = {
	"whoami",
	"usage: git chat whoami [--key PATH] [--unlock]\n",
	"Prints your public key as 'ssh-keygen -y -f KEY' does and its fingerprint as\n"
	"'ssh-keygen -l -f KEY' does, and on stderr where the key was found and what\n"
	"signs with it. The key is found as for 'send': --key, GIT_CHAT_KEY, git\n"
	"config chat.key, git config user.signingKey (when gpg.format is ssh),\n"
	"~/.config/git-chat/id_ed25519. A public key, or a key file protected by a\n"
	"passphrase, signs through ssh-agent.\n",
	(const cli_option[]){
		{ 'k', 0, "key", "PATH",
		  "the private key (or its .pub) to show", "@file" },
		{ 'u', 0, "unlock", NULL,
		  "also decrypt a key file protected by a passphrase, as\n"
		  "reading a private room does (asks for the passphrase)", NULL },
		CLI_OPT_END
	},
	NULL,
	NULL
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* What `ssh-keygen -l -f KEY` shows after the fingerprint: it reads KEY.pub
 * (or KEY itself when it is a public key) when there is one and shows its
 * comment, or its path when the comment is empty; without it, the private
 * key's own comment (maybe empty). */
static int listing_comment(gitchat_buf *out, const char *location, const gitchat_key *key)
{
	gitchat_buf pub = GITCHAT_BUF_INIT, comment = GITCHAT_BUF_INIT;
	gitchat_pubkey pk;
	int error;

	if (!strncmp(location, "key::", 5))
		return gitchat_buf_puts(out, gitchat_key_comment(key));
	if ((error = ends_with(location, ".pub") ? gitchat_buf_puts(&pub, location)
	                                         : gitchat_buf_printf(&pub, "%s.pub", location)) < 0)
		goto done;
	if (gitchat_pubkey_load_file(&pk, &comment, pub.ptr) == 0)
		error = gitchat_buf_puts(out, comment.size ? comment.ptr : pub.ptr);
	else
		error = gitchat_buf_puts(out, gitchat_key_comment(key));
	gitchat_error_clear();
done:
	gitchat_buf_dispose(&pub);
	gitchat_buf_dispose(&comment);
	return error;
}

/* Where the key came from and what signs with it, for a person: stderr. */
static void say_signer(const char *location, gitchat_key_source source, const gitchat_key *key)
{
	const char *shown = strncmp(location, "key::", 5) ? location : "a key:: literal";

	fprintf(stderr, "key: %s (from %s)\n", shown, gitchat_key_source_name(source));
	if (!gitchat_key_agent_signs(key))
		fprintf(stderr, "signs: with the key file\n");
	else if (gitchat_key_agent_check(key) == 0)
		fprintf(stderr, "signs: through ssh-agent, which holds the key%s\n",
		        gitchat_key_path(key) && ends_with(location, ".pub") == 0 &&
		        strncmp(location, "key::", 5)
		        ? " (the file is protected by a passphrase)" : "");
	else
		fprintf(stderr, "signs: through ssh-agent, but cannot now: %s\n",
		        gitchat_error_last()->message);
	gitchat_error_clear();
}

int cmd_whoami(int argc, char **argv)
{
	const char *given = NULL;
	int unlock = 0;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_buf line = GITCHAT_BUF_INIT, location = GITCHAT_BUF_INIT;
	gitchat_key_source source;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	cli_parser p;
	int c, ret;

	cli_parser_init(&p, &usage_whoami, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'k': given = p.value; break;
		case 'u': unlock = 1; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs)
		return cli_usage_error(&usage_whoami, "unexpected argument '%s'", p.args[0]);
	/* Inside a store its config may name the key; outside, the global one. */
	if (gitchat_store_open(&store, NULL) < 0)
		gitchat_error_clear();
	if (gitchat_key_locate(&location, &source, store ? gitchat_store_repository(store) : NULL,
	                       given) < 0 ||
	    gitchat_key_open(&key, location.ptr) < 0 ||
	    gitchat_pubkey_line(&line, gitchat_key_public(key), gitchat_key_comment(key)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	cli_warn_key_mode(location.ptr, key);
	gitchat_pubkey_fingerprint(fp, gitchat_key_public(key));
	printf("%s\n", line.ptr);
	gitchat_buf_clear(&line);
	if (listing_comment(&line, location.ptr, key) < 0) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	printf("256 %s %s (ED25519)\n", fp, line.ptr);
	fflush(stdout);
	say_signer(location.ptr, source, key);
	ret = 0;
	if (unlock && gitchat_key_agent_signs(key)) {
		if (gitchat_key_unlock(key, cli_passphrase, NULL) < 0)
			ret = cli_fatal_lib();
		else
			fprintf(stderr, "unlocked: the key file decrypts (private rooms can be read)\n");
	}
done:
	gitchat_key_free(key);
	gitchat_store_free(store);
	gitchat_buf_dispose(&line);
	gitchat_buf_dispose(&location);
	return ret;
}
