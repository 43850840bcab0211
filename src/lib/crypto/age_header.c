/* The age header: version line, recipient stanzas, MAC line. The parser
 * accepts one encoding only (canonical base64, LF line ends, single
 * spaces), so the MAC over the bytes read is the MAC over the header. */
#include <stdlib.h>
#include <string.h>

#include "crypto/age_internal.h"
#include "util/buf.h"
#include "util/error.h"

#define BODY_COLUMNS 64
#define MAC_B64_LEN 43

typedef struct {
	const unsigned char *p;
	size_t pos, len;
} line_reader;

/* The next line without its "\n"; refuses a missing "\n" and overlong lines. */
static int next_line(const char **line, size_t *n, line_reader *r, const char *what)
{
	size_t max = r->len - r->pos;
	const unsigned char *nl;

	if (max > GITCHAT_AGE_MAX_LINE + 1)
		max = GITCHAT_AGE_MAX_LINE + 1;
	if (!(nl = memchr(r->p + r->pos, '\n', max))) {
		if (r->len - r->pos < GITCHAT_AGE_MAX_LINE + 1)
			return gitchat_error_set(GITCHAT_EINVALID,
				"invalid age header: it ends inside %s (truncated?)", what);
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: a line is longer than %d bytes", GITCHAT_AGE_MAX_LINE);
	}
	*line = (const char *)r->p + r->pos;
	*n = (size_t)(nl - (r->p + r->pos));
	r->pos += *n + 1;
	if (r->pos > GITCHAT_AGE_MAX_HEADER)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: longer than %d bytes", GITCHAT_AGE_MAX_HEADER);
	return 0;
}

static int bad_stanza(size_t index, const char *why)
{
	return gitchat_error_set(GITCHAT_EINVALID, "invalid age header: stanza %zu %s",
	                         index + 1, why);
}

/* "-> type arg...": single spaces, printable ASCII, no empty argument. */
static int parse_args(age_stanza *s, const char *line, size_t n, size_t index)
{
	char *buf;
	size_t i, count = 1;

	for (i = 3; i < n; i++) {
		if (line[i] == ' ')
			count++;
		else if (line[i] < 33 || line[i] > 126)
			return bad_stanza(index, "has a character that is not printable ASCII");
	}
	if (count > 64)
		return bad_stanza(index, "has more than 64 arguments");
	GITCHAT_ALLOC_CHECK(buf = gitchat_memdup_str(line + 3, n - 3));
	if (!(s->args = calloc(count, sizeof(char *)))) {
		free(buf);
		return gitchat_error_oom();
	}
	s->args[0] = buf;
	for (i = 0, s->nargs = 1; buf[i]; i++)
		if (buf[i] == ' ') {
			buf[i] = '\0';
			s->args[s->nargs++] = buf + i + 1;
		}
	for (i = 0; i < s->nargs; i++)
		if (!*s->args[i])
			return bad_stanza(index, "has an empty argument (two spaces, or none after '->')");
	return 0;
}

/* Base64 lines of 64 columns; the first shorter one (maybe empty) ends it. */
static int parse_body(age_stanza *s, line_reader *r, size_t index)
{
	gitchat_buf body = GITCHAT_BUF_INIT;
	unsigned char bin[BODY_COLUMNS / 4 * 3];
	const char *line = NULL;
	size_t n = 0, got;
	int error;

	do {
		if ((error = next_line(&line, &n, r, "a stanza body")) < 0)
			goto done;
		if (n > BODY_COLUMNS) {
			error = bad_stanza(index, "has a body line longer than 64 columns");
			goto done;
		}
		if (age_b64_decode(bin, sizeof(bin), &got, line, n) < 0) {
			error = bad_stanza(index, "has a body line that is not canonical unpadded base64 "
			                          "(or no body: every stanza ends with a short line)");
			goto done;
		}
		if ((error = gitchat_buf_put(&body, bin, got)) < 0)
			goto done;
	} while (n == BODY_COLUMNS);
	s->body_len = body.size;
	s->body = (unsigned char *)gitchat_buf_detach(&body);
	if (!s->body)
		GITCHAT_ALLOC_CHECK(s->body = calloc(1, 1));
done:
	gitchat_buf_dispose(&body);
	return error;
}

static int parse_mac(age_header *h, const char *line, size_t n, size_t line_start)
{
	if (n != 4 + MAC_B64_LEN || memcmp(line, "--- ", 4) != 0 ||
	    age_b64_decode(h->mac, AGE_MAC_SIZE, NULL, line + 4, MAC_B64_LEN) < 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: the MAC line is not '--- ' and 43 base64 characters");
	h->mac_offset = line_start + 3;
	return 0;
}

static int add_stanza(age_header *h, line_reader *r, const char *line, size_t n)
{
	age_stanza *grown;
	int error;

	if (h->n == GITCHAT_AGE_MAX_STANZAS)
		return gitchat_error_set(GITCHAT_EINVALID,
			"invalid age header: more than %d recipient stanzas", GITCHAT_AGE_MAX_STANZAS);
	GITCHAT_ALLOC_CHECK(grown = realloc(h->stanzas, (h->n + 1) * sizeof(*grown)));
	h->stanzas = grown;
	memset(&h->stanzas[h->n], 0, sizeof(age_stanza));
	h->n++;
	if ((error = parse_args(&h->stanzas[h->n - 1], line, n, h->n - 1)) < 0)
		return error;
	return parse_body(&h->stanzas[h->n - 1], r, h->n - 1);
}

static int parse_header(age_header *h, const unsigned char *in, size_t len)
{
	line_reader r = { in, 0, len };
	const char *line = NULL;
	size_t n = 0, start;
	int error;

	memset(h, 0, sizeof(*h));
	if ((error = next_line(&line, &n, &r, "the version line")) < 0)
		return error;
	if (n != strlen(AGE_VERSION_LINE) || memcmp(line, AGE_VERSION_LINE, n) != 0)
		return gitchat_error_set(GITCHAT_EINVALID,
			"not an age file, or an unsupported version: the first line is not '%s'",
			AGE_VERSION_LINE);
	for (;;) {
		start = r.pos;
		if ((error = next_line(&line, &n, &r, "the recipient stanzas")) < 0)
			return error;
		if (n >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (n < 3 || memcmp(line, "-> ", 3) != 0)
			return gitchat_error_set(GITCHAT_EINVALID,
				"invalid age header: line %zu starts neither a stanza ('-> ') nor the MAC ('---')",
				h->n + 2);
		if ((error = add_stanza(h, &r, line, n)) < 0)
			return error;
	}
	if (h->n == 0)
		return gitchat_error_set(GITCHAT_EINVALID, "invalid age header: no recipient stanza");
	if ((error = parse_mac(h, line, n, start)) < 0)
		return error;
	h->len = r.pos;
	return 0;
}

int age_header_parse(age_header *h, const unsigned char *in, size_t len)
{
	int error = parse_header(h, in, len);

	/* A header that fails halfway holds the stanzas read before: nothing
	 * of it is the caller's to free. */
	if (error < 0)
		age_header_dispose(h);
	return error;
}

void age_header_dispose(age_header *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->stanzas[i].args)
			free(h->stanzas[i].args[0]);
		free(h->stanzas[i].args);
		free(h->stanzas[i].body);
	}
	free(h->stanzas);
	memset(h, 0, sizeof(*h));
}

void age_header_mac(unsigned char mac[AGE_MAC_SIZE], age_secrets *k,
                    const unsigned char *header, size_t len)
{
	age_hkdf(k->mac_key, AGE_KEY_SIZE, NULL, 0, k->file_key, AGE_FILE_KEY_SIZE, "header");
	crypto_auth_hmacsha256(mac, header, len, k->mac_key);
}

int age_header_finish(gitchat_buf *out, size_t start, age_secrets *k)
{
	unsigned char mac[AGE_MAC_SIZE];
	int error;

	if ((error = gitchat_buf_puts(out, "---")) < 0)
		return error;
	age_header_mac(mac, k, (const unsigned char *)out->ptr + start, out->size - start);
	if ((error = gitchat_buf_putc(out, ' ')) < 0 || (error = age_b64_put(out, mac, sizeof(mac))) < 0)
		return error;
	return gitchat_buf_putc(out, '\n');
}
