/*
 * The secret half of a passphrase-protected key file (gitchat_key_unlock),
 * which reading a private room needs and ssh-agent cannot give.
 *
 * OpenSSH encrypts the private section with aes256-ctr under a key from
 * bcrypt-pbkdf. No Debian package exports bcrypt-pbkdf as a library, but
 * libssh (libssh-4, maintained, packaged) reads such files whole: it
 * decrypts the file, and exports the key again without a passphrase, in
 * the openssh-key-v1 form the one key reader of crypto/key.c parses. The
 * plain text lives in libssh's memory only between those two calls and is
 * wiped; the secret half then lives in sodium_malloc memory as for any key.
 *
 * libssh is loaded with dlopen when a key is unlocked, not linked: its
 * constructor initialises OpenSSL and its own state in every process that
 * loads it, which every `git chat log` would pay for (src/cli/netlibs.c
 * says why start-up matters).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <libssh/libssh.h>

#include "crypto/key_internal.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define LIBSSH_SONAME "libssh.so.4"
#define PASSPHRASE_MAX 1024
#define UNLOCK_TRIES 3   /* as ssh asks */

typedef struct {
	__typeof__(ssh_pki_import_privkey_base64) *import;
	__typeof__(ssh_pki_export_privkey_base64) *export_;
	__typeof__(ssh_key_free) *key_free;
	__typeof__(ssh_string_free_char) *string_free;
} libssh_api;

/* Loaded once per process and kept: libssh is not made to be unloaded. */
static int libssh_load(libssh_api *api)
{
	void *h = dlopen(LIBSSH_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"cannot decrypt a key file protected by a passphrase: %s is not installed "
			"(apt-get install libssh-4); or use a device key without a passphrase",
			LIBSSH_SONAME);
	*(void **)&api->import = dlsym(h, "ssh_pki_import_privkey_base64");
	*(void **)&api->export_ = dlsym(h, "ssh_pki_export_privkey_base64");
	*(void **)&api->key_free = dlsym(h, "ssh_key_free");
	*(void **)&api->string_free = dlsym(h, "ssh_string_free_char");
	if (!api->import || !api->export_ || !api->key_free || !api->string_free)
		return gitchat_error_set(GITCHAT_EUNSUPPORTED,
			"%s lacks the functions that read key files; install libssh-4 0.9 or later",
			LIBSSH_SONAME);
	return 0;
}

/* The key file decrypted with `pass`, exported again without a passphrase
 * and parsed by the one key reader. GITCHAT_EVERIFY for a wrong passphrase. */
static int decrypt(gitchat_key **out, const libssh_api *api, const gitchat_buf *file,
                   const char *pass, const char *path)
{
	ssh_key k = NULL;
	char *plain = NULL;
	int error;

	if (api->import(file->ptr, pass, NULL, NULL, &k) != SSH_OK)
		return gitchat_error_set(GITCHAT_EVERIFY,
			"wrong passphrase for key '%s'", path);
	if (api->export_(k, NULL, NULL, NULL, &plain) != SSH_OK) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"cannot read the decrypted key '%s'; is it an ed25519 key?", path);
		goto done;
	}
	error = gitchat_key_parse(out, plain, strlen(plain), path);
done:
	if (plain) {
		sodium_memzero(plain, strlen(plain));
		api->string_free(plain);
	}
	api->key_free(k);
	return error;
}

static int unusable(const gitchat_key *key)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];

	gitchat_pubkey_fingerprint(fp, &key->pk);
	return gitchat_error_set(GITCHAT_EUNSUPPORTED,
		"key %s is named by its public half only, and ssh-agent signs but cannot "
		"decrypt; reading a private room needs the secret half: name the private key "
		"file instead (--key PATH), or use a device key without a passphrase", fp);
}

int gitchat_key_unlock(gitchat_key *key, gitchat_passphrase_cb cb, void *payload)
{
	static libssh_api api;
	static int loaded;
	gitchat_buf file = GITCHAT_BUF_INIT, prompt = GITCHAT_BUF_INIT;
	gitchat_key *whole = NULL;
	char *pass = NULL;
	int error, tries;

	if (key->sk)
		return 0;
	if (!key->encrypted || !key->path)
		return unusable(key);
	if (!loaded && (error = libssh_load(&api)) < 0)
		return error;
	loaded = 1;
	if ((error = gitchat_fs_read(&file, key->path, 64 * 1024)) < 0 ||
	    (error = gitchat_buf_printf(&prompt, "Enter passphrase for key '%s': ", key->path)) < 0)
		goto done;
	if (!(pass = sodium_malloc(PASSPHRASE_MAX))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (tries = 0; tries < UNLOCK_TRIES; tries++) {
		memset(pass, 0, PASSPHRASE_MAX);
		if (!cb || cb(pass, PASSPHRASE_MAX, prompt.ptr, payload) < 0) {
			error = gitchat_error_set(GITCHAT_ERROR,
				"no passphrase for key '%s' (it is needed to read private rooms; "
				"ssh-agent cannot decrypt)", key->path);
			goto done;
		}
		pass[PASSPHRASE_MAX - 1] = '\0';
		if ((error = decrypt(&whole, &api, &file, pass, key->path)) != GITCHAT_EVERIFY)
			break;
	}
	if (error < 0)
		goto done;
	if (gitchat_pubkey_cmp(&whole->pk, &key->pk) != 0) {
		error = gitchat_error_set(GITCHAT_EINVALID,
			"key '%s' is corrupt: its encrypted half is another key than its public "
			"half; restore it from a backup", key->path);
		goto done;
	}
	/* The secret half moves over: key now signs and decrypts by itself. */
	key->sk = whole->sk;
	whole->sk = NULL;
	error = 0;
done:
	sodium_free(pass);
	gitchat_key_free(whole);
	gitchat_buf_dispose(&file);
	gitchat_buf_dispose(&prompt);
	return error;
}
