#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitchat/conversation.h"
#include "gitchat/verify.h"
#include "gitchat/view.h"
#include "util/buf.h"
#include "util/error.h"
#include "view/authors.h"

typedef struct {
	gitchat_pubkey key;
	char *principal;
} signer;

typedef struct {
	signer *s;
	size_t n;
} signer_set;

/* allowed_signers principals are patterns; only plain addresses are safe. */
static int principal_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-@", *s))
			return 0;
	return 1;
}

static int signer_cmp(const void *a, const void *b)
{
	const signer *x = a, *y = b;
	int c = strcmp(x->principal, y->principal);
	return c ? c : gitchat_pubkey_cmp(&x->key, &y->key);
}

static int add(signer_set *set, const gitchat_message *m)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_buf p = GITCHAT_BUF_INIT;
	signer *grown;
	size_t j;

	gitchat_pubkey_hex(hex, &m->key);
	if ((principal_ok(m->author_email) ? gitchat_buf_puts(&p, m->author_email)
	                                   : gitchat_buf_printf(&p, "key-%.16s", hex)) < 0)
		return GITCHAT_ENOMEM;
	for (j = 0; j < set->n; j++)
		if (!strcmp(set->s[j].principal, p.ptr) && !gitchat_pubkey_cmp(&set->s[j].key, &m->key)) {
			gitchat_buf_dispose(&p);
			return 0;
		}
	if (!(grown = realloc(set->s, (set->n + 1) * sizeof(*grown)))) {
		gitchat_buf_dispose(&p);
		return gitchat_error_oom();
	}
	set->s = grown;
	set->s[set->n].key = m->key;
	set->s[set->n++].principal = gitchat_buf_detach(&p);
	return 0;
}

static int add_cb(const gitchat_message *m, void *payload)
{
	return add(payload, m);
}

int gitchat_allowed_signers_format(gitchat_buf *out, gitchat_store *store, const char *room)
{
	signer_set set = { NULL, 0 };
	size_t i;
	int error;

	if ((error = gitchat_authors_walk(store, room, add_cb, &set)) < 0)
		goto done;
	if (set.n)
		qsort(set.s, set.n, sizeof(*set.s), signer_cmp);
	for (i = 0; i < set.n; i++)
		if ((error = gitchat_buf_printf(out, "%s namespaces=\"git\" ", set.s[i].principal)) < 0 ||
		    (error = gitchat_pubkey_line(out, &set.s[i].key, NULL)) < 0 ||
		    (error = gitchat_buf_putc(out, '\n')) < 0)
			goto done;
	error = 0;
done:
	for (i = 0; i < set.n; i++)
		free(set.s[i].principal);
	free(set.s);
	return error;
}
