#include "engine_progress.h"

#include "cd_error.h"

static int report(engine_progress_t *p, uint64_t done)
{
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	int r = p->fn(p->arg, p->stage, done, p->total);
	if (r == 0)
		return CD_OK;
	return r == CD_EDEADLINE ? CD_EDEADLINE : CD_ECANCELLED;
}

void engine_progress_init(engine_progress_t *p, engine_progress_fn fn,
                          void *arg)
{
	p->fn = fn;
	p->arg = arg;
	p->stage = "";
	p->total = 0;
	p->interval_ms = ENGINE_PROGRESS_MS;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
}

int engine_progress_stage(engine_progress_t *p, const char *stage,
                          uint64_t total)
{
	if (!p || !p->fn)
		return CD_OK;
	p->stage = stage;
	p->total = total;
	return report(p, 0);
}

int engine_progress_tick(engine_progress_t *p, uint64_t done)
{
	if (!p || !p->fn)
		return CD_OK;
	if (p->interval_ms < 0)
		return report(p, done);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(now.tv_sec - p->last.tv_sec) * 1000 +
	             (now.tv_nsec - p->last.tv_nsec) / 1000000;
	if (ms < p->interval_ms)
		return CD_OK;
	return report(p, done);
}

int engine_progress_done(engine_progress_t *p)
{
	if (!p || !p->fn)
		return CD_OK;
	return report(p, p->total);
}
