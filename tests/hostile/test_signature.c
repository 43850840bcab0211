/*
 * Hostile signatures: the encoding of the gpgsig header (issue 9, finding 1:
 * whitespace in the continuation lines), replays of another author's signed
 * bytes under a new commit id (finding 2), and signatures that are not what
 * DESIGN.md asks for (another key, namespace, hash, extra bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>

#include "hostile.h"

/* A copy of obj with every `from` inside its gpgsig header replaced by `to`. */
static char *in_sig(const char *obj, const char *from, const char *to)
{
	const char *s = strstr(obj, "\ngpgsig "), *e;
	size_t fl = strlen(from), tl = strlen(to);
	char *out, *o;

	cr_assert(s != NULL);
	e = strstr(s, "-----END SSH SIGNATURE-----");
	cr_assert(e != NULL);
	out = o = malloc(strlen(obj) * (tl + 1) + 1);
	memcpy(o, obj, (size_t)(s - obj));
	o += s - obj;
	for (const char *p = s; *p;) {
		if (p < e && strncmp(p, from, fl) == 0) {
			memcpy(o, to, tl);
			o += tl;
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return t_keep(out);
}

/* The armor's base64 joined and cut again at `width` columns. */
static char *rewrap(const char *armor, size_t width)
{
	const char *b = strchr(armor, '\n') + 1, *e = strstr(armor, "-----END");
	char *flat = malloc(strlen(armor) + 1), *out = malloc(2 * strlen(armor) + 64), *o;
	size_t n = 0;

	for (const char *p = b; p < e; p++)
		if (*p != '\n')
			flat[n++] = *p;
	o = out + sprintf(out, "-----BEGIN SSH SIGNATURE-----\n");
	for (size_t i = 0; i < n; i += width) {
		size_t k = n - i < width ? n - i : width;
		memcpy(o, flat + i, k);
		o += k;
		*o++ = '\n';
	}
	sprintf(o, "-----END SSH SIGNATURE-----\n");
	free(flat);
	return t_keep(out);
}

static hx_spec on_heads(const hx_world *w)
{
	hx_spec s = { .text = "mallory says hi" };
	s.parents[0] = w->a2;
	s.parents[1] = w->b1;
	return s;
}


static char *sshkeygen_object(const hx_world *w, const char *payload)
{
	return hx_object(payload, t_sign_sshkeygen(w->mallory, "git", payload, strlen(payload)));
}

static char *write_obj(const hx_world *w, const char *obj)
{
	return hx_write(w->attacker, obj, strlen(obj), GIT_OBJECT_COMMIT);
}

Test(signature, sshkeygen_canonical_is_accepted_and_shown, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;
	const char *texts[] = { "mallory says hi", "hello from alice", NULL };

	hx_setup(&w);
	s = on_heads(&w);
	id = write_obj(&w, sshkeygen_object(&w, hx_payload(&s)));
	hx_hook_accepts(&w, id);
	hx_sync_accepts(&w, id);
	hx_readable(w.server, texts, 0);
	hx_readable(w.victim, texts, 0);
}

/* ssh-keygen's signature of mallory's message with `from` replaced by `to`
 * in its gpgsig header: refused both ways. */
static void sshkeygen_mangled(const char *from, const char *to)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = on_heads(&w);
	id = write_obj(&w, in_sig(sshkeygen_object(&w, hx_payload(&s)), from, to));
	hx_refused_everywhere(&w, id, "signature", "signature");
}

/* Issue 9, reproduction 1. */
Test(signature, continuation_lines_indented_two_spaces, .timeout = 120)
{
	sshkeygen_mangled("\n ", "\n  ");
}

Test(signature, continuation_lines_with_a_tab, .timeout = 120)
{
	sshkeygen_mangled("\n ", "\n \t");
}

Test(signature, continuation_lines_ending_in_cr, .timeout = 120)
{
	sshkeygen_mangled("\n ", "\r\n ");
}

Test(signature, trailing_space_after_armor_line, .timeout = 120)
{
	sshkeygen_mangled("-----\n", "----- \n");
}

Test(signature, own_armor_rewrapped_at_76_columns, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	id = write_obj(&w, hx_object(payload, rewrap(hx_sign(w.mallory, payload), 76)));
	hx_refused_everywhere(&w, id, "signature", "signature");
}

/* Issue 9, reproduction 2: alice's first message under a new id (its armor
 * at 64 columns), used as a parent of mallory's message. */
static void replay_as_parent(const hx_world *w, const char *copy_obj)
{
	char *copy = write_obj(w, copy_obj), *id, *log;
	hx_spec s = on_heads(w);

	cr_assert_str_neq(copy, w->a1);
	s.parents[2] = copy;
	id = hx_commit(w->attacker, w->mallory, &s);
	hx_refused_everywhere(w, id, "signature|gpgsig", "signature|gpgsig");
	log = hx_readable(w->victim, NULL, 0);
	cr_assert_eq(t_count(log, "hello from alice"), 1, "alice is shown twice:\n%s", log);
}

Test(signature, replay_with_armor_rewrapped_at_64_columns, .timeout = 120)
{
	hx_world w;

	hx_setup(&w);
	replay_as_parent(&w, hx_object(t_commit_payload(w.honest, w.a1),
	                               rewrap(t_commit_signature(w.honest, w.a1), 64)));
}

Test(signature, replay_with_gpgsig_before_chat_room, .timeout = 120)
{
	hx_world w;
	char *payload, *sig, *moved;

	hx_setup(&w);
	payload = t_commit_payload(w.honest, w.a1);
	sig = t_commit_signature(w.honest, w.a1);
	/* The signature header right after committer, chat-room after it. */
	moved = hx_object(t_replace(payload, "\nchat-room general\n", "\n"), sig);
	moved = t_replace(moved, "-----END SSH SIGNATURE-----\n",
	                  "-----END SSH SIGNATURE-----\nchat-room general\n");
	replay_as_parent(&w, moved);
}

/* The replay of a reaction would toggle alice's reaction off. */
Test(signature, replayed_reaction_does_not_toggle, .timeout = 120)
{
	hx_world w;
	char *react, *copy, *id, *log;
	hx_spec s;
	t_run r;

	hx_setup(&w);
	r = t_chatv(w.honest, "react", "--key", w.alice, "-r", "general", w.b1, "+1");
	cr_assert_eq(r.status, 0, "react: %s", r.err);
	t_run_free(&r);
	react = t_git(w.honest, "rev-parse '%s'", w.aref);
	t_git(w.attacker, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.honest);
	t_git(w.victim, "fetch -q '%s' 'refs/chat/*:refs/chat/*'", w.honest);
	copy = write_obj(&w, hx_object(t_commit_payload(w.honest, react),
	                               rewrap(t_commit_signature(w.honest, react), 64)));
	s = on_heads(&w);
	s.parents[0] = react;
	s.parents[2] = copy;
	id = hx_commit(w.attacker, w.mallory, &s);
	hx_sync_refuses(&w, id, "signature|gpgsig");
	log = hx_readable(w.victim, NULL, 0);
	t_assert_contains(log, "+1");
}

Test(signature, signed_by_another_key_than_the_ref_names, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = on_heads(&w);
	id = hx_commit(w.attacker, w.bob, &s);
	hx_refused_everywhere(&w, id, "not by the log's owner", "not by the log's owner");
}

Test(signature, sshsig_namespace_file_not_git, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	id = write_obj(&w, hx_object(payload, t_sign_sshkeygen(w.mallory, "file", payload,
	                                                       strlen(payload))));
	hx_refused_everywhere(&w, id, "namespace", "namespace");
}

Test(signature, sshsig_hash_sha256_not_sha512, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *file, *sig, *id;
	t_run r;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	file = t_keep(t_path(w.dir, "payload"));
	t_write_file(file, payload, strlen(payload));
	r = t_sh("ssh-keygen -q -Y sign -n git -O hashalg=sha256 -f '%s' '%s'", w.mallory, file);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	sig = t_keep(t_read_file(t_fmt("%s.sig", file), NULL));
	id = write_obj(&w, hx_object(payload, sig));
	hx_refused_everywhere(&w, id, "sha512", "sha512");
}

Test(signature, garbage_after_the_armor, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *sig, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	sig = t_fmt("%sgarbage after the armor\n", hx_sign(w.mallory, payload));
	id = write_obj(&w, hx_object(payload, sig));
	hx_refused_everywhere(&w, id, "signature", "signature");
}

Test(signature, truncated_armor, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *sig, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	sig = t_replace(hx_sign(w.mallory, payload), "-----END SSH SIGNATURE-----\n", "");
	id = write_obj(&w, hx_object(payload, sig));
	hx_refused_everywhere(&w, id, "signature", "signature");
}

Test(signature, two_gpgsig_headers, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *sig, *obj, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	sig = hx_sign(w.mallory, payload);
	obj = hx_object(hx_object(payload, sig), sig);
	id = write_obj(&w, obj);
	hx_refused_everywhere(&w, id, "more than one signature|exactly one signature",
	                   "more than one signature|exactly one signature");
}

Test(signature, gpgsig_sha256_header_beside_gpgsig, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *obj, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	obj = hx_object(payload, hx_sign(w.mallory, payload));
	obj = t_replace(obj, "\ngpgsig ", "\ngpgsig-sha256 x\ngpgsig ");
	id = write_obj(&w, obj);
	hx_refused_everywhere(&w, id, "more than one signature|exactly one signature",
	                   "more than one signature|exactly one signature");
}

Test(signature, unsigned_commit, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *id;

	hx_setup(&w);
	s = on_heads(&w);
	id = hx_commit(w.attacker, NULL, &s);
	hx_refused_everywhere(&w, id, "it is not signed", "it is not signed");
}

/* gpgsig is the last header in what git and ssh-keygen write; mallory's own
 * message with it before chat-room is a second encoding. */
Test(signature, own_gpgsig_before_chat_room, .timeout = 120)
{
	hx_world w;
	hx_spec s;
	char *payload, *obj, *id;

	hx_setup(&w);
	s = on_heads(&w);
	payload = hx_payload(&s);
	obj = hx_object(t_replace(payload, "\nchat-room general\n", "\n"),
	                hx_sign(w.mallory, payload));
	obj = t_replace(obj, "-----END SSH SIGNATURE-----\n",
	                "-----END SSH SIGNATURE-----\nchat-room general\n");
	id = write_obj(&w, obj);
	hx_refused_everywhere(&w, id, "signature|gpgsig", "signature|gpgsig");
}
