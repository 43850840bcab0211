#include <stdio.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_profile = {
	"profile",
	"usage: git chat profile [--name NAME] [--key PATH]\n",
	"Sets (with --name) or shows your profile: the name readers show for you,\n"
	"beside your fingerprint, instead of the name in each message's commit.\n"
	"It is a signed claim in your log of the room '_identity', which sync\n"
	"carries with every room; the newest name of any of your linked devices\n"
	"(git chat device) wins. Two people may claim one name: readers then show\n"
	"a longer fingerprint, which tells them apart.\n",
	(const cli_option[]){
		{ 'n', 0, "name", "NAME",
		  "the name to show: 1 to 64 bytes of UTF-8, no control,\n"
		  "invisible or direction-changing characters", NULL },
		{ 'k', 0, "key", "PATH",
		  "this device's identity key", "@file" },
		CLI_OPT_END
	},
	"Without --name, prints 'name', 'person' (the fingerprint readers show),\n"
	"'devices' and, when another person claims the same name, 'shared-with',\n"
	"one per line, tab-separated.\n",
	NULL
};

static int profile_show(const gitchat_persons *ps, const gitchat_pubkey *me)
{
	char fp[GITCHAT_FINGERPRINT_SIZE];
	gitchat_person who;

	gitchat_persons_lookup(&who, ps, me);
	gitchat_pubkey_fingerprint(fp, who.key);
	if (who.name)
		printf("name\t%s\n", who.name);
	else
		fprintf(stderr, "no profile name yet: readers show the name of each message's "
		        "commit; set one with 'git chat profile --name NAME'\n");
	printf("person\t%s\ndevices\t%zu\n", fp, who.device_count);
	if (who.name_shared)
		printf("shared-with\tanother person claims the same name: readers show a longer "
		       "fingerprint\n");
	return 0;
}

static int profile_set(gitchat_store *store, const gitchat_key *key, const char *name)
{
	gitchat_persons *ps = NULL;
	gitchat_person who;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	if (gitchat_profile_name_check(name, strlen(name)) < 0)
		return cli_fatal("%s; choose another name", gitchat_error_last()->message);
	if (gitchat_profile_name_set(&id, store, key, name, NULL) < 0)
		return cli_fatal_lib();
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
	if (gitchat_persons_load(&ps, store, NULL) == 0) {
		gitchat_persons_lookup(&who, ps, gitchat_key_public(key));
		if (who.name_shared)
			cli_warn("another person already claims the name '%s'; readers tell you "
			         "apart by a longer fingerprint", name);
	}
	gitchat_error_clear();
	gitchat_persons_free(ps);
	return 0;
}

int cmd_profile(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_persons *ps = NULL;
	gitchat_key *key = NULL;
	gitchat_pubkey me;
	const char *keypath = NULL, *name = NULL;
	cli_parser p;
	int c, ret;

	cli_parser_init(&p, &usage_profile, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'n': name = p.value; break;
		case 'k': keypath = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	if (p.nargs)
		return cli_usage_error(&usage_profile, "unexpected argument '%s'%s", p.args[0],
		                       name ? "" : " (set a name with --name NAME)");
	if ((ret = cli_open_store(&store)) != 0)
		return ret;
	if (name) {
		if ((ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) == 0)
			ret = profile_set(store, key, name);
	} else if (gitchat_persons_load(&ps, store, NULL) < 0) {
		ret = cli_fatal_lib();
	} else if (reader_my_key(&me, gitchat_store_repository(store), keypath)) {
		ret = profile_show(ps, &me);
	} else if ((ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) == 0) {
		ret = profile_show(ps, gitchat_key_public(key));
	}
	gitchat_persons_free(ps);
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
