#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: git chat whoami [--key PATH]\n"
	"\n"
	"Prints your public key as 'ssh-keygen -y -f KEY' does and its fingerprint as\n"
	"'ssh-keygen -l -f KEY' does. The key is found as for 'send': --key,\n"
	"GIT_CHAT_KEY, git config chat.key, ~/.config/git-chat/id_ed25519.\n";

/* What `ssh-keygen -l -f KEY` shows after the fingerprint: it reads KEY.pub
 * when there is one and shows its comment, or its path when the comment is
 * empty; without KEY.pub, the private key's own comment (maybe empty). */
static int listing_comment(gitchat_buf *out, const char *path, const char *own)
{
	gitchat_buf pub = GITCHAT_BUF_INIT;
	char line[8192];
	FILE *f;
	int error;

	if (gitchat_buf_printf(&pub, "%s.pub", path) < 0)
		return -1;
	if (!(f = fopen(pub.ptr, "r"))) {
		gitchat_buf_dispose(&pub);
		return gitchat_buf_puts(out, own);
	}
	if (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ' ');
		c = c ? strchr(c + 1, ' ') : NULL;
		line[strcspn(line, "\r\n")] = '\0';
		if (c && c[1]) {
			while (*c == ' ')
				c++;
			own = c;
		} else {
			own = pub.ptr;
		}
	} else {
		own = pub.ptr;
	}
	fclose(f);
	error = gitchat_buf_puts(out, own);
	gitchat_buf_dispose(&pub);
	return error;
}

int cmd_whoami(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *given = NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_buf line = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	int c, ret;

	while ((c = cli_getopt(argc, argv, "k:h", opts, usage)) != 0) {
		switch (c) {
		case 'k': given = optarg; break;
		case 'h': return cli_help(usage);
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	/* Inside a store its config may name the key; outside, the global one. */
	if (gitchat_store_open(&store, NULL) < 0)
		gitchat_error_clear();
	if ((ret = gitchat_key_path_find(&path, store ? gitchat_store_repository(store) : NULL, given)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if ((ret = cli_load_key(&key, NULL, path.ptr)) != 0)
		goto done;
	if (gitchat_pubkey_line(&line, gitchat_key_public(key), gitchat_key_comment(key)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	gitchat_pubkey_fingerprint(fp, gitchat_key_public(key));
	printf("%s\n", line.ptr);
	gitchat_buf_clear(&line);
	if (listing_comment(&line, path.ptr, gitchat_key_comment(key)) < 0) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	printf("256 %s %s (ED25519)\n", fp, line.ptr);
	ret = 0;
done:
	gitchat_key_free(key);
	gitchat_store_free(store);
	gitchat_buf_dispose(&line);
	gitchat_buf_dispose(&path);
	return ret;
}
