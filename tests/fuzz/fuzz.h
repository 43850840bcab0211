/*
 * What the fuzz harnesses share (tests/fuzz/fuzz_<target>.c). Each harness
 * defines LLVMFuzzerTestOneInput over one reader of untrusted or on-disk
 * bytes; it is linked either with libFuzzer (clang, GITCHAT_FUZZ=ON) or with
 * replay.c, the ordinary suite's driver that feeds it every file of its
 * corpus and regressions (docs/fuzzing.md).
 *
 * A harness aborts (fz_fail) when an invariant the library promises does
 * not hold; the sanitizers report the rest.
 */
#ifndef GITCHAT_FUZZ_H
#define GITCHAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <gitchat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* gitchat_init once; aborts when it fails. */
void fz_init(void);

/* Prints what broke and the bytes around `at` in `out`, and aborts. */
void fz_fail(const char *what, const char *out, size_t len, size_t at);

/* The default verification limits (those the corpus was made under). */
const gitchat_limits *fz_limits(void);

/* Cuts an input into parts: bytes, and fields ended by a NUL (the last one
 * by the end of the input). */
typedef struct {
	const uint8_t *p;
	size_t left;
} fz_input;

unsigned fz_byte(fz_input *in);
/* A NUL-terminated copy of the next field (free it); its length in *len. */
char *fz_field(fz_input *in, size_t *len);

/* A NUL-terminated copy of the whole input (free it). */
char *fz_strndup(const uint8_t *data, size_t size);

/* The message and view item the renderers get, made of the input:
 * a flags byte, a width byte, then fields name, email, text, reply name,
 * reply text and up to four reaction emoji. fz_item_free releases it. */
typedef struct {
	gitchat_message msg;
	gitchat_view_item item;
	gitchat_reaction reactions[4];
	gitchat_pubkey keys[2];
	unsigned width;
	int color;
	char *fields[9];
} fz_item;

void fz_item_make(fz_item *it, const uint8_t *data, size_t size);
void fz_item_free(fz_item *it);

#endif
