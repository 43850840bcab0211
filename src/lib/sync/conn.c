#include "sync/conn.h"

void sync_conn_base_dispose(sync_conn *c)
{
	sync_heads_dispose(&c->heads);
	gitchat_buf_dispose(&c->sideband);
}
