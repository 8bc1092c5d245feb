/*
 * shimv2_state: lookups on the server's state (role layer, bottom band). Calls nothing of
 * the role; owns no descriptor (closing is the io and proc files' job).
 */
#include <stdlib.h>
#include <string.h>

#include "shimv2/shimv2_state.h"

struct shimv2_task *shimv2_state_task(struct shimv2 *sv, const char *id)
{
	for (size_t i = 0; i < SHIMV2_TASKS_MAX; i++)
		if (sv->tasks[i] && strcmp(sv->tasks[i]->id, id) == 0)
			return sv->tasks[i];
	return NULL;
}

struct shimv2_proc *shimv2_state_proc(struct shimv2_task *t, const char *exec_id)
{
	if (!exec_id[0])
		return &t->init;
	for (size_t i = 0; i < SHIMV2_EXECS_MAX; i++)
		if (t->execs[i] && strcmp(t->execs[i]->exec_id, exec_id) == 0)
			return t->execs[i];
	return NULL;
}

size_t shimv2_state_ntasks(const struct shimv2 *sv)
{
	size_t n = 0;

	for (size_t i = 0; i < SHIMV2_TASKS_MAX; i++)
		n += sv->tasks[i] != NULL;
	return n;
}

struct shimv2_conn *shimv2_state_conn(struct shimv2 *sv, uint64_t id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < SHIMV2_CONNS_MAX; i++)
		if (sv->conns[i].id == id)
			return &sv->conns[i];
	return NULL;
}

void shimv2_state_proc_clear(struct shimv2_proc *p)
{
	free(p->stdin_path);
	free(p->stdout_path);
	free(p->stderr_path);
	free(p->spec);
	p->stdin_path = p->stdout_path = p->stderr_path = p->spec = NULL;
	p->spec_len = 0;
}

bool shimv2_state_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > SHIMV2_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

const char *shimv2_state_proc_name(const struct shimv2_proc *p)
{
	return p->exec_id[0] ? p->exec_id : p->task->id;
}
