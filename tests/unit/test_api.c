/*
 * The public API as a whole (issue 10): every function a header declares
 * is exported by libgitchat.so, every options struct has an
 * _options_init() beside its _INIT macro (for language bindings, which
 * cannot expand a macro) that gives the same defaults, and lists come as
 * git_strarray.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "gitchat.h"
#include "testchat.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(getdelim(&s, &n, '\0', f) > 0, 1, "%s", path);
	fclose(f);
	return t_keep(s);
}

/* Calls `fn` for each match of group 1 of `re` in every public header. */
static void each_header_match(const char *re, void (*fn)(const char *name, const char *header))
{
	const char *dir = GITCHAT_SOURCE_DIR "/include/gitchat";
	DIR *d = opendir(dir);
	struct dirent *e;
	regex_t rx;
	size_t headers = 0;

	cr_assert_not_null(d);
	cr_assert_eq(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
	while ((e = readdir(d))) {
		const char *s;
		regmatch_t m[2];

		if (!strstr(e->d_name, ".h"))
			continue;
		headers++;
		s = read_all(t_fmt("%s/%s", dir, e->d_name));
		while (regexec(&rx, s, 2, m, 0) == 0) {
			fn(t_strndup(s + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so)), e->d_name);
			s += m[0].rm_eo;
		}
	}
	closedir(d);
	regfree(&rx);
	cr_assert_gt(headers, 10, "the public headers were not found");
}

static size_t exported_count;

static void check_exported(const char *name, const char *header)
{
	cr_expect_not_null(dlsym(RTLD_DEFAULT, name), "%s (%s) is declared but not exported",
	                   name, header);
	cr_expect_eq(strncmp(name, "gitchat_", 8), 0, "%s (%s): not gitchat_", name, header);
	exported_count++;
}

Test(api, every_declared_function_is_exported)
{
	each_header_match("^GITCHAT_EXTERN\\([^)]*\\)[ \t*]*([a-z0-9_]+)\\(", check_exported);
	cr_assert_gt(exported_count, 80, "only %zu declarations found", exported_count);
}

/* The module (src/lib/<folder>/) whose public header each header is: a
 * function is declared in a header of the module that defines it. send.h
 * names two folders while send moves out of message/ (issue 10). */
static const struct {
	const char *header, *folders;
} module_of[] = {
	{ "common.h", " util " },
	{ "key.h", " crypto " },
	{ "sshsig.h", " crypto " },
	{ "identity.h", " crypto " },
	{ "age.h", " crypto " },
	{ "store.h", " store " },
	{ "message.h", " message " },
	{ "verify.h", " verify " },
	{ "send.h", " message send " },
	{ "conversation.h", " order " },
	{ "sync.h", " sync " },
	{ "hook.h", " hook " },
	{ "members.h", " members " },
	{ "private.h", " private " },
	{ "view.h", " view " },
	{ "persons.h", " persons " },
	{ "render.h", " render " },
};

static size_t placed;

static void check_module(const char *name, const char *header)
{
	const char *folders = NULL;
	t_run r;
	char *line, *save = NULL;
	size_t found = 0;

	for (size_t i = 0; i < sizeof(module_of) / sizeof(*module_of); i++)
		if (!strcmp(module_of[i].header, header))
			folders = module_of[i].folders;
	cr_assert_not_null(folders, "%s: which src/lib/ module's header is it? add it to module_of",
	                   header);
	/* A definition starts a line with its type (or is an options_init). */
	r = t_sh("cd '%s/src/lib' && grep -lE "
	         "'^[a-z][^;=]*[ *]%s\\(|^GITCHAT_OPTIONS_INIT_FUNCTION\\(%s,' */*.c",
	         GITCHAT_SOURCE_DIR, name, name);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *folder = t_fmt(" %.*s ", (int)strcspn(line, "/"), line);
		cr_expect_not_null(strstr(folders, folder), "%s is declared in %s but defined in %s",
		                   name, header, line);
		found++;
	}
	cr_expect_eq(found, 1, "%s (%s): %zu definitions found under src/lib/", name, header, found);
	t_run_free(&r);
	placed++;
}

Test(api, each_function_is_declared_in_its_modules_header)
{
	each_header_match("^GITCHAT_EXTERN\\([^)]*\\)[ \t*]*([a-z0-9_]+)\\(", check_module);
	cr_assert_gt(placed, 80);
}

static size_t init_macros;

static void check_options_init(const char *upper, const char *header)
{
	char *lower = t_strndup(upper, strlen(upper));
	char *fn;

	for (char *p = lower; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	fn = t_fmt("gitchat_%s_options_init", lower);
	cr_expect_not_null(strstr(read_all(t_fmt("%s/include/gitchat/%s", GITCHAT_SOURCE_DIR, header)),
	                          t_fmt(" %s(", fn)),
	                   "%s declares GITCHAT_%s_OPTIONS_INIT but not %s", header, upper, fn);
	cr_expect_not_null(dlsym(RTLD_DEFAULT, fn), "%s is not exported", fn);
	init_macros++;
}

Test(api, every_options_init_macro_has_a_function)
{
	each_header_match("#define GITCHAT_([A-Z0-9_]+)_OPTIONS_INIT ", check_options_init);
	cr_assert_geq(init_macros, 6, "only %zu _OPTIONS_INIT macros found", init_macros);
}

/* The function gives the macro's defaults, byte for byte (a static
 * template has zero padding, as the library's own), and refuses a version it does
 * not know with a message that names the struct. */
#define CHECK_OPTIONS_INIT(type, fn, INIT, VERSION)                                            \
	do {                                                                                   \
		static const type want = INIT;                                                 \
		type got, untouched;                                                           \
		memset(&got, 0xa5, sizeof(got));                                               \
		cr_assert_eq(fn(&got, VERSION), 0, "%s: %s", #fn, gitchat_error_last()->message); \
		cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0, "%s differs from %s", #fn, #INIT); \
		cr_assert_eq(got.version, VERSION);                                            \
		memset(&untouched, 0x5a, sizeof(untouched));                                   \
		got = untouched;                                                               \
		cr_assert_eq(fn(&got, VERSION + 1), GITCHAT_EINVALID, "%s took version %d", #fn, \
		             VERSION + 1);                                                     \
		t_assert_contains(gitchat_error_last()->message, #type);                       \
		cr_assert_eq(memcmp(&got, &untouched, sizeof(got)), 0, "%s wrote on failure", #fn); \
		cr_assert_eq(fn(&got, 0), GITCHAT_EINVALID, "%s took version 0", #fn);        \
		cr_assert_eq(fn(NULL, VERSION), GITCHAT_EINVALID, "%s took NULL", #fn);       \
	} while (0)

Test(api, options_init_gives_the_macro_defaults)
{
	CHECK_OPTIONS_INIT(gitchat_send_options, gitchat_send_options_init,
	                   GITCHAT_SEND_OPTIONS_INIT, GITCHAT_SEND_OPTIONS_VERSION);
	CHECK_OPTIONS_INIT(gitchat_sync_options, gitchat_sync_options_init,
	                   GITCHAT_SYNC_OPTIONS_INIT, GITCHAT_SYNC_OPTIONS_VERSION);
	CHECK_OPTIONS_INIT(gitchat_conversation_options, gitchat_conversation_options_init,
	                   GITCHAT_CONVERSATION_OPTIONS_INIT, GITCHAT_CONVERSATION_OPTIONS_VERSION);
	CHECK_OPTIONS_INIT(gitchat_text_options, gitchat_text_options_init,
	                   GITCHAT_TEXT_OPTIONS_INIT, GITCHAT_TEXT_OPTIONS_VERSION);
	CHECK_OPTIONS_INIT(gitchat_hook_options, gitchat_hook_options_init,
	                   GITCHAT_HOOK_OPTIONS_INIT, GITCHAT_HOOK_OPTIONS_VERSION);
	CHECK_OPTIONS_INIT(gitchat_server_options, gitchat_server_options_init,
	                   GITCHAT_SERVER_OPTIONS_INIT, GITCHAT_SERVER_OPTIONS_VERSION);
}

/* What a binding does: options from the function, used as they come. */
Test(api, options_from_the_function_work)
{
	gitchat_text_options o;
	gitchat_text_renderer *r = NULL;
	gitchat_buf out = GITCHAT_BUF_INIT;

	cr_assert_eq(gitchat_text_options_init(&o, GITCHAT_TEXT_OPTIONS_VERSION), 0);
	cr_assert_eq(o.width, 80);
	cr_assert_eq(gitchat_text_renderer_new(&r, &o), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_text_render_rule(&out, r, "new"), 0);
	t_assert_contains(out.ptr, "new");
	gitchat_buf_dispose(&out);
	gitchat_text_renderer_free(r);
}

Test(api, room_list_is_a_sorted_strarray)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "s");
	char *a = t_keygen(dir, "a", 1), *b = t_keygen(dir, "b", 0);
	gitchat_store *st = NULL;
	git_strarray rooms = { NULL, 0 };

	t_send(store, a, "zeta", "z");
	t_send(store, a, "alpha", "a");
	t_send(store, b, "alpha", "b");
	t_send(store, b, "mid", "m");
	cr_assert_eq(gitchat_store_open(&st, store), 0);
	cr_assert_eq(gitchat_room_list(&rooms, st), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(rooms.count, 3);
	cr_assert_str_eq(rooms.strings[0], "alpha");
	cr_assert_str_eq(rooms.strings[1], "mid");
	cr_assert_str_eq(rooms.strings[2], "zeta");
	git_strarray_dispose(&rooms);
	cr_assert_eq(rooms.count, 0);
	gitchat_store_free(st);
}
