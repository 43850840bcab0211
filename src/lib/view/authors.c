#include <string.h>

#include "gitchat/conversation.h"
#include "store/refs.h"
#include "view/authors.h"

int gitchat_authors_walk(gitchat_store *store, const char *room, gitchat_authors_cb cb,
                         void *payload)
{
	gitchat_tips tips;
	size_t i, j, r;
	int error;

	if ((error = gitchat_tips_list(&tips, NULL, gitchat_store_repository(store), room)) < 0)
		return error;
	for (r = 0; r < tips.count; r++) {
		gitchat_conversation *conv = NULL;
		/* Each room once: tips are sorted by ref name, so rooms repeat. */
		for (j = 0; j < r && strcmp(tips.tips[j].ref.room, tips.tips[r].ref.room); j++)
			;
		if (j < r)
			continue;
		if ((error = gitchat_conversation_load(&conv, store, tips.tips[r].ref.room,
		                                       NULL)) < 0)
			goto done;
		for (i = 0; error == 0 && i < gitchat_conversation_count(conv); i++) {
			gitchat_message *m = NULL;
			if ((error = gitchat_conversation_message_load(&m, conv, i)) == 0)
				error = cb(m, payload);
			gitchat_message_free(m);
		}
		gitchat_conversation_free(conv);
		if (error != 0)
			goto done;
	}
	error = 0;
done:
	gitchat_tips_dispose(&tips);
	return error;
}
