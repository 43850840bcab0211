/*
 * `cmake --install` into a prefix of one's own gives a working command:
 * git-chat starts without LD_LIBRARY_PATH or ldconfig (it carries the
 * library's code; libgitchat.so is for other programs), `git chat` works
 * through PATH, and a program builds against the installed header and
 * library through pkg-config.
 */
#include "testchat.h"

static const char *install_prefix(void)
{
	const char *prefix = t_fmt("%s/prefix", t_scratch());
	t_run r = t_sh("cmake --install '%s' --prefix '%s' >/dev/null", GITCHAT_BUILD_DIR, prefix);

	cr_assert_eq(r.status, 0, "cmake --install: %s", r.err);
	t_run_free(&r);
	return prefix;
}

Test(install, the_installed_command_runs_without_library_paths)
{
	const char *prefix = install_prefix();
	t_run r;

	r = t_sh("env -u LD_LIBRARY_PATH '%s/bin/git-chat' --version", prefix);
	cr_assert_eq(r.status, 0, "the installed git-chat does not start: %s", r.err);
	t_assert_contains(r.out, "git-chat ");
	t_run_free(&r);

	/* As git finds it, from another directory, with a store. */
	r = t_sh("cd '%s' && env -u LD_LIBRARY_PATH PATH='%s/bin':\"$PATH\" git chat init s.git && "
	         "env -u LD_LIBRARY_PATH PATH='%s/bin':\"$PATH\" GIT_DIR=s.git git chat rooms",
	         t_scratch(), prefix, prefix);
	cr_assert_eq(r.status, 0, "git chat through PATH: %s", r.err);
	t_run_free(&r);
}

Test(install, a_program_builds_against_the_installed_library)
{
	const char *prefix = install_prefix(), *dir = t_scratch();
	char *src = t_path(dir, "use.c");
	static const char prog[] =
		"#include <stdio.h>\n#include <gitchat.h>\n"
		"int main(void)\n{\n\tif (gitchat_init() < 0)\n\t\treturn 1;\n"
		"\tgitchat_shutdown();\n\tputs(\"linked\");\n\treturn 0;\n}\n";
	t_run r;

	t_write_file(src, prog, sizeof(prog) - 1);
	/* The .pc file is found where it was installed and says where the
	 * rest went (it must not name the configured prefix). */
	r = t_sh("cd '%s' && PKG_CONFIG_PATH=$(dirname \"$(find '%s' -name gitchat.pc)\") && "
	         "export PKG_CONFIG_PATH && "
	         "lib=$(pkg-config --variable=libdir gitchat) && "
	         /* A sanitizer build's library needs the program built alike. */
	         "san=$(ldd \"$lib/libgitchat.so\" | grep -q libasan && echo -fsanitize=address,undefined || :) && "
	         "cc $san -o use use.c $(pkg-config --cflags --libs gitchat) && "
	         "LD_LIBRARY_PATH=\"$lib\" ./use",
	         dir, prefix);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "linked");
	t_run_free(&r);
}
