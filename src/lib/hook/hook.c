/*
 * The pre-receive check. The verifier itself is verify.c's; what this file
 * adds is the scope: a push is checked against what the server already
 * holds, so that only its new commits are verified.
 *
 * For each room touched by the push, a revwalk from the pushed heads that
 * hides the room's current refs/chat/ heads yields the new commits. A
 * parent of a new commit that the walk did not yield is reachable from a
 * current head, which this hook accepted before, so it is valid for the
 * room: it is entered in the (memory-only) verification cache as such, and
 * gitchat_verify_ref_update then stops there instead of walking the whole
 * history. The walk may yield more than the strictly new commits (libgit2
 * stops on commit dates), which only costs time: those are verified too.
 *
 * The parents of the new commits are kept, because they also prove most
 * fast-forwards: when OLD is reached from NEW through new commits, the
 * update is a fast-forward and gitchat_verify_ref_update is spared its
 * ancestry test (a merge-base walk per ref, which costs more than the
 * signatures of a large push). When no such path exists the library does
 * the test as always.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gitchat/hook.h"
#include "gitchat/members.h"
#include "store/refs.h"
#include "util/array.h"
#include "util/error.h"
#include "util/oidmap.h"
#include "verify/cache.h"
#include "util/options.h"

typedef struct {
	git_oid old, new_id;
	char *refname;
	char room[65];     /* set when the update is to be verified */
	int walked;        /* new_id was pushed into the room's revwalk */
} hook_update;

/* The new commits of the push and their parents: node i's parents are
 * parents[nodes[i].first .. nodes[i].first + nodes[i].n). */
typedef struct {
	gitchat_oidmap index;     /* oid -> node */
	struct { size_t first, n; } *nodes;
	size_t nnodes, capnodes;
	git_oid *parents;
	size_t nparents, capparents;
} hook_graph;

struct gitchat_hook {
	gitchat_store *store;
	gitchat_hook_other_refs other_refs;
	int private_members;   /* git config chat.hook.privateMembers */
	hook_update *updates;
	size_t n, cap;
	hook_graph graph;
};

static int other_refs_from_config(gitchat_hook_other_refs *out, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	int error;

	*out = GITCHAT_HOOK_OTHER_REFS_ALLOW;
	if ((error = git_repository_config_snapshot(&cfg, repo)) < 0)
		return gitchat_error_from_git(error, "cannot read the git config of the repository");
	error = git_config_get_string_buf(&v, cfg, "chat.hook.otherRefs");
	if (error == GIT_ENOTFOUND) {
		error = 0;
	} else if (error < 0) {
		error = gitchat_error_from_git(error, "cannot read git config 'chat.hook.otherRefs'");
	} else if (strcasecmp(v.ptr, "deny") == 0) {
		*out = GITCHAT_HOOK_OTHER_REFS_DENY;
	} else if (strcasecmp(v.ptr, "allow") != 0) {
		/* A typo must not open a chat-only server to everything. */
		error = gitchat_error_set(GITCHAT_EINVALID,
			"git config 'chat.hook.otherRefs' is '%s'; set it to 'allow' or 'deny'", v.ptr);
	}
	git_buf_dispose(&v);
	git_config_free(cfg);
	return error;
}

int gitchat_hook_new(gitchat_hook **out, const char *path, const gitchat_hook_options *opts)
{
	gitchat_hook *hook;
	int error;

	*out = NULL;
	if (opts && opts->version != GITCHAT_HOOK_OPTIONS_VERSION)
		return gitchat_error_set(GITCHAT_EINVALID, "unknown gitchat_hook_options version %u",
		                         opts->version);
	if (!(hook = calloc(1, sizeof(*hook))))
		return gitchat_error_oom();
	if ((error = gitchat_store_open(&hook->store, path)) < 0)
		goto fail;
	/* Memory only: nothing about quarantined objects may outlive the push. */
	if ((error = gitchat_verify_cache_use_memory(hook->store)) < 0)
		goto fail;
	hook->other_refs = opts ? opts->other_refs : GITCHAT_HOOK_OTHER_REFS_CONFIG;
	if (hook->other_refs == GITCHAT_HOOK_OTHER_REFS_CONFIG &&
	    (error = other_refs_from_config(&hook->other_refs,
	                                    gitchat_store_repository(hook->store))) < 0)
		goto fail;
	{
		git_config *cfg = NULL;
		if (git_repository_config_snapshot(&cfg, gitchat_store_repository(hook->store)) == 0 &&
		    git_config_get_bool(&hook->private_members, cfg, "chat.hook.privateMembers") < 0)
			hook->private_members = 0;
		git_error_clear();
		git_config_free(cfg);
	}
	*out = hook;
	return 0;
fail:
	gitchat_hook_free(hook);
	return error;
}

int gitchat_hook_add(gitchat_hook *hook, const git_oid *old, const git_oid *new_id,
                     const char *refname)
{
	hook_update *u;
	int error;

	if ((error = gitchat_array_grow(&hook->updates, &hook->cap, hook->n + 1,
	                                sizeof(*hook->updates), 16)) < 0)
		return error;
	u = &hook->updates[hook->n];
	memset(u, 0, sizeof(*u));
	if (old)
		git_oid_cpy(&u->old, old);
	if (new_id)
		git_oid_cpy(&u->new_id, new_id);
	if (!(u->refname = strdup(refname)))
		return gitchat_error_oom();
	hook->n++;
	return 0;
}

static int parse_hex_oid(git_oid *out, const char *p)
{
	for (int i = 0; i < GIT_OID_HEXSZ; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
	return git_oid_fromstrn(out, p, GIT_OID_HEXSZ) < 0 ? -1 : 0;
}

int gitchat_hook_add_line(gitchat_hook *hook, const char *line, size_t len)
{
	git_oid old, new_id;
	char *refname;
	size_t reflen;
	int error;

	if (len && line[len - 1] == '\n')
		len--;
	reflen = len > 2 * GIT_OID_HEXSZ + 2 ? len - 2 * GIT_OID_HEXSZ - 2 : 0;
	if (reflen == 0 || line[GIT_OID_HEXSZ] != ' ' || line[2 * GIT_OID_HEXSZ + 1] != ' ' ||
	    parse_hex_oid(&old, line) < 0 || parse_hex_oid(&new_id, line + GIT_OID_HEXSZ + 1) < 0 ||
	    memchr(line, '\0', len) || memchr(line + 2 * GIT_OID_HEXSZ + 2, ' ', reflen))
		return gitchat_error_set(GITCHAT_EINVALID,
			"'%.*s' is not a pre-receive update line 'OLD NEW REFNAME' "
			"(two 40-hex-digit object ids and a ref name)", (int)(len > 200 ? 200 : len), line);
	if (!(refname = strndup(line + 2 * GIT_OID_HEXSZ + 2, reflen)))
		return gitchat_error_oom();
	error = gitchat_hook_add(hook, &old, &new_id, refname);
	free(refname);
	return error;
}

size_t gitchat_hook_count(const gitchat_hook *hook, size_t *chat)
{
	size_t n = 0;

	for (size_t i = 0; chat && i < hook->n; i++)
		if (strncmp(hook->updates[i].refname, GITCHAT_REFS_PREFIX,
		            strlen(GITCHAT_REFS_PREFIX)) == 0)
			n++;
	if (chat)
		*chat = n;
	return hook->n;
}

static int refuse(const hook_update *u, const git_oid *commit, const char *reason,
                  gitchat_problem_cb cb, void *payload, size_t *refused)
{
	gitchat_problem p;

	(*refused)++;
	if (!cb)
		return 0;
	p.refname = u->refname;
	p.commit = commit && !git_oid_is_zero(commit) ? commit : NULL;
	p.reason = reason;
	return cb(&p, payload);
}

static int graph_add(hook_graph *g, const git_oid *id, git_commit *c)
{
	unsigned int i, np = git_commit_parentcount(c);

	int error;

	if ((error = gitchat_array_grow(&g->nodes, &g->capnodes, g->nnodes + 1,
	                                sizeof(*g->nodes), 256)) < 0 ||
	    (error = gitchat_array_grow(&g->parents, &g->capparents, g->nparents + np,
	                                sizeof(*g->parents), 512)) < 0)
		return error;
	g->nodes[g->nnodes].first = g->nparents;
	g->nodes[g->nnodes].n = np;
	for (i = 0; i < np; i++)
		g->parents[g->nparents++] = *git_commit_parent_id(c, i);
	return gitchat_oidmap_set(&g->index, id, (uint32_t)g->nnodes++);
}

/* 1 when `old` is an ancestor of `new_id` by a path through new commits,
 * 0 when no such path exists (it may still be an ancestor), or an error. */
static int proven_fast_forward(hook_graph *g, const git_oid *new_id, const git_oid *old)
{
	gitchat_oidmap seen = GITCHAT_OIDMAP_INIT;
	git_oid *stack = NULL;
	size_t n = 0, cap = 0;
	uint32_t node, dummy;
	int found = 0, error = 0;

	if (git_oid_equal(new_id, old))
		return 1;
	if (!gitchat_oidmap_get(&g->index, new_id, &node))
		return 0;
	if ((error = gitchat_array_grow(&stack, &cap, 1, sizeof(*stack), 64)) < 0)
		return error;
	stack[n++] = *new_id;
	while (n && !found) {
		git_oid id = stack[--n];
		if (!gitchat_oidmap_get(&g->index, &id, &node))
			continue;   /* not new: its ancestry is the library's to test */
		for (size_t i = 0; i < g->nodes[node].n && !found; i++) {
			const git_oid *p = &g->parents[g->nodes[node].first + i];
			if (git_oid_equal(p, old)) {
				found = 1;
				break;
			}
			if (gitchat_oidmap_get(&seen, p, &dummy))
				continue;
			if ((error = gitchat_oidmap_set(&seen, p, 1)) < 0)
				goto done;
			if ((error = gitchat_array_grow(&stack, &cap, n + 1, sizeof(*stack), 64)) < 0)
				goto done;
			stack[n++] = *p;
		}
	}
done:
	free(stack);
	gitchat_oidmap_dispose(&seen);
	return error < 0 ? error : found;
}

/* Marks commits the push cannot have changed as valid for `room`: the
 * parents outside the walk's output, and pushed heads already reachable
 * from the room's current heads. */
static int seed_room(gitchat_hook *hook, const char *room)
{
	git_repository *repo = gitchat_store_repository(hook->store);
	gitchat_verify_cache *cache;
	git_revwalk *walk = NULL;
	gitchat_tips tips = { 0 };
	gitchat_oidmap fresh = GITCHAT_OIDMAP_INIT;
	git_oid *list = NULL, id;
	size_t nlist = 0, caplist = 0, i;
	uint32_t dummy;
	int error;

	if ((error = gitchat_verify_cache_of(&cache, hook->store)) < 0)
		goto done;
	if ((error = git_revwalk_new(&walk, repo)) < 0) {
		error = gitchat_error_from_git(error, "cannot walk the pushed commits");
		goto done;
	}
	if ((error = gitchat_tips_list(&tips, NULL, repo, room)) < 0)
		goto done;
	for (i = 0; i < tips.count; i++)
		/* refs/chat-remotes/ is not the hook's to vouch for; a head that
		 * cannot be hidden only means more to verify. */
		if (!tips.tips[i].ref.remote[0] && git_revwalk_hide(walk, &tips.tips[i].id) < 0)
			git_error_clear();
	for (i = 0; i < hook->n; i++) {
		hook_update *u = &hook->updates[i];
		if (strcmp(u->room, room) != 0)
			continue;
		/* Not a commit: gitchat_verify_ref_update will say so. */
		if (git_revwalk_push(walk, &u->new_id) == 0)
			u->walked = 1;
		else
			git_error_clear();
	}
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		if ((error = gitchat_array_grow(&list, &caplist, nlist + 1, sizeof(*list), 256)) < 0)
			goto done;
		list[nlist++] = id;
		if ((error = gitchat_oidmap_set(&fresh, &id, 1)) < 0)
			goto done;
	}
	if (error != GIT_ITEROVER) {
		error = gitchat_error_from_git(error, "cannot walk the pushed commits of room '%s'", room);
		goto done;
	}
	error = 0;
	for (i = 0; i < nlist; i++) {
		git_commit *c = NULL;
		unsigned int p, np;
		if (git_commit_lookup(&c, repo, &list[i]) < 0) {
			git_error_clear();   /* the verifier reports what is wrong with it */
			continue;
		}
		np = git_commit_parentcount(c);
		for (p = 0; p < np && !error; p++) {
			const git_oid *pid = git_commit_parent_id(c, p);
			if (!gitchat_oidmap_get(&fresh, pid, &dummy))
				error = gitchat_verify_cache_set_valid(cache, room, pid);
		}
		if (!error)
			error = graph_add(&hook->graph, &list[i], c);
		git_commit_free(c);
		if (error < 0)
			goto done;
	}
	for (i = 0; i < hook->n; i++) {
		hook_update *u = &hook->updates[i];
		if (u->walked && strcmp(u->room, room) == 0 &&
		    !gitchat_oidmap_get(&fresh, &u->new_id, &dummy) &&
		    (error = gitchat_verify_cache_set_valid(cache, room, &u->new_id)) < 0)
			goto done;
	}
done:
	free(list);
	gitchat_oidmap_dispose(&fresh);
	gitchat_tips_dispose(&tips);
	git_revwalk_free(walk);
	return error;
}

/* First pass: the rules that need no commit. Leaves u->room set for the
 * updates that remain to be verified. */
static int check_names(gitchat_hook *hook, gitchat_problem_cb cb, void *payload,
                       size_t *refused)
{
	char reason[1024];
	gitchat_chatref ref;
	size_t i;
	int error = 0;

	for (i = 0; i < hook->n && !error; i++) {
		hook_update *u = &hook->updates[i];
		const git_oid *blame = git_oid_is_zero(&u->new_id) ? &u->old : &u->new_id;

		u->room[0] = '\0';
		if (strncmp(u->refname, GITCHAT_REFS_PREFIX, strlen(GITCHAT_REFS_PREFIX)) != 0) {
			if (hook->other_refs == GITCHAT_HOOK_OTHER_REFS_DENY)
				error = refuse(u, blame, "this server takes only chat logs, "
				               "refs/chat/<room>/<key> (git config chat.hook.otherRefs deny)",
				               cb, payload, refused);
			continue;
		}
		if (gitchat_chatref_parse(&ref, u->refname) < 0) {
			snprintf(reason, sizeof(reason), "%s", gitchat_error_last()->message);
			error = refuse(u, blame, reason, cb, payload, refused);
			continue;
		}
		if (git_oid_is_zero(&u->new_id)) {
			error = refuse(u, blame, "a chat log cannot be deleted", cb, payload, refused);
			continue;
		}
		memcpy(u->room, ref.room, sizeof(u->room));
	}
	return error;
}

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_list;

static int oid_push(oid_list *l, const git_oid *id)
{
	int error;

	for (size_t i = 0; i < l->n; i++)
		if (git_oid_equal(&l->v[i], id))
			return 0;
	if ((error = gitchat_array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 16)) < 0)
		return error;
	l->v[l->n++] = *id;
	return 0;
}

/* Private rooms (chat.hook.privateMembers): the room after the push (the
 * server's logs of it, with every verified update of the push in place)
 * must have its genesis, and each updated log's key must be a member in
 * its state. Headers only: the server holds no room key. */
static int check_members(gitchat_hook *hook, const char *room, gitchat_problem_cb cb,
                         void *payload, size_t *refused)
{
	git_repository *repo = gitchat_store_repository(hook->store);
	git_reference_iterator *it = NULL;
	git_reference *ref;
	gitchat_members *m = NULL;
	gitchat_chatref cr;
	oid_list tips = { NULL, 0, 0 };
	char *glob = NULL, fp[GITCHAT_FINGERPRINT_SIZE], reason[512];
	size_t i;
	int error = 0;

	if (asprintf(&glob, "refs/chat/%s/*", room) < 0)
		return gitchat_error_oom();
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0) {
		error = gitchat_error_from_git(-1, "cannot list the logs of '%s'", room);
		goto done;
	}
	while (!error && git_reference_next(&ref, it) == 0) {
		int pushed = 0;
		for (i = 0; i < hook->n; i++)
			if (hook->updates[i].room[0] && !strcmp(hook->updates[i].refname,
			                                        git_reference_name(ref)))
				pushed = 1;
		if (!pushed && git_reference_target(ref))
			error = oid_push(&tips, git_reference_target(ref));
		git_reference_free(ref);
	}
	for (i = 0; i < hook->n && !error; i++)
		if (!strcmp(hook->updates[i].room, room))
			error = oid_push(&tips, &hook->updates[i].new_id);
	if (error || (error = gitchat_members_load_tips(&m, hook->store, room, tips.v, tips.n)) < 0)
		goto done;
	for (i = 0; i < hook->n && !error; i++) {
		hook_update *u = &hook->updates[i];
		if (strcmp(u->room, room) || gitchat_chatref_parse(&cr, u->refname) < 0)
			continue;
		if (!gitchat_members_valid(m)) {
			snprintf(reason, sizeof(reason), "private room '%s' has no valid genesis "
			         "(git config chat.hook.privateMembers)", room);
		} else if (!gitchat_members_get(m, &cr.key)) {
			gitchat_pubkey_fingerprint(fp, &cr.key);
			snprintf(reason, sizeof(reason), "%s is not a member of private room '%s' "
			         "(git config chat.hook.privateMembers)", fp, room);
		} else {
			continue;
		}
		error = refuse(u, &u->new_id, reason, cb, payload, refused);
	}
done:
	gitchat_members_free(m);
	git_reference_iterator_free(it);
	free(tips.v);
	free(glob);
	return error;
}

int gitchat_hook_check(gitchat_hook *hook, gitchat_problem_cb cb, void *payload)
{
	char reason[2048];
	size_t i, j, refused = 0;
	int error;

	if ((error = check_names(hook, cb, payload, &refused)) != 0)
		return error;
	for (i = 0; i < hook->n; i++) {
		const char *room = hook->updates[i].room;
		if (!room[0])
			continue;
		for (j = 0; j < i && strcmp(hook->updates[j].room, room) != 0; j++)
			;
		if (j == i && (error = seed_room(hook, room)) < 0)
			return error;
	}
	for (i = 0; i < hook->n; i++) {
		hook_update *u = &hook->updates[i];
		if (!u->room[0])
			continue;
		const git_oid *old = git_oid_is_zero(&u->old) ? NULL : &u->old;
		if (old && (error = proven_fast_forward(&hook->graph, &u->new_id, old)) != 0) {
			if (error < 0)
				return error;
			old = NULL;   /* proven: only the commits remain to verify */
		}
		error = gitchat_verify_ref_update(hook->store, u->refname, old, &u->new_id, NULL);
		if (error == GITCHAT_EVERIFY) {
			snprintf(reason, sizeof(reason), "%s", gitchat_error_last()->message);
			if ((error = refuse(u, &u->new_id, reason, cb, payload, &refused)) != 0)
				return error;
			continue;
		}
		if (error < 0)
			return error;
	}
	/* Only over verified logs: a refused update is out of the room. */
	for (i = 0; hook->private_members && !refused && i < hook->n; i++) {
		const char *room = hook->updates[i].room;
		if (!room[0] || gitchat_room_type(room) != GITCHAT_ROOM_PRIVATE)
			continue;
		for (j = 0; j < i && strcmp(hook->updates[j].room, room) != 0; j++)
			;
		if (j == i && (error = check_members(hook, room, cb, payload, &refused)) != 0)
			return error;
	}
	if (refused)
		return gitchat_error_set(GITCHAT_EVERIFY, "%zu of %zu ref update%s refused",
		                         refused, hook->n, hook->n == 1 ? " is" : "s are");
	return 0;
}

void gitchat_hook_free(gitchat_hook *hook)
{
	if (!hook)
		return;
	for (size_t i = 0; i < hook->n; i++)
		free(hook->updates[i].refname);
	free(hook->updates);
	gitchat_oidmap_dispose(&hook->graph.index);
	free(hook->graph.nodes);
	free(hook->graph.parents);
	gitchat_store_free(hook->store);
	free(hook);
}

GITCHAT_OPTIONS_INIT_FUNCTION(gitchat_hook_options_init, gitchat_hook_options, GITCHAT_HOOK_OPTIONS_INIT, GITCHAT_HOOK_OPTIONS_VERSION)
