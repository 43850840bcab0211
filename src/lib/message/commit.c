#include <stdlib.h>
#include <string.h>

#include "gitchat/sshsig.h"
#include "message/commit.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/error.h"
#include "util/filename.h"
#include "util/utf8.h"

#define COMMIT_MAX (16 * 1024 * 1024)

static int bad(const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "malformed commit: %s", why);
}

static int parse_oid(git_oid *out, const char *p, size_t len)
{
	if (len != GIT_OID_HEXSZ)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
	return git_oid_fromstrn(out, p, len) < 0 ? -1 : 0;
}

/* An identity line value as git's fsck_ident accepts it (git fsck and
 * receive.fsckObjects refuse anything else, so such a log could never be
 * pushed to a hooked server): "name <email> time +hhmm", the name and email
 * free of '<', '>', NUL and newlines, one space before '<' (the name may be
 * empty), the time in digits without leading zeros, the zone four digits.
 * NULL when it is one; otherwise why not. */
static const char *parse_ident(gitchat_ident *id, const char *p, size_t len)
{
	const char *end = p + len, *lt, *gt, *q;
	int64_t t = 0;
	int sign, tz;

	if (memchr(p, '\0', len))
		return "it contains a NUL byte";
	if (len && *p == '<')
		return "there is no space before the email";
	for (lt = p; lt < end && *lt != '<' && *lt != '>'; lt++)
		;
	if (lt == end || *lt == '>')
		return lt == end ? "there is no email" : "the name contains '>'";
	if (lt[-1] != ' ')
		return "there is no space before the email";
	for (gt = lt + 1; gt < end && *gt != '<' && *gt != '>'; gt++)
		;
	if (gt == end || *gt != '>')
		return "the email contains '<' or does not end with '>'";
	id->name = p;
	id->name_len = (size_t)(lt - p);
	while (id->name_len && p[id->name_len - 1] == ' ')
		id->name_len--;
	id->email = lt + 1;
	id->email_len = (size_t)(gt - lt - 1);
	q = gt + 1;
	if (q >= end || *q++ != ' ' || q >= end || *q < '0' || *q > '9')
		return "there is no time after the email";
	if (*q == '0' && q + 1 < end && q[1] != ' ')
		return "its time has a leading zero";
	while (q < end && *q >= '0' && *q <= '9') {
		int d = *q++ - '0';
		if (t > (INT64_MAX - d) / 10)
			return "its time is too large";
		t = t * 10 + d;
	}
	if (end - q != 6 || q[0] != ' ' || (q[1] != '+' && q[1] != '-'))
		return "its time zone is not +hhmm or -hhmm";
	for (int i = 2; i < 6; i++)
		if (q[i] < '0' || q[i] > '9')
			return "its time zone is not +hhmm or -hhmm";
	/* Any four digits, as git takes them: +0099 is 99 minutes. */
	sign = q[1] == '-' ? -1 : 1;
	tz = ((q[2] - '0') * 10 + (q[3] - '0')) * 60 + (q[4] - '0') * 10 + (q[5] - '0');
	id->time = t;
	id->tz = sign * tz;
	return NULL;
}

/* A decimal number as we write it: digits, no leading zero (but "0"),
 * at most `max`. The length read, or 0 when there is none. */
static size_t parse_num(uint64_t *out, const char *p, size_t len, uint64_t max)
{
	size_t i = 0;
	uint64_t v = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (i == 1 && p[0] == '0')
			return 0;
		if (v > (max - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(p[i++] - '0');
	}
	*out = v;
	return i;
}

/* `chat-file <n> <size> <name>`: n is the next number (1, 2, ... in
 * order), both numbers as we write them, the name the rest of the line
 * (checked with the tree by gitchat_commit_check). */
int gitchat_commit_file_parse(gitchat_commit *c, const char *val, size_t len)
{
	uint64_t n, size;
	size_t a, b;
	gitchat_commit_file *f;

	if (c->file_count >= GITCHAT_MAX_FILES)
		return bad("it has more than 100 chat-file headers");
	if (!(a = parse_num(&n, val, len, GITCHAT_MAX_FILES)) || a >= len || val[a] != ' ' ||
	    !(b = parse_num(&size, val + a + 1, len - a - 1, UINT64_MAX / 2)) ||
	    a + 1 + b >= len || val[a + 1 + b] != ' ')
		return bad("a chat-file header is not '<n> <size> <name>' in decimal");
	if (n != c->file_count + 1)
		return bad("the chat-file headers are not numbered 1, 2, ... in order");
	if (!(f = realloc(c->files, (c->file_count + 1) * sizeof(*f))))
		return gitchat_error_oom();
	c->files = f;
	f += c->file_count++;
	f->size = size;
	f->name = val + a + b + 2;
	f->name_len = len - a - b - 2;
	return 0;
}

/* Up to the blank line that ends the header (all of it without one). */
static size_t header_len(const char *raw, size_t len)
{
	const char *e = len && raw[0] == '\n' ? raw : memmem(raw, len, "\n\n", 2);
	return e ? (size_t)(e - raw) : len;
}

static int key_is(const char *line, size_t keylen, const char *key)
{
	return keylen == strlen(key) && memcmp(line, key, keylen) == 0;
}

/* The headers we read a value from: a continuation line would be part of
 * the value for git and not for us. */
static int known_header(const char *line, size_t keylen)
{
	static const char *const known[] = { "tree", "parent", "author", "committer", "encoding",
		"chat-room", "chat-reply", "chat-edit", "chat-redact", "chat-react", "chat-file" };
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (key_is(line, keylen, known[i]))
			return 1;
	return 0;
}

int gitchat_commit_parse(gitchat_commit *c, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	size_t nparents = 0, capparents = 0;
	int stage = 0; /* 0 tree, 1 parents, 2 committer expected, 3 after committer */
	int encodings = 0, error = 0;

	memset(c, 0, sizeof(*c));
	if (len > COMMIT_MAX)
		return bad("the commit is larger than 16 MiB");
	if (memchr(raw, '\0', header_len(raw, len)))
		return bad("its header contains a NUL byte (git fsck refuses it)");
	while (p < end && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *sp, *val, *next;
		size_t keylen, vallen;
		int is_sig;

		if (!eol)
			{ error = bad("the header does not end"); goto fail; }
		if (*p == ' ')
			{ error = bad("a continuation line has no header"); goto fail; }
		sp = memchr(p, ' ', (size_t)(eol - p));
		keylen = sp ? (size_t)(sp - p) : (size_t)(eol - p);
		val = sp ? sp + 1 : eol;
		vallen = (size_t)(eol - val);
		next = eol + 1;
		while (next < end && *next == ' ') {       /* continuation lines */
			const char *e2 = memchr(next, '\n', (size_t)(end - next));
			if (!e2)
				{ error = bad("the header does not end"); goto fail; }
			next = e2 + 1;
		}
		is_sig = key_is(p, keylen, "gpgsig");
		if (is_sig || key_is(p, keylen, "gpgsig-sha256")) {
			c->signature_count++;
		} else if (c->signature_count) {
			/* One encoding per signed commit: git signs the commit without
			 * its gpgsig header wherever that sits, so a header moved past
			 * it would make a second commit over the same signature. */
			error = bad("a header follows the gpgsig header, which must be the last one "
			            "(as git writes it)");
			goto fail;
		} else if (next != eol + 1 && known_header(p, keylen)) {
			error = bad("a header other than gpgsig continues on a second line");
			goto fail;
		}
		if (is_sig && c->signature_count == 1) {
			/* Unfold: first line value, then each continuation minus its space. */
			const char *q = val;
			if ((error = gitchat_buf_put(&c->signature, val, vallen)) < 0)
				goto fail;
			q = eol + 1;
			while (q < next) {
				const char *e2 = memchr(q, '\n', (size_t)(next - q));
				if ((error = gitchat_buf_putc(&c->signature, '\n')) < 0 ||
				    (error = gitchat_buf_put(&c->signature, q + 1, (size_t)(e2 - q - 1))) < 0)
					goto fail;
				q = e2 + 1;
			}
			if ((error = gitchat_buf_putc(&c->signature, '\n')) < 0)
				goto fail;
		} else if (!is_sig && (error = gitchat_buf_put(&c->payload, p, (size_t)(next - p))) < 0) {
			goto fail;
		}

		if (key_is(p, keylen, "tree")) {
			if (stage != 0 || parse_oid(&c->tree, val, vallen) < 0)
				{ error = bad("the tree line is missing, misplaced or invalid"); goto fail; }
			stage = 1;
		} else if (key_is(p, keylen, "parent")) {
			if (stage != 1)
				{ error = bad("a parent line is misplaced"); goto fail; }
			if (nparents == capparents) {
				git_oid *np;
				capparents = capparents ? capparents * 2 : 4;
				if (capparents > 4096 || !(np = realloc(c->parents, capparents * sizeof(git_oid))))
					{ error = bad("too many parents"); goto fail; }
				c->parents = np;
			}
			if (parse_oid(&c->parents[nparents], val, vallen) < 0)
				{ error = bad("a parent line is invalid"); goto fail; }
			c->parent_count = ++nparents;
		} else if (key_is(p, keylen, "author") || key_is(p, keylen, "committer")) {
			int author = p[0] == 'a';
			const char *why;
			if (stage != (author ? 1 : 2))
				{ error = bad(author ? "the author line is missing or misplaced"
				                     : "the committer line is missing or misplaced"); goto fail; }
			if ((why = parse_ident(author ? &c->author : &c->committer, val, vallen))) {
				error = gitchat_error_set(GITCHAT_EINVALID, "malformed commit: its %s line "
				                          "is invalid: %s", author ? "author" : "committer", why);
				goto fail;
			}
			stage = author ? 2 : 3;
		} else if (stage != 3) {
			error = bad("the header does not start with tree, parents, author, committer");
			goto fail;
		} else if (key_is(p, keylen, "chat-room")) {
			if (c->room_count++ == 0) {
				c->room = val;
				c->room_len = vallen;
			}
		} else if (key_is(p, keylen, "chat-reply")) {
			if (c->has_reply || parse_oid(&c->reply_to, val, vallen) < 0)
				{ error = bad("the chat-reply header is repeated or not an object id"); goto fail; }
			c->has_reply = 1;
		} else if (key_is(p, keylen, "chat-edit") || key_is(p, keylen, "chat-redact") ||
		           key_is(p, keylen, "chat-react")) {
			c->kind = p[5] == 'e' ? GITCHAT_MESSAGE_EDIT :
			          p[7] == 'd' ? GITCHAT_MESSAGE_REDACT : GITCHAT_MESSAGE_REACT;
			c->kind_count++;
			if (parse_oid(&c->target, val, vallen) < 0)
				{ error = bad("a chat-edit/redact/react header is not an object id"); goto fail; }
		} else if (key_is(p, keylen, "chat-file")) {
			if ((error = gitchat_commit_file_parse(c, val, vallen)) < 0)
				goto fail;
		} else if (key_is(p, keylen, "encoding")) {
			if (encodings++)
				{ error = bad("the encoding header is repeated"); goto fail; }
			c->has_encoding = !(vallen == 5 && (memcmp(val, "UTF-8", 5) == 0 ||
			                                    memcmp(val, "utf-8", 5) == 0));
		}
		p = next;
	}
	if (p >= end)
		{ error = bad("there is no blank line before the message"); goto fail; }
	if (stage != 3)
		{ error = bad("the author or committer line is missing"); goto fail; }
	if ((error = gitchat_buf_put(&c->payload, p, (size_t)(end - p))) < 0)
		goto fail;
	c->text = p + 1;
	c->text_len = c->body_len = (size_t)(end - p - 1);
	if (c->text_len && c->text[c->text_len - 1] == '\n')
		c->text_len--;
	return 0;
fail:
	gitchat_commit_dispose(c);
	return error;
}

void gitchat_commit_dispose(gitchat_commit *c)
{
	free(c->parents);
	free(c->files);
	gitchat_buf_dispose(&c->payload);
	gitchat_buf_dispose(&c->signature);
	memset(c, 0, sizeof(*c));
}

int gitchat_text_check(const char *text, size_t len, const gitchat_limits *limits)
{
	size_t i, bad_at;

	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			break;
	if (i == len)
		return gitchat_error_set(GITCHAT_EINVALID, "the message is empty");
	if (len > limits->max_text)
		return gitchat_error_set(GITCHAT_EINVALID,
			"the message is %zu bytes, over the limit of %zu (git config chat.maxMessageBytes)",
			len, limits->max_text);
	if (memchr(text, '\0', len))
		return gitchat_error_set(GITCHAT_EINVALID, "the message contains a NUL byte");
	if (!gitchat_utf8_valid(text, len, &bad_at))
		return gitchat_error_set(GITCHAT_EINVALID,
			"the message is not valid UTF-8 (first bad byte at offset %zu)", bad_at);
	return 0;
}

/* The files the chat-file headers name, on their own (docs/attachments.md):
 * valid names, each once, within the limits, on ordinary messages only. */
int gitchat_commit_files_check(const gitchat_commit *c, const gitchat_limits *limits)
{
	uint64_t total = 0;
	size_t i, j;

	if (c->file_count && c->kind != GITCHAT_MESSAGE_TEXT)
		return gitchat_error_set(GITCHAT_EVERIFY,
			"it is an edit, redaction or reaction and carries files (only messages do)");
	for (i = 0; i < c->file_count; i++) {
		const gitchat_commit_file *f = &c->files[i];
		if (gitchat_filename_check(f->name, f->name_len) < 0)
			return gitchat_error_set(GITCHAT_EVERIFY, "its file %zu is invalid: %s", i + 1,
			                         gitchat_error_last()->message);
		for (j = 0; j < i; j++)
			if (c->files[j].name_len == f->name_len &&
			    !memcmp(c->files[j].name, f->name, f->name_len))
				return gitchat_error_set(GITCHAT_EVERIFY,
					"its files %zu and %zu have the same name", j + 1, i + 1);
		if (f->size > limits->max_file)
			return gitchat_error_set(GITCHAT_EVERIFY,
				"its file %zu is %llu bytes, over the limit of %zu (git config "
				"chat.maxFileBytes)", i + 1, (unsigned long long)f->size, limits->max_file);
		if ((total += f->size) > limits->max_tree)
			return gitchat_error_set(GITCHAT_EVERIFY,
				"its files are over the limit of %zu bytes in all (git config "
				"chat.maxTreeBytes)", limits->max_tree);
	}
	return 0;
}

/* "1".."count" as git writes tree entry names: the number `n`, or 0. */
static size_t entry_number(const char *name, size_t count)
{
	size_t n = 0;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || n > count)
			return 0;
		n = n * 10 + (size_t)(*name - '0');
	}
	return n <= count ? n : 0;
}

/* A private room's epoch commit (DESIGN.md "Private rooms"): its tree
 * holds epoch.age and, optionally, history.age, plain blobs within the
 * tree limit, nothing else. */
static int check_epoch_tree(git_repository *repo, git_tree *tree, const gitchat_limits *limits)
{
	git_odb *odb = NULL;
	size_t n = git_tree_entrycount(tree), total = 0, size;
	git_object_t type;
	int error = 0;

	if (git_repository_odb(&odb, repo) < 0)
		return gitchat_error_from_git(-1, "cannot open the object database");
	if (n < 1 || n > 2 || strcmp(git_tree_entry_name(git_tree_entry_byindex(tree, 0)), "epoch.age") ||
	    (n == 2 && strcmp(git_tree_entry_name(git_tree_entry_byindex(tree, 1)), "history.age")))
		error = gitchat_error_set(GITCHAT_EVERIFY, "its tree is neither files nor a private "
		                          "room's epoch.age (and history.age)");
	for (size_t i = 0; !error && i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB ||
		    git_odb_read_header(&size, &type, odb, git_tree_entry_id(e)) < 0 ||
		    type != GIT_OBJECT_BLOB || (total += size) > limits->max_tree)
			error = gitchat_error_set(GITCHAT_EVERIFY, "its %s is not a plain file within "
			                          "chat.maxTreeBytes", git_tree_entry_name(e));
	}
	git_odb_free(odb);
	return error;
}

/* The folder `files` holding exactly `1`..`count`, each a plain blob
 * (100644); for a public message (`c`) each of the size its chat-file
 * header says; for a private one's sealed files (`c` NULL) each within
 * chat.maxFileBytes plus the age overhead, all within chat.maxTreeBytes
 * plus theirs. */
static int check_files_dir(git_repository *repo, git_tree *tree, size_t count,
                           const gitchat_commit *c, const gitchat_limits *limits)
{
	git_tree *sub = NULL;
	git_odb *odb = NULL;
	const git_tree_entry *e;
	uint64_t total = 0, over = 0;
	size_t i, n;
	int error;

	if (git_tree_entrycount(tree) != 1 || strcmp(git_tree_entry_name(e = git_tree_entry_byindex(tree, 0)), "files") ||
	    git_tree_entry_filemode(e) != GIT_FILEMODE_TREE)
		return gitchat_error_set(GITCHAT_EVERIFY,
			"its tree holds something other than the one folder 'files'");
	if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "its folder 'files' is missing or not a tree");
	if (!c)
		count = git_tree_entrycount(sub);
	if (!c && (count < 1 || count > GITCHAT_MAX_FILES)) {
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"its folder 'files' holds %zu entries, not 1 to %d", count, GITCHAT_MAX_FILES);
		goto done;
	}
	if (git_tree_entrycount(sub) != count) {
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"its folder 'files' holds %zu entries, its chat-file headers name %zu files",
			git_tree_entrycount(sub), count);
		goto done;
	}
	if ((error = git_repository_odb(&odb, repo)) < 0) {
		error = gitchat_error_from_git(error, "cannot open the object database");
		goto done;
	}
	/* N entries, each a distinct number in 1..N: exactly 1..N. */
	for (i = 0; i < count; i++) {
		size_t size;
		git_object_t type;
		e = git_tree_entry_byindex(sub, i);
		if (!(n = entry_number(git_tree_entry_name(e), count))) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"its folder 'files' holds an entry not named 1 to %zu", count);
			goto done;
		}
		/* Git's tree order (byte order for files), each name once, as
		 * git fsck wants it: a hooked server could not hold it else. */
		if (i && strcmp(git_tree_entry_name(git_tree_entry_byindex(sub, i - 1)),
		                git_tree_entry_name(e)) >= 0) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"its folder 'files' holds '%zu' twice or out of order", n);
			goto done;
		}
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB ||
		    git_odb_read_header(&size, &type, odb, git_tree_entry_id(e)) < 0 ||
		    type != GIT_OBJECT_BLOB) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"its files/%zu is missing or not a plain file (mode 100644)", n);
			goto done;
		}
		if (c && (uint64_t)size != c->files[n - 1].size) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"its files/%zu is %zu bytes, its chat-file header says %llu", n, size,
				(unsigned long long)c->files[n - 1].size);
			goto done;
		}
		if (!c && ((uint64_t)size > limits->max_file +
		           GITCHAT_SEALED_FILE_OVERHEAD(limits->max_file) ||
		           (total += size) > limits->max_tree +
		           (over += GITCHAT_SEALED_FILE_OVERHEAD(size)))) {
			error = gitchat_error_set(GITCHAT_EVERIFY,
				"its sealed files/%zu is %zu bytes: over chat.maxFileBytes or "
				"chat.maxTreeBytes (with the age overhead)", n, size);
			goto done;
		}
	}
	error = 0;
done:
	git_odb_free(odb);
	git_tree_free(sub);
	return error;
}

/* The one tree a message may have: the empty tree without files; with
 * files, exactly `files/` holding `1`..`N` of the sizes the chat-file
 * headers say. In a private room, without chat-file headers (DESIGN.md
 * "Private rooms"): an epoch's tree, or `files/1`..`N` sealed (age files
 * whose names and sizes are in the encrypted inner message), bounded by
 * the limits as far as they can be seen from outside. */
static int check_tree(git_repository *repo, const gitchat_commit *c,
                      const gitchat_limits *limits)
{
	git_oid empty;
	git_tree *tree = NULL;
	int error, private_room = c->room_len == 25 && c->room[0] == '_';

	git_oid_fromstr(&empty, GITCHAT_EMPTY_TREE);
	if (git_oid_equal(&c->tree, &empty))
		return c->file_count ? gitchat_error_set(GITCHAT_EVERIFY,
			"its chat-file headers name %zu files but its tree is empty", c->file_count) : 0;
	if (git_tree_lookup(&tree, repo, &c->tree) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "its tree is missing or not a tree");
	if (c->file_count)
		error = check_files_dir(repo, tree, c->file_count, c, limits);
	else if (!private_room)
		error = gitchat_error_set(GITCHAT_EVERIFY,
			"its tree is not empty but no chat-file header names a file");
	else if (git_tree_entry_byname(tree, "files"))
		error = check_files_dir(repo, tree, 0, NULL, limits);
	else
		error = check_epoch_tree(repo, tree, limits);
	git_tree_free(tree);
	return error;
}

/* Times within a calendar (DESIGN.md "Verification"): 1970 to 9999, so
 * that every reader can show them; zones as git writes them (any four
 * digits, at most 99:99 away). */
static int check_times(const gitchat_commit *c)
{
	const gitchat_ident *id[2] = { &c->author, &c->committer };
	static const char *what[2] = { "author", "committer" };

	for (int i = 0; i < 2; i++)
		if (!GITCHAT_TIME_VALID(id[i]->time))
			return gitchat_error_set(GITCHAT_EVERIFY,
				"its %s time %lld is after the year 9999", what[i],
				(long long)id[i]->time);
	return 0;
}

int gitchat_commit_check(gitchat_pubkey *signer, const gitchat_commit *c,
                         git_repository *repo, const char *room,
                         const gitchat_limits *limits)
{
	int error;

	if (c->signature_count > 1)
		return gitchat_error_set(GITCHAT_EVERIFY, "it carries more than one signature");
	if (c->signature_count == 0 || c->signature.size == 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "it is not signed");
	if ((error = gitchat_sshsig_verify(signer, c->signature.ptr, c->signature.size, "git",
	                                   c->payload.ptr, c->payload.size)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	if ((error = check_times(c)) < 0)
		return error;
	if (c->room_count == 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "it has no chat-room header");
	if (c->room_count > 1)
		return gitchat_error_set(GITCHAT_EVERIFY, "it has more than one chat-room header");
	if (room && (c->room_len != strlen(room) || memcmp(c->room, room, c->room_len) != 0))
		return gitchat_error_set(GITCHAT_EVERIFY, "its chat-room is '%.*s', not '%s'",
		                         (int)(c->room_len > 64 ? 64 : c->room_len), c->room, room);
	if (c->kind_count > 1)
		return gitchat_error_set(GITCHAT_EVERIFY,
			"it has more than one chat-edit/chat-redact/chat-react header");
	if (c->has_encoding)
		return gitchat_error_set(GITCHAT_EVERIFY, "its text is not in UTF-8 (encoding header)");
	if (c->parent_count > limits->max_parents)
		return gitchat_error_set(GITCHAT_EVERIFY, "it has %zu parents, over the limit of %zu",
		                         c->parent_count, limits->max_parents);
	/* A message of files alone has no text: nothing after the blank line
	 * (as git writes an empty message), so that it has one encoding. */
	if (!(c->file_count && c->body_len == 0) &&
	    gitchat_text_check(c->text, c->text_len, limits) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "its text is invalid: %s",
		                         gitchat_error_last()->message);
	if ((error = gitchat_commit_files_check(c, limits)) < 0 ||
	    (repo && (error = check_tree(repo, c, limits)) < 0))
		return error;
	return 0;
}

int gitchat_commit_key(gitchat_pubkey *out, const gitchat_commit *c)
{
	if (c->signature_count != 1)
		return gitchat_error_set(GITCHAT_EVERIFY, "it does not carry exactly one signature");
	return gitchat_sshsig_signer(out, c->signature.ptr, c->signature.size);
}

int gitchat_message_from_commit(gitchat_message **out, const git_oid *id,
                                const gitchat_commit *c, const gitchat_pubkey *signer)
{
	gitchat_message *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return gitchat_error_oom();
	git_oid_cpy(&m->id, id);
	git_oid_cpy(&m->tree, &c->tree);
	m->parent_count = c->parent_count;
	if (c->parent_count && !(m->parents = malloc(c->parent_count * sizeof(git_oid))))
		goto oom;
	if (c->parent_count)
		memcpy(m->parents, c->parents, c->parent_count * sizeof(git_oid));
	if (!(m->author_name = gitchat_memdup_str(c->author.name, c->author.name_len)) ||
	    !(m->author_email = gitchat_memdup_str(c->author.email, c->author.email_len)) ||
	    !(m->room = gitchat_memdup_str(c->room ? c->room : "", c->room_len)) ||
	    !(m->text = gitchat_memdup_str(c->text, c->text_len)))
		goto oom;
	m->text_len = c->text_len;
	m->time = c->author.time;
	m->tz_offset = c->author.tz;
	m->commit_time = c->committer.time;
	m->key = *signer;
	m->has_reply = c->has_reply;
	m->reply_to = c->reply_to;
	m->kind = c->kind;
	m->target = c->target;
	if (c->file_count && !(m->files = calloc(c->file_count, sizeof(*m->files))))
		goto oom;
	for (size_t i = 0; i < c->file_count; i++) {
		if (!(m->files[i].name = gitchat_memdup_str(c->files[i].name, c->files[i].name_len)))
			goto oom;
		m->files[i].size = c->files[i].size;
		m->file_count = i + 1;
	}
	*out = m;
	return 0;
oom:
	gitchat_message_free(m);
	return gitchat_error_oom();
}

int gitchat_message_dup(gitchat_message **out, const gitchat_message *src)
{
	gitchat_message *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return gitchat_error_oom();
	*m = *src;
	m->parents = NULL;
	m->author_name = m->author_email = m->room = m->text = NULL;
	m->files = NULL;
	m->file_count = 0;
	if (src->file_count && !(m->files = calloc(src->file_count, sizeof(*m->files))))
		goto oom;
	for (size_t i = 0; i < src->file_count; i++) {
		if (!(m->files[i].name = strdup(src->files[i].name)))
			goto oom;
		m->files[i].size = src->files[i].size;
		m->file_count = i + 1;
	}
	if (src->parent_count && !(m->parents = malloc(src->parent_count * sizeof(git_oid))))
		goto oom;
	if (src->parent_count)
		memcpy(m->parents, src->parents, src->parent_count * sizeof(git_oid));
	if (!(m->author_name = strdup(src->author_name)) ||
	    !(m->author_email = strdup(src->author_email)) || !(m->room = strdup(src->room)) ||
	    !(m->text = gitchat_memdup_str(src->text, src->text_len)))
		goto oom;
	*out = m;
	return 0;
oom:
	gitchat_message_free(m);
	return gitchat_error_oom();
}

void gitchat_message_free(gitchat_message *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->file_count; i++)
		free(m->files[i].name);
	free(m->files);
	free(m->parents);
	free(m->author_name);
	free(m->author_email);
	free(m->room);
	free(m->text);
	free(m);
}

int gitchat_ident_format(gitchat_buf *out, const char *name, const char *email,
                         int64_t time, int tz)
{
	int a = tz < 0 ? -tz : tz;
	return gitchat_buf_printf(out, "%s <%s> %lld %c%02d%02d", name, email, (long long)time,
	                          tz < 0 ? '-' : '+', a / 60, a % 60);
}
