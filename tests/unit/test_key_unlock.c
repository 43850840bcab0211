/*
 * gitchat_key_unlock: a passphrase-protected key file (made by ssh-keygen)
 * decrypted gives the very key of the unprotected file: the same
 * signatures, the same age identity (what private rooms decrypt with).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define PASSPHRASE "open sesame"

typedef struct {
	const char *answers[4];
	int asked;
} script;

static int answer(char *buf, size_t size, const char *prompt, void *payload)
{
	script *s = payload;
	const char *a = s->answers[s->asked++];

	cr_assert(strstr(prompt, "Enter passphrase for key '") == prompt, "%s", prompt);
	if (!a)
		return -1;
	cr_assert(strlen(a) < size);
	memcpy(buf, a, strlen(a) + 1);
	return 0;
}

static void keys(const char *dir, char **enc, char **plain)
{
	t_run r;

	*enc = t_keep(t_path(dir, "enc"));
	*plain = t_keep(t_path(dir, "plain"));
	r = t_sh("ssh-keygen -q -a 4 -t ed25519 -N '" PASSPHRASE "' -f '%s' && cp '%s' '%s' && "
	         "ssh-keygen -q -p -P '" PASSPHRASE "' -N '' -f '%s'", *enc, *enc, *plain, *plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(key_unlock, the_decrypted_file_is_the_plain_key)
{
	char *enc, *plain;
	gitchat_key *k = NULL, *p = NULL;
	gitchat_buf s1 = GITCHAT_BUF_INIT, s2 = GITCHAT_BUF_INIT;
	gitchat_age_identity *ia = NULL;
	script s = { { "wrong", PASSPHRASE, NULL }, 0 };

	t_lib_init();
	keys(t_scratch(), &enc, &plain);
	cr_assert_eq(gitchat_key_open(&k, enc), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_key_open(&p, plain), 0, "%s", gitchat_error_last()->message);
	cr_assert(gitchat_key_agent_signs(k));
	cr_assert(!gitchat_key_agent_signs(p));
	/* Before: no secret half, so no age identity, and a clear message. */
	cr_assert_eq(gitchat_age_identity_from_key(&ia, k), GITCHAT_EUNSUPPORTED);
	t_assert_contains(gitchat_error_last()->message, "ssh-agent");
	/* A wrong passphrase is asked again. */
	cr_assert_eq(gitchat_key_unlock(k, answer, &s), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(s.asked, 2);
	cr_assert(!gitchat_key_agent_signs(k));
	cr_assert_eq(gitchat_sshsig_sign(&s1, k, "git", "payload", 7), 0);
	cr_assert_eq(gitchat_sshsig_sign(&s2, p, "git", "payload", 7), 0);
	cr_assert_str_eq(s1.ptr, s2.ptr);
	/* A file encrypted to the plain key's public half opens with the
	 * unlocked key's identity. */
	cr_assert_eq(gitchat_age_identity_from_key(&ia, k), 0, "%s", gitchat_error_last()->message);
	gitchat_age_recipient *to = NULL;
	gitchat_buf sealed = GITCHAT_BUF_INIT, opened = GITCHAT_BUF_INIT;
	cr_assert_eq(gitchat_age_recipient_from_pubkey(&to, gitchat_key_public(p)), 0);
	cr_assert_eq(gitchat_age_encrypt(&sealed, (const gitchat_age_recipient *const *)&to, 1,
	                                 "secret", 6, 0), 0);
	cr_assert_eq(gitchat_age_decrypt(&opened, NULL, (const gitchat_age_identity *const *)&ia, 1,
	                                 sealed.ptr, sealed.size, 0), 0,
	             "%s", gitchat_error_last()->message);
	cr_assert_eq(opened.size, 6);
	cr_assert_eq(memcmp(opened.ptr, "secret", 6), 0);
	gitchat_age_recipient_free(to);
	gitchat_buf_dispose(&sealed);
	gitchat_age_buf_wipe(&opened);
	/* Unlocked once is unlocked: no question asked again. */
	cr_assert_eq(gitchat_key_unlock(k, NULL, NULL), 0);
	gitchat_buf_dispose(&s1);
	gitchat_buf_dispose(&s2);
	gitchat_age_identity_free(ia);
	gitchat_key_free(k);
	gitchat_key_free(p);
}

Test(key_unlock, three_wrong_passphrases_or_none)
{
	char *enc, *plain;
	gitchat_key *k = NULL;
	script wrong = { { "a", "b", "c", PASSPHRASE }, 0 }, none = { { NULL }, 0 };

	t_lib_init();
	keys(t_scratch(), &enc, &plain);
	cr_assert_eq(gitchat_key_open(&k, enc), 0);
	cr_assert_eq(gitchat_key_unlock(k, answer, &wrong), GITCHAT_EVERIFY);
	cr_assert_eq(wrong.asked, 3);
	t_assert_contains(gitchat_error_last()->message, "wrong passphrase");
	cr_assert_eq(gitchat_key_unlock(k, answer, &none), GITCHAT_ERROR);
	t_assert_contains(gitchat_error_last()->message, "no passphrase");
	cr_assert(gitchat_key_agent_signs(k));
	gitchat_key_free(k);
}
