#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "cli.h"

const cli_usage usage_whoami = {
	"whoami",
	"usage: git chat whoami [--key PATH]\n",
	"Prints your public key as 'ssh-keygen -y -f KEY' does and its fingerprint as\n"
	"'ssh-keygen -l -f KEY' does. The key is found as for 'send': --key,\n"
	"GIT_CHAT_KEY, git config chat.key, ~/.config/git-chat/id_ed25519.\n",
	(const cli_option[]){
		{ 'k', 0, "key", "PATH",
		  "the private key (or its .pub) to show", "@file" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

/* What `ssh-keygen -l -f KEY` shows after the fingerprint: it reads KEY.pub
 * when there is one and shows its comment, or its path when the comment is
 * empty; without KEY.pub, the private key's own comment (maybe empty). */
static int listing_comment(gitchat_buf *out, const char *path, const char *own)
{
	gitchat_buf pub = GITCHAT_BUF_INIT;
	char line[8192];
	struct stat st;
	FILE *f;
	int fd, error;

	if (gitchat_buf_printf(&pub, "%s.pub", path) < 0)
		return -1;
	/* O_NONBLOCK and a regular file only: a FIFO there must not hang. */
	fd = open(pub.ptr, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
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

/* The public half of a key from PATH.pub, as ssh-keygen writes it
 * ("ssh-ed25519 BASE64 [COMMENT]"): what whoami shows for a key whose
 * passphrase git-chat cannot use. 0, or -1 when there is no such .pub or
 * it holds no ed25519 key. */
static int read_pub(gitchat_pubkey *out, gitchat_buf *comment, const char *path)
{
	char line[8192], *b64, *end;
	gitchat_buf pub = GITCHAT_BUF_INIT;
	FILE *f = NULL;
	int error = -1;

	if (gitchat_buf_printf(&pub, "%s.pub", path) < 0 || !(f = fopen(pub.ptr, "r")) ||
	    !fgets(line, sizeof(line), f) || strncmp(line, "ssh-ed25519 ", 12) != 0)
		goto done;
	line[strcspn(line, "\r\n")] = '\0';
	b64 = line + 12;
	end = b64 + strcspn(b64, " ");
	/* The key through the library's reader (one base64 reader). */
	if (gitchat_pubkey_load(out, path) < 0)
		goto done;
	while (*end == ' ')
		end++;
	error = gitchat_buf_puts(comment, end) < 0 ? -1 : 0;
done:
	if (f)
		fclose(f);
	gitchat_buf_dispose(&pub);
	return error;
}

/* whoami for a key with a passphrase: its .pub, said on stderr. */
static int whoami_from_pub(const char *path)
{
	gitchat_buf comment = GITCHAT_BUF_INIT, line = GITCHAT_BUF_INIT;
	gitchat_pubkey pk;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	int ret = CLI_EXIT_FATAL;

	if (read_pub(&pk, &comment, path) < 0)
		return cli_fatal_lib();   /* the passphrase error */
	fprintf(stderr, "note: '%s' is protected by a passphrase, which git-chat cannot use to "
	        "sign yet; this is its public key, from '%s.pub'\n", path, path);
	if (gitchat_pubkey_line(&line, &pk, comment.ptr ? comment.ptr : "") < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	gitchat_pubkey_fingerprint(fp, &pk);
	printf("%s\n", line.ptr);
	gitchat_buf_clear(&line);
	if (listing_comment(&line, path, comment.ptr ? comment.ptr : "") < 0) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	printf("256 %s %s (ED25519)\n", fp, line.ptr);
	ret = 0;
done:
	gitchat_buf_dispose(&comment);
	gitchat_buf_dispose(&line);
	return ret;
}

int cmd_whoami(int argc, char **argv)
{
	const char *given = NULL;
	gitchat_store *store = NULL;
	gitchat_key *key = NULL;
	gitchat_buf line = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT;
	char fp[GITCHAT_FINGERPRINT_SIZE];
	cli_parser p;
	int c, ret;

	cli_parser_init(&p, &usage_whoami, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'k': given = p.value; break;
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
	if ((ret = gitchat_key_path_find(&path, store ? gitchat_store_repository(store) : NULL, given)) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if (gitchat_key_load(&key, path.ptr) < 0) {
		ret = gitchat_error_last()->code == GITCHAT_EUNSUPPORTED ? whoami_from_pub(path.ptr)
		                                                         : cli_fatal_lib();
		goto done;
	}
	gitchat_key_free(key);
	key = NULL;
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
