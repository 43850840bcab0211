#include <stdlib.h>
#include <string.h>

#include "sync/report.h"
#include "util/error.h"

int sync_report_cancelled_error(void)
{
	return gitchat_error_set(GITCHAT_ERROR, "cancelled by the caller");
}

int sync_report_emit(sync_report *rep, gitchat_sync_event *ev)
{
	ev->remote = rep->remote;
	if (!ev->url)   /* CONNECTING names the URL after insteadOf */
		ev->url = rep->url;
	if (!rep->cancelled && rep->opts->event_cb &&
	    rep->opts->event_cb(ev, rep->opts->payload) != 0)
		rep->cancelled = 1;
	return rep->cancelled ? sync_report_cancelled_error() : 0;
}

int sync_report_progress(sync_report *rep, gitchat_sync_progress *p)
{
	p->remote = rep->remote;
	if (rep->cancelled)
		return -1;
	if (rep->opts->progress_cb && rep->opts->progress_cb(p, rep->opts->payload) != 0) {
		rep->cancelled = 1;
		return -1;
	}
	return 0;
}

void sync_report_count_room(sync_report *rep, const char *room, size_t count,
                            const size_t kinds[4])
{
	sync_result_entry *e = rep->res;
	size_t i;
	gitchat_sync_room_count *nr;
	char **nn;

	e->pub.received += count;
	for (i = 0; i < 4; i++)
		e->pub.received_kinds[i] += kinds[i];
	for (i = 0; i < e->nrooms; i++)
		if (!strcmp(e->room_names[i], room)) {
			e->rooms[i].count += count;
			return;
		}
	if (!(nr = realloc(e->rooms, (e->nrooms + 1) * sizeof(*nr))))
		return;
	e->rooms = nr;
	if (!(nn = realloc(e->room_names, (e->nrooms + 1) * sizeof(*nn))))
		return;
	e->room_names = nn;
	if (!(nn[e->nrooms] = strdup(room)))
		return;
	nr[e->nrooms].room = nn[e->nrooms];
	nr[e->nrooms].count = count;
	e->nrooms++;
}

void sync_result_entry_dispose(sync_result_entry *e)
{
	free(e->name);
	free(e->url);
	free(e->error);
	for (size_t k = 0; k < e->nrooms; k++)
		free(e->room_names[k]);
	free(e->room_names);
	free(e->rooms);
}
