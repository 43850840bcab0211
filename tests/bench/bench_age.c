/*
 * bench_age: the age code of libgitchat, as a command that tests/bench/
 * bench_age.sh times against stock `age` on the same files, plus the
 * in-process costs that private rooms will pay per message and per rekey.
 *
 *   bench_age encrypt RECIPIENT IN OUT [armor]   like age -r/-R RECIPIENT [-a]
 *   bench_age decrypt KEYFILE IN OUT              like age -d -i KEYFILE
 *   bench_age small N                             N x (encrypt + decrypt 1 KiB), X25519
 *   bench_age rekey M                             seal a new epoch identity to M
 *                                                 ssh-ed25519 members, one opens it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <gitchat.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		exit(2);
	if (!(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int check(int error, const char *what)
{
	if (error < 0) {
		fprintf(stderr, "bench_age: %s: %s\n", what, gitchat_error_last()->message);
		exit(1);
	}
	return error;
}

static void spill(const char *path, const gitchat_buf *b)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->ptr, 1, b->size, f) != b->size || fclose(f) != 0)
		exit(2);
}

/* An age identity file or an OpenSSH key file. */
static gitchat_age_identity *load_identity(const char *path)
{
	gitchat_age_identity *id;
	gitchat_key *key;
	size_t len;
	char *text = slurp(path, &len), *line = strstr(text, "AGE-SECRET-KEY-1");

	if (line)
		check(gitchat_age_identity_parse(&id, line, strcspn(line, "\n")), "identity");
	else {
		check(gitchat_key_load(&key, path), "key");
		check(gitchat_age_identity_from_key(&id, key), "key");
		gitchat_key_free(key);
	}
	free(text);
	return id;
}

static void small(int n)
{
	gitchat_age_identity *id;
	gitchat_age_recipient *r;
	gitchat_buf enc = GITCHAT_BUF_INIT, dec = GITCHAT_BUF_INIT;
	char msg[1024];
	double t0;

	memset(msg, 'm', sizeof(msg));
	check(gitchat_age_identity_generate(&id), "generate");
	check(gitchat_age_identity_recipient(&r, id), "recipient");
	const gitchat_age_recipient *rs[] = { r };
	const gitchat_age_identity *ids[] = { id };
	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		gitchat_buf_clear(&enc);
		gitchat_buf_clear(&dec);
		check(gitchat_age_encrypt(&enc, rs, 1, msg, sizeof(msg), GITCHAT_AGE_ARMOR), "encrypt");
		check(gitchat_age_decrypt(&dec, NULL, ids, 1, enc.ptr, enc.size, 0), "decrypt");
	}
	double each = (now_ms() - t0) * 1e3 / n, mult;
	/* The floor, in the same run: age needs three X25519 multiplications
	 * per message (two to encrypt, one to decrypt). */
	unsigned char s[32], q[32], o[32];
	randombytes_buf(s, sizeof(s));
	crypto_scalarmult_base(q, s);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		if (crypto_scalarmult(o, s, q) != 0)
			exit(1);
	mult = (now_ms() - t0) * 1e3 / n;
	printf("small: %d x (encrypt + decrypt, 1 KiB, armored, X25519): %.1f us each "
	       "= %.2f X25519 multiplications (%.1f us each, same run)\n", n, each, each / mult, mult);
	gitchat_buf_dispose(&enc);
	gitchat_buf_dispose(&dec);
	gitchat_age_identity_free(id);
	gitchat_age_recipient_free(r);
}

static void rekey(int m)
{
	gitchat_age_identity **members = calloc((size_t)m, sizeof(*members)), *epoch, **back;
	gitchat_age_recipient **rs = calloc((size_t)m, sizeof(*rs));
	gitchat_buf sealed = GITCHAT_BUF_INIT;
	gitchat_key *key;
	size_t n;
	double t0, t1;

	for (int i = 0; i < m; i++) {
		check(gitchat_key_generate(&key, "member"), "keygen");
		check(gitchat_age_identity_from_key(&members[i], key), "identity");
		check(gitchat_age_recipient_from_pubkey(&rs[i], gitchat_key_public(key)), "recipient");
		gitchat_key_free(key);
	}
	t0 = now_ms();
	check(gitchat_age_identity_generate(&epoch), "generate");
	const gitchat_age_identity *e[] = { epoch };
	check(gitchat_age_encrypt_identities(&sealed, (const gitchat_age_recipient *const *)rs,
	                                     (size_t)m, e, 1, GITCHAT_AGE_ARMOR), "seal");
	t1 = now_ms();
	/* the last member's stanza is the last one tried */
	const gitchat_age_identity *last[] = { members[m - 1] };
	check(gitchat_age_decrypt_identities(&back, &n, last, 1, sealed.ptr, sealed.size, 0), "open");
	double open_ms = now_ms() - t1, seal_ms = t1 - t0, mult;
	unsigned char s[32], q[32], o[32];
	randombytes_buf(s, sizeof(s));
	crypto_scalarmult_base(q, s);
	t0 = now_ms();
	for (int i = 0; i < 3 * m; i++)
		if (crypto_scalarmult(o, s, q) != 0)
			exit(1);
	mult = (now_ms() - t0) / (3 * m);
	/* three multiplications per ssh-ed25519 stanza: the floor */
	printf("rekey: new epoch sealed to %d ssh-ed25519 members: %.2f ms (%zu bytes) = %.2f x "
	       "the %d X25519 multiplications it needs (%.1f us each, same run); opened by the "
	       "last member: %.2f ms\n", m, seal_ms, sealed.size, seal_ms / (mult * 3 * m), 3 * m,
	       mult * 1e3, open_ms);
	gitchat_age_identities_free(back, n);
	gitchat_age_identity_free(epoch);
	for (int i = 0; i < m; i++) {
		gitchat_age_identity_free(members[i]);
		gitchat_age_recipient_free(rs[i]);
	}
	free(members);
	free(rs);
	gitchat_buf_dispose(&sealed);
}

int main(int argc, char **argv)
{
	gitchat_buf out = GITCHAT_BUF_INIT;
	size_t len;
	char *in;

	if (gitchat_init() < 0)
		return 2;
	if (argc >= 5 && !strcmp(argv[1], "encrypt")) {
		gitchat_age_recipient *r;
		size_t rlen;
		char *rtext = strncmp(argv[2], "age1", 4) ? slurp(argv[2], &rlen) : argv[2];
		check(gitchat_age_recipient_parse(&r, rtext, strlen(rtext)), "recipient");
		const gitchat_age_recipient *rs[] = { r };
		in = slurp(argv[3], &len);
		check(gitchat_age_encrypt(&out, rs, 1, in, len, argc > 5 ? GITCHAT_AGE_ARMOR : 0),
		      "encrypt");
	} else if (argc == 5 && !strcmp(argv[1], "decrypt")) {
		const gitchat_age_identity *ids[] = { load_identity(argv[2]) };
		in = slurp(argv[3], &len);
		check(gitchat_age_decrypt(&out, NULL, ids, 1, in, len, 0), "decrypt");
	} else if (argc == 3 && !strcmp(argv[1], "small")) {
		small(atoi(argv[2]));
		return 0;
	} else if (argc == 3 && !strcmp(argv[1], "rekey")) {
		rekey(atoi(argv[2]));
		return 0;
	} else {
		fprintf(stderr, "usage: bench_age encrypt|decrypt|small|rekey ...\n");
		return 2;
	}
	spill(argv[4], &out);
	return 0;
}
