#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

const cli_usage usage_device = {
	"device",
	"usage: git chat device [list] [--key PATH]\n"
	"   or: git chat device add KEY [--key PATH]\n"
	"   or: git chat device remove KEY [--key PATH]\n",
	"Links your devices into one person, without copying a private key: each\n"
	"device keeps its own key and its own logs, and readers show them as one\n"
	"person (one name, one fingerprint), whose devices may edit and delete each\n"
	"other's messages. A link counts only when both keys say so: run\n"
	"'git chat device add KEY' on each device with the other's key, and sync.\n"
	"'remove' undoes the link from this side (a link undone by either side is\n"
	"gone). 'list' (the default) shows this device's person and every link\n"
	"that names this key, one-sided ones marked.\n"
	"\n"
	"KEY names the other device's key: its 64 hex digits (as 'git chat device\n"
	"list' prints them), its public key line or .pub file, its SHA256:\n"
	"fingerprint (or a prefix), or a name seen in this store, if only one key\n"
	"has it.\n",
	(const cli_option[]){
		{ 'k', 0, "key", "PATH",
		  "this device's identity key", "@file" },
		CLI_OPT_END
	},
	"The links are commits in this key's log of the room '_identity', which\n"
	"sync carries with every room (docs/devices.md).\n",
	"add list remove"
};

/* The key an argument names (gitchat_pubkey_resolve: hex, a public key
 * line or file, a fingerprint, a name seen in the store). */
static int resolve_key(gitchat_pubkey *out, gitchat_store *store, const char *spec)
{
	if (gitchat_pubkey_resolve(out, store, spec) == 0)
		return 0;
	return cli_fatal("'%s' names no single key: %s", spec, gitchat_error_last()->message);
}

/* The standing claim from -> to, or NULL. */
static const gitchat_link *find_link(const gitchat_persons *ps, const gitchat_pubkey *from,
                                     const gitchat_pubkey *to)
{
	size_t i, n = gitchat_persons_link_count(ps);

	for (i = 0; i < n; i++) {
		const gitchat_link *l = gitchat_persons_link_get(ps, i);
		if (!gitchat_pubkey_cmp(&l->from, from) && !gitchat_pubkey_cmp(&l->to, to))
			return l;
	}
	return NULL;
}

static void print_key(const gitchat_pubkey *k, const char *state)
{
	char hex[GITCHAT_PUBKEY_HEXSIZE], fp[GITCHAT_FINGERPRINT_SIZE];

	gitchat_pubkey_hex(hex, k);
	gitchat_pubkey_fingerprint(fp, k);
	printf("%s %s %s\n", fp, hex, state);
}

/* This device, the person's other devices, then one-sided claims. */
static int device_list(const gitchat_persons *ps, const gitchat_pubkey *me)
{
	char myhex[GITCHAT_PUBKEY_HEXSIZE], hex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_buf state = GITCHAT_BUF_INIT;
	gitchat_pubkey *devs;
	size_t i, n = gitchat_persons_devices(ps, me, NULL, 0);

	if (!(devs = calloc(n, sizeof(*devs))))
		return cli_fatal("out of memory");
	gitchat_persons_devices(ps, me, devs, n);
	gitchat_pubkey_hex(myhex, me);
	print_key(me, "this device");
	for (i = 0; i < n; i++)
		if (gitchat_pubkey_cmp(&devs[i], me))
			print_key(&devs[i], find_link(ps, me, &devs[i]) && find_link(ps, &devs[i], me)
			                    ? "linked" : "linked through another of your devices");
	free(devs);
	for (i = 0; i < gitchat_persons_link_count(ps); i++) {
		const gitchat_link *l = gitchat_persons_link_get(ps, i);
		if (l->mutual)
			continue;
		gitchat_buf_clear(&state);
		if (!gitchat_pubkey_cmp(&l->from, me)) {
			gitchat_buf_printf(&state, "one-sided: this device links it, it has not linked "
			                   "this one back (run 'git chat device add %s' there, then "
			                   "sync both)", myhex);
			print_key(&l->to, state.ptr);
		} else if (!gitchat_pubkey_cmp(&l->to, me)) {
			gitchat_pubkey_hex(hex, &l->from);
			gitchat_buf_printf(&state, "one-sided: it claims to be linked to this device, "
			                   "which has not linked it (if it is yours: 'git chat device "
			                   "add %s')", hex);
			print_key(&l->from, state.ptr);
		}
	}
	gitchat_buf_dispose(&state);
	return 0;
}

static int device_change(gitchat_store *store, const gitchat_persons *ps, const gitchat_key *key,
                         const char *spec, int unlink)
{
	const gitchat_pubkey *me = gitchat_key_public(key);
	char hex[GIT_OID_HEXSZ + 1], fp[GITCHAT_FINGERPRINT_SIZE], myhex[GITCHAT_PUBKEY_HEXSIZE];
	gitchat_pubkey other;
	git_oid id;
	int ret;

	if ((ret = resolve_key(&other, store, spec)) != 0)
		return ret;
	gitchat_pubkey_fingerprint(fp, &other);
	gitchat_pubkey_hex(myhex, me);
	if (!gitchat_pubkey_cmp(&other, me))
		return cli_fatal("%s is this device's own key; name the key of your other device",
		                 fp);
	if (!unlink && find_link(ps, me, &other))
		return cli_fatal("this device already links %s; nothing to do ('git chat device "
		                 "list' shows whether it links back)", fp);
	if (unlink && !find_link(ps, me, &other))
		return cli_fatal("this device does not link %s; nothing to remove ('git chat "
		                 "device list' shows the links)", fp);
	if (gitchat_device_link(&id, store, key, &other, unlink, NULL) < 0)
		return cli_fatal_lib();
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
	if (unlink)
		fprintf(stderr, "%s is no longer linked to this device (sync to tell the others)\n",
		        fp);
	else if (find_link(ps, &other, me))
		fprintf(stderr, "%s and this device are now one person (sync to tell the others)\n",
		        fp);
	else
		fprintf(stderr, "this device now links %s; on that device run 'git chat device "
		        "add %s', and sync both\n", fp, myhex);
	return 0;
}

int cmd_device(int argc, char **argv)
{
	gitchat_store *store = NULL;
	gitchat_persons *ps = NULL;
	gitchat_key *key = NULL;
	const char *keypath = NULL, *sub;
	cli_parser p;
	int c, ret, nargs;

	cli_parser_init(&p, &usage_device, argc, argv);
	while ((c = cli_parse_next(&p)) > 0) {
		switch (c) {
		case 'k': keypath = p.value; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (c < 0)
		return p.exit;
	sub = p.nargs ? p.args[0] : "list";
	nargs = p.nargs ? p.nargs - 1 : 0;
	if (!strcmp(sub, "add") || !strcmp(sub, "remove") || !strcmp(sub, "rm")) {
		if (nargs != 1)
			return cli_usage_error(&usage_device, "'%s' needs the KEY of your other device",
			                       sub);
	} else if (!strcmp(sub, "list")) {
		if (nargs)
			return cli_usage_error(&usage_device, "unexpected argument '%s'", p.args[1]);
	} else {
		return cli_usage_error(&usage_device, "unknown subcommand '%s'; use add, list or "
		                       "remove", sub);
	}
	if ((ret = cli_open_store(&store)) != 0)
		goto done;
	if (gitchat_persons_load(&ps, store, NULL) < 0) {
		ret = cli_fatal_lib();
		goto done;
	}
	/* Listing needs only the public half. */
	if (!strcmp(sub, "list")) {
		gitchat_pubkey me;
		if (reader_my_key(&me, gitchat_store_repository(store), keypath))
			ret = device_list(ps, &me);
		else
			ret = cli_load_key(&key, gitchat_store_repository(store), keypath);
		if (!ret && key)
			ret = device_list(ps, gitchat_key_public(key));
	} else if ((ret = cli_load_key(&key, gitchat_store_repository(store), keypath)) == 0)
		ret = device_change(store, ps, key, p.args[1], strcmp(sub, "add") != 0);
done:
	gitchat_persons_free(ps);
	gitchat_key_free(key);
	gitchat_store_free(store);
	return ret;
}
