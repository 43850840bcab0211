#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

const cli_usage usage_export = {
	"export",
	"usage: git chat export [-r ROOM] -o FILE.html\n",
	"Writes the conversation of ROOM as one self-contained HTML page: inline CSS,\n"
	"no scripts, nothing loaded from anywhere (a Content-Security-Policy says so\n"
	"too). Markdown is rendered safely: raw HTML is shown as text, only http:,\n"
	"https:, mailto: and relative links are kept, images become links. Every\n"
	"name, email, text and reaction is escaped. Redacted messages show as\n"
	"'message deleted' (git history still holds their text). Times are UTC.\n"
	"The files of the messages shown are written next to the page, into\n"
	"FILE_files/<id>/ (as 'git chat save' writes them: safe names, never over an\n"
	"existing file), and linked with relative links; with -o - they are listed\n"
	"but not written.\n",
	(const cli_option[]){
		{ 'r', 'r', "room", "ROOM",
		  "the room (default: git config chat.room, else general)", "@room" },
		{ 'o', 'o', "output", "FILE",
		  "where to write the page ('-': standard output);\n"
		  "written to a temporary file, then renamed", "@file" },
		CLI_OPT_END
	},
	NULL,
	NULL
};

/* Where the files of a page go: "<page without .html>_files", beside it:
 * `rel` relative to the page, `dir` from the current directory. */
static int files_dir(gitchat_buf *dir, gitchat_buf *rel, const char *output)
{
	const char *slash = strrchr(output, '/'), *base = slash ? slash + 1 : output;
	size_t n = strlen(base);

	if (n > 5 && !strcmp(base + n - 5, ".html"))
		n -= 5;
	else if (n > 4 && !strcmp(base + n - 4, ".htm"))
		n -= 4;
	if (gitchat_buf_put(rel, base, n) < 0 || gitchat_buf_puts(rel, "_files") < 0 ||
	    (slash && gitchat_buf_put(dir, output, (size_t)(slash - output + 1)) < 0) ||
	    gitchat_buf_put(dir, rel->ptr, rel->size) < 0)
		return -1;
	return 0;
}

/* Writes the files of `it` into DIR/<12 hex>/ and fills paths[] relative
 * to the page; 0 or the exit code after the error. */
static int export_files(gitchat_store *store, const gitchat_view_item *it, const char *dir,
                        const char *rel, char **paths)
{
	gitchat_buf sub = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT;
	char hex[13];
	int ret = 0;

	git_oid_tostr(hex, sizeof(hex), &it->msg->id);
	if (gitchat_buf_printf(&sub, "%s/%s", dir, hex) < 0) {
		ret = cli_fatal("out of memory");
		goto done;
	}
	if ((mkdir(dir, 0777) < 0 && errno != EEXIST) || (mkdir(sub.ptr, 0777) < 0 && errno != EEXIST)) {
		ret = cli_fatal("cannot create '%s': %s", sub.ptr, strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < it->msg->file_count; i++) {
		const char *leaf;
		gitchat_buf_clear(&path);
		if (gitchat_file_save(&path, store, it->msg, i, sub.ptr) < 0) {
			ret = cli_fatal("cannot write file %zu of %s: %s", i + 1, hex,
			                gitchat_error_last()->message);
			goto done;
		}
		leaf = strrchr(path.ptr, '/') + 1;
		if (asprintf(&paths[i], "%s/%s/%s", rel, hex, leaf) < 0) {
			paths[i] = NULL;
			ret = cli_fatal("out of memory");
			goto done;
		}
	}
done:
	gitchat_buf_dispose(&sub);
	gitchat_buf_dispose(&path);
	return ret;
}

/* One item, with its files written beside the page when there is one. */
static int export_item(gitchat_buf *page, gitchat_html_renderer *html, gitchat_store *store,
                       const gitchat_view_item *it, const gitchat_buf *dir,
                       const gitchat_buf *rel)
{
	char **paths = NULL;
	size_t n = it->redacted ? 0 : it->msg->file_count, i;
	int ret = 0;

	if (n && dir->size) {
		if (!(paths = calloc(n, sizeof(*paths))))
			return cli_fatal("out of memory");
		ret = export_files(store, it, dir->ptr, rel->ptr, paths);
	}
	if (ret == 0 && gitchat_html_render_item_files(page, html, it,
	                                               (const char *const *)paths) < 0)
		ret = cli_fatal_lib();
	for (i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

static int flush_page(FILE *f, gitchat_buf *page)
{
	if (page->size && fwrite(page->ptr, 1, page->size, f) != page->size)
		return -1;
	gitchat_buf_clear(page);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	reader_opts ro = READER_OPTS_INIT;
	gitchat_store *store = NULL;
	gitchat_conversation *conv = NULL;
	gitchat_view *view = NULL;
	gitchat_html_renderer *html = NULL;
	gitchat_buf page = GITCHAT_BUF_INIT, dir = GITCHAT_BUF_INIT, rel = GITCHAT_BUF_INIT;
	const char *output = NULL;
	char *room = NULL, *tmp = NULL;
	FILE *f = NULL;
	size_t i, n;
	cli_parser p;
	int c, fd, ret;

	cli_parser_init(&p, &usage_export, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		if (reader_opt(&ro, c, p.value))
			continue;
		switch (c) {
		case 'o': output = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if ((ret = reader_opts_finish(&ro, &p)) != 0)
		return ret;
	if (!output)
		return cli_usage_error(&usage_export, "where to? give -o FILE.html (or -o - for stdout)");
	if ((ret = cli_open_store(&store)) != 0 ||
	    (ret = cli_room(&room, gitchat_store_repository(store), ro.room_arg)) != 0)
		goto done;
	if (reader_load(&conv, store, room) < 0 ||
	    gitchat_view_new(&view, conv) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if (gitchat_room_type(room) == GITCHAT_ROOM_PRIVATE)
		cli_warn("'%s' is a private room: the page holds its messages decrypted, in "
		         "plaintext; keep it as you would the key", room);
	/* Before any file is written: no page of a misspelt room. */
	if (!gitchat_conversation_count(conv) && (ret = reader_require_room(store, room)) != 0)
		goto done;
	if (!strcmp(output, "-")) {
		f = stdout;
	} else {
		if (files_dir(&dir, &rel, output) < 0) {
			ret = cli_fatal("out of memory");
			goto done;
		}
		if (asprintf(&tmp, "%s.tmp-XXXXXX", output) < 0) {
			tmp = NULL;
			ret = cli_fatal("out of memory");
			goto done;
		}
		if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
			ret = cli_fatal("cannot write '%s': %s; check that its directory exists "
			                "and is writable", output, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			tmp = NULL;
			goto done;
		}
		{
			/* mkstemp makes 0600; a page is a document like any other. */
			mode_t um = umask(0);
			umask(um);
			if (fchmod(fd, 0666 & ~um) < 0) { /* keep 0600 */ }
		}
	}
	if (gitchat_html_renderer_new(&html, &page, room) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	n = gitchat_conversation_count(conv);
	for (i = 0; i < n; i++) {
		gitchat_view_item *it = NULL;
		if (!gitchat_view_visible(view, i))
			continue;
		if (gitchat_view_item_load(&it, view, i) < 0) {
			ret = cli_fatal_lib();
			goto done;
		}
		if ((ret = export_item(&page, html, store, it, &dir, &rel)) != 0) {
			gitchat_view_item_free(it);
			goto done;
		}
		gitchat_view_item_free(it);
		if (page.size > 1 << 20 && flush_page(f, &page) < 0)
			break;
	}
	if (gitchat_html_renderer_finish(&page, html) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	if (flush_page(f, &page) < 0 || fflush(f) != 0 || (f != stdout && fsync(fileno(f)) < 0)) {
		ret = cli_fatal("cannot write '%s': %s", output, strerror(errno));
		goto done;
	}
	if (f != stdout) {
		if (fclose(f) != 0) {
			f = NULL;
			ret = cli_fatal("cannot write '%s': %s", output, strerror(errno));
			goto done;
		}
		f = NULL;
		if (rename(tmp, output) < 0) {
			ret = cli_fatal("cannot rename '%s' to '%s': %s", tmp, output, strerror(errno));
			goto done;
		}
		free(tmp);
		tmp = NULL;
	}
	ret = 0;
done:
	if (f && f != stdout)
		fclose(f);
	if (tmp) {
		unlink(tmp);   /* no half-written page is left behind */
		free(tmp);
	}
	gitchat_html_renderer_free(html);
	gitchat_buf_dispose(&page);
	gitchat_buf_dispose(&dir);
	gitchat_buf_dispose(&rel);
	gitchat_view_free(view);
	gitchat_conversation_free(conv);
	gitchat_store_free(store);
	free(room);
	return ret;
}
