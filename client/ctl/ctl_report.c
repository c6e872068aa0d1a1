/* clusterctl run report RUN ...: fetches what a run's report shows (the
 * run, its competition, the best standings of each round and overall,
 * the baseline's ranks of the clusters shown, the clusters of their own
 * sections) and writes the page rpt_render makes (client/report). It
 * reads no more standings than the sections show, so a run of a million
 * clusters reports as fast as one of a hundred. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cd_error.h"
#include "ctl.h"
#include "rpt.h"

static const char ctl_report_help[] =
	"Usage: clusterctl run report RUN -o FILE [--top N] [--baseline RUN]\n"
	"                             [--details K] [--cluster ID]...\n"
	"\n"
	"  a report of a run that ended as one HTML file: inline charts and\n"
	"  style, no script, nothing fetched; it reads offline and prints to\n"
	"  PDF. FILE is created 0600 (share it deliberately) and replaced\n"
	"  only once complete; - writes to stdout.\n"
	"\n"
	"  --top N          clusters in the ranking charts (1-1000, default 25)\n"
	"  --baseline RUN   rank change against RUN (default: the baseline the\n"
	"                   competition named, when it did)\n"
	"  --details K      a section of its own for each of the K best\n"
	"                   clusters (0-100, default 3)\n"
	"  --cluster ID     a report of only this cluster (repeat for more, at\n"
	"                   most 100): the header, then its section\n"
	"\n"
	"SOURCE_DATE_EPOCH, when set, is the time the report says it was made\n"
	"(reproducible reports).\n";

enum { OPT_TOP = 1, OPT_BASELINE, OPT_DETAILS, OPT_CLUSTER, OPT_OUT };

#define FETCH_MAX 100000  /* standings read for one round's top */
#define IDS_MAX 1000      /* ListStandings cluster_ids per request */
#define CLUSTERS_MAX 100

/* Responses kept alive for the standings that point into them. */
typedef struct keep {
	void **msgs;
	size_t n, cap;
} keep_t;

typedef struct list {
	Clusters__V1__Standing **v;
	size_t n, cap;
} list_t;

typedef struct rep {
	ctl_t *ctl;
	cc_client_t *cli;
	keep_t keep;
	int32_t top_n;
} rep_t;

static int keep_add(keep_t *k, void *m)
{
	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 16;
		void **nm = realloc(k->msgs, nc * sizeof(*nm));
		if (!nm)
			return -1;
		k->msgs = nm;
		k->cap = nc;
	}
	k->msgs[k->n++] = m;
	return 0;
}

static void keep_free(keep_t *k)
{
	for (size_t i = 0; i < k->n; i++)
		cc_msg_free(k->msgs[i]);
	free(k->msgs);
}

static int list_add(list_t *l, Clusters__V1__Standing *s)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		Clusters__V1__Standing **nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = s;
	return 0;
}

/* Pages of req into l until limit standings or the last page. *more: a
 * page was left unread. */
static int fetch(rep_t *r, Clusters__V1__ListStandingsRequest *req,
                 size_t limit, list_t *l, int *more)
{
	*more = 0;
	req->page_token = "";
	size_t want = limit - l->n;
	req->page_size = (int32_t)(want > 10000 ? 10000 : want ? want : 1);
	for (;;) {
		Clusters__V1__ListStandingsResponse *resp;
		cc_status_t st;
		if (cc_list_standings(r->cli, ctl_opts(r->ctl), req, &resp, &st))
			return ctl_rpc_fail(&st);
		if (keep_add(&r->keep, resp)) {
			cc_msg_free(resp);
			return ctl_fail(CTL_FAIL, "run report: out of memory");
		}
		for (size_t i = 0; i < resp->n_standings && l->n < limit; i++)
			if (list_add(l, resp->standings[i]))
				return ctl_fail(CTL_FAIL, "run report: out of memory");
		if (!resp->next_page_token[0])
			return CTL_OK;
		if (l->n >= limit) {
			*more = 1;
			return CTL_OK;
		}
		req->page_token = resp->next_page_token;
	}
}

static const char *cmp_round;

static int by_round_rank(const void *a, const void *b)
{
	const Clusters__V1__RoundStanding *x =
		rpt_round_of(*(Clusters__V1__Standing *const *)a, cmp_round);
	const Clusters__V1__RoundStanding *y =
		rpt_round_of(*(Clusters__V1__Standing *const *)b, cmp_round);
	int32_t rx = x && x->rank > 0 ? x->rank : INT32_MAX;
	int32_t ry = y && y->rank > 0 ? y->rank : INT32_MAX;
	return rx < ry ? -1 : rx > ry;
}

static int32_t code_count(const Clusters__V1__RoundStats *rs, int code)
{
	for (size_t i = 0; i < rs->n_decisions; i++)
		if ((int)rs->decisions[i]->code == code)
			return rs->decisions[i]->count;
	return 0;
}

/* A round's candidates the report shows or names, by the round's rank.
 * The standings of a round's candidates come in overall order: first
 * those that went on to a later round (the round's selected), then those
 * that stopped here in this round's order. Everything ranked above the
 * last selected is selected or passed over by a quota, so the selected,
 * the passed over, the best not selected and the top_n are all within
 * selected + passed over + top_n + 1 of the first. */
static int round_top(rep_t *r, const Clusters__V1__Run *run, size_t ri,
                     rpt_round_t *out, list_t *l)
{
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	req.run_id = run->id;
	req.round = run->rounds[ri]->round;
	const Clusters__V1__RoundStats *rs = run->rounds[ri];
	size_t limit = (size_t)r->top_n + 1 +
	               (size_t)(rs->selected > 0 ? rs->selected : 0) +
	               (size_t)code_count(rs, CLUSTERS__V1__DECISION_CODE__DECISION_CODE_PASSED_OVER_BY_QUOTA);
	int more, rc;
	if (limit > FETCH_MAX) {
		limit = FETCH_MAX;
		out->truncated = 1;
	}
	if ((rc = fetch(r, &req, limit, l, &more)))
		return rc;
	out->truncated = out->truncated && more;
	cmp_round = req.round;
	qsort(l->v, l->n, sizeof(*l->v), by_round_rank);
	size_t n = 0;
	while (n < l->n && n < (size_t)r->top_n) {
		const Clusters__V1__RoundStanding *st =
			rpt_round_of(l->v[n], req.round);
		if (!st || st->rank <= 0)
			break;
		n++;
	}
	out->stats = run->rounds[ri];
	out->top = l->v;
	out->ntop = n;
	out->nall = l->n;
	return CTL_OK;
}

/* The standings of ids in run (at most IDS_MAX per request). */
static int by_ids(rep_t *r, const char *run_id, char **ids, size_t n,
                  list_t *l)
{
	for (size_t i = 0; i < n; i += IDS_MAX) {
		Clusters__V1__ListStandingsRequest req =
			CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
		req.run_id = (char *)run_id;
		req.cluster_ids = ids + i;
		req.n_cluster_ids = n - i > IDS_MAX ? IDS_MAX : n - i;
		int more, rc;
		if ((rc = fetch(r, &req, l->n + req.n_cluster_ids, l, &more)))
			return rc;
	}
	return CTL_OK;
}

static Clusters__V1__Standing *find(const list_t *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i]->cluster_id, id))
			return l->v[i];
	return NULL;
}

static int overall_top(rep_t *r, const char *run_id, list_t *l)
{
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	req.run_id = (char *)run_id;
	req.min_rank = 1;
	req.max_rank = r->top_n;
	int more;
	/* Shared ranks can put more than top_n at rank top_n or above. */
	return fetch(r, &req, (size_t)r->top_n * 2, l, &more);
}

/* Each cluster of either top once, with both ranks. */
static int moves(rep_t *r, const Clusters__V1__Run *run, const char *base,
                 const list_t *top, rpt_move_t **out, size_t *nout)
{
	list_t btop = {0}, bmore = {0}, cmore = {0};
	char **ids = calloc(top->n * 2 + 1, sizeof(*ids));
	rpt_move_t *m = calloc(top->n * 2 + 1, sizeof(*m));
	size_t nids = 0, nm = 0;
	int rc = CTL_OK;
	if (!ids || !m) {
		rc = ctl_fail(CTL_FAIL, "run report: out of memory");
		goto done;
	}
	if ((rc = overall_top(r, base, &btop)))
		goto done;
	for (size_t i = 0; i < top->n; i++)
		if (!find(&btop, top->v[i]->cluster_id))
			ids[nids++] = top->v[i]->cluster_id;
	if ((rc = by_ids(r, base, ids, nids, &bmore)))
		goto done;
	nids = 0;
	for (size_t i = 0; i < btop.n; i++)
		if (!find(top, btop.v[i]->cluster_id))
			ids[nids++] = btop.v[i]->cluster_id;
	if ((rc = by_ids(r, run->id, ids, nids, &cmore)))
		goto done;
	for (size_t i = 0; i < top->n; i++) {
		const Clusters__V1__Standing *s = top->v[i];
		const Clusters__V1__Standing *b = find(&btop, s->cluster_id);
		if (!b)
			b = find(&bmore, s->cluster_id);
		m[nm++] = (rpt_move_t){s->cluster_id, rpt_name(s), s->rank,
		                       b ? b->rank : 0};
	}
	for (size_t i = 0; i < btop.n; i++) {
		const Clusters__V1__Standing *b = btop.v[i];
		if (find(top, b->cluster_id))
			continue;
		const Clusters__V1__Standing *c = find(&cmore, b->cluster_id);
		m[nm++] = (rpt_move_t){b->cluster_id, rpt_name(b),
		                       c ? c->rank : 0, b->rank};
	}
done:
	free(btop.v);
	free(bmore.v);
	free(cmore.v);
	free(ids);
	if (rc) {
		free(m);
		m = NULL;
		nm = 0;
	}
	*out = m;
	*nout = nm;
	return rc;
}

static int get_cluster(rep_t *r, const char *id, Clusters__V1__Cluster **c)
{
	Clusters__V1__GetClusterRequest req =
		CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	req.id = (char *)id;
	cc_status_t st;
	if (cc_get_cluster(r->cli, ctl_opts(r->ctl), &req, c, &st))
		return ctl_rpc_fail(&st);
	if (keep_add(&r->keep, *c)) {
		cc_msg_free(*c);
		return ctl_fail(CTL_FAIL, "run report: out of memory");
	}
	return CTL_OK;
}

static int write_out(const char *path, const char *buf, size_t len)
{
	if (!strcmp(path, "-"))
		return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0
		       ? CTL_OK : ctl_fail(CTL_FAIL, "run report: stdout: %s",
		                           strerror(errno));
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp)
		return ctl_fail(CTL_FAIL, "run report: out of memory");
	snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);  /* 0600 */
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return ctl_fail(CTL_FAIL, "run report: %s: %s", path, strerror(e));
	}
	size_t off = 0;
	int e = 0;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e)
		unlink(tmp);
	free(tmp);
	return e ? ctl_fail(CTL_FAIL, "run report: %s: %s", path, strerror(e))
	         : CTL_OK;
}

static void made_at(char *b, size_t n)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	time_t t = time(NULL);
	if (sde && *sde) {
		long long v = strtoll(sde, &end, 10);
		if (!*end && v >= 0)
			t = (time_t)v;
	}
	struct tm tm;
	b[0] = '\0';
	if (gmtime_r(&t, &tm))
		strftime(b, n, "%Y-%m-%d %H:%M UTC", &tm);
}

typedef struct args {
	const char *run, *out, *baseline;
	long top, details;
	char *clusters[CLUSTERS_MAX];
	size_t nclusters;
} args_t;

static int parse(ctl_t *ctl, int argc, char **argv, args_t *a)
{
	static const struct option o[] = {
		{ "top", required_argument, NULL, OPT_TOP },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "details", required_argument, NULL, OPT_DETAILS },
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		{ "output", required_argument, NULL, 'o' },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "run report";
	int c, rc = CTL_OK;
	a->top = 25;
	a->details = 3;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "ho:", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_report_help, stdout); return -1;
		case '?': return rc;
		case 'o': a->out = optarg; break;
		case OPT_BASELINE: a->baseline = optarg; break;
		case OPT_TOP:
			if ((rc = ctl_parse_int(cmd, "--top", optarg, 1, 1000,
			                        &a->top)))
				return rc;
			break;
		case OPT_DETAILS:
			if ((rc = ctl_parse_int(cmd, "--details", optarg, 0,
			                        CLUSTERS_MAX, &a->details)))
				return rc;
			break;
		case OPT_CLUSTER:
			if (a->nclusters == CLUSTERS_MAX)
				return ctl_usage(cmd, "%s: --cluster: at most %d",
				                 cmd, CLUSTERS_MAX);
			a->clusters[a->nclusters++] = optarg;
			break;
		}
	}
	if (optind >= argc)
		return ctl_usage(cmd, "%s: the run id is missing", cmd);
	a->run = argv[optind++];
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	if (!a->out || !*a->out)
		return ctl_usage(cmd, "%s: -o FILE is missing (- for stdout)",
		                 cmd);
	return CTL_OK;
}

static int get_run(rep_t *r, const char *id, const char *what,
                   Clusters__V1__Run **run)
{
	Clusters__V1__GetRunRequest req = CLUSTERS__V1__GET_RUN_REQUEST__INIT;
	req.id = (char *)id;
	/* The standings are read by the parts that draw them. */
	req.view = CLUSTERS__V1__RUN_VIEW__RUN_VIEW_BASIC;
	cc_status_t st;
	if (cc_get_run(r->cli, ctl_opts(r->ctl), &req, run, &st)) {
		if (st.code == CC_NOT_FOUND)
			return ctl_fail(CTL_FAIL, "run report: %s run '%s' not "
			                "found", what, id);
		return ctl_rpc_fail(&st);
	}
	if (keep_add(&r->keep, *run)) {
		cc_msg_free(*run);
		return ctl_fail(CTL_FAIL, "run report: out of memory");
	}
	int s = (*run)->state;
	if (s == CLUSTERS__V1__RUN_STATE__RUN_STATE_QUEUED ||
	    s == CLUSTERS__V1__RUN_STATE__RUN_STATE_RUNNING)
		return ctl_fail(CTL_FAIL, "run report: %s run '%s' has not "
		                "ended: report it once it has (clusterctl run "
		                "watch %s)", what, id, id);
	if (s == CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED ||
	    s == CLUSTERS__V1__RUN_STATE__RUN_STATE_CANCELLED)
		return ctl_fail(CTL_FAIL, "run report: %s run '%s' %s: it has "
		                "no standings to report", what, id,
		                s == CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED
		                ? "failed" : "was cancelled");
	return CTL_OK;
}

static int report(rep_t *r, const args_t *a)
{
	Clusters__V1__Run *run, *base;
	rpt_data_t d = {0};
	rpt_round_t rounds_none[1];
	list_t *rl = NULL, top = {0}, sel = {0};
	rpt_cluster_t cl[CLUSTERS_MAX];
	rpt_move_t *mv = NULL;
	char made[64];
	int rc;

	if ((rc = get_run(r, a->run, "the", &run)))
		return rc;
	d.run = run;
	d.top_n = r->top_n;
	made_at(made, sizeof(made));
	d.generated = made;
	Clusters__V1__GetCompetitionRequest creq =
		CLUSTERS__V1__GET_COMPETITION_REQUEST__INIT;
	Clusters__V1__Competition *comp = NULL;
	cc_status_t st;
	creq.id = run->competition_id;
	if (cc_get_competition(r->cli, ctl_opts(r->ctl), &creq, &comp, &st)) {
		if (st.code != CC_NOT_FOUND)
			return ctl_rpc_fail(&st);
	} else if (keep_add(&r->keep, comp)) {
		cc_msg_free(comp);
		return ctl_fail(CTL_FAIL, "run report: out of memory");
	}
	d.comp = comp;

	const char *bid = a->baseline ? a->baseline
	                  : run->baseline_run_id && *run->baseline_run_id
	                  ? run->baseline_run_id : NULL;
	if (bid && (rc = get_run(r, bid, "the baseline", &base)))
		return rc;

	d.mode = a->nclusters ? RPT_CLUSTERS : RPT_FULL;
	d.rounds = rounds_none;
	rpt_round_t *rounds = run->n_rounds
	                      ? calloc(run->n_rounds, sizeof(*rounds)) : NULL;
	rl = calloc(run->n_rounds + 1, sizeof(*rl));
	if ((run->n_rounds && !rounds) || !rl) {
		rc = ctl_fail(CTL_FAIL, "run report: out of memory");
		goto done;
	}
	if (rounds)
		d.rounds = rounds;
	d.nrounds = run->n_rounds;
	/* The stored rounds are what every section draws on: a run stored
	 * before runs kept them has none, and says so in the header. */
	for (size_t i = 0; d.mode == RPT_FULL && i < run->n_rounds; i++)
		if ((rc = round_top(r, run, i, &rounds[i], &rl[i])))
			goto done;
	for (size_t i = 0; d.mode == RPT_CLUSTERS && i < run->n_rounds; i++)
		rounds[i].stats = run->rounds[i];
	if ((rc = overall_top(r, run->id, &top)))
		goto done;
	d.top = top.v;
	d.ntop = top.n;
	if (bid && d.mode == RPT_FULL) {
		if ((rc = moves(r, run, bid, &top, &mv, &d.nmoves)))
			goto done;
		d.baseline_id = bid;
		d.moves = mv;
	}
	if (d.mode == RPT_CLUSTERS) {
		if ((rc = by_ids(r, run->id, (char **)a->clusters, a->nclusters,
		                 &sel)))
			goto done;
		for (size_t i = 0; i < a->nclusters; i++) {
			Clusters__V1__Cluster *c;
			if ((rc = get_cluster(r, a->clusters[i], &c)))
				goto done;
			cl[d.nclusters++] = (rpt_cluster_t){
				c, find(&sel, a->clusters[i])};
		}
	} else {
		for (size_t i = 0; i < top.n && d.nclusters < (size_t)a->details;
		     i++) {
			Clusters__V1__Cluster *c;
			Clusters__V1__GetClusterRequest gq =
				CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
			gq.id = top.v[i]->cluster_id;
			/* A cluster deleted since the run has no record to
			 * show: it is left out, not an error. */
			if (cc_get_cluster(r->cli, ctl_opts(r->ctl), &gq, &c, &st)) {
				if (st.code == CC_NOT_FOUND)
					continue;
				rc = ctl_rpc_fail(&st);
				goto done;
			}
			if (keep_add(&r->keep, c)) {
				cc_msg_free(c);
				rc = ctl_fail(CTL_FAIL, "run report: out of memory");
				goto done;
			}
			cl[d.nclusters++] = (rpt_cluster_t){c, top.v[i]};
		}
	}
	d.clusters = cl;

	char *html;
	size_t len;
	if (rpt_render(&d, &html, &len)) {
		rc = ctl_fail(CTL_FAIL, "run report: out of memory");
		goto done;
	}
	rc = write_out(a->out, html, len);
	free(html);
	if (rc == CTL_OK && strcmp(a->out, "-"))
		printf("report of run %s: %s (%zu bytes)\n", run->id, a->out, len);
done:
	for (size_t i = 0; rl && i < run->n_rounds; i++)
		free(rl[i].v);
	free(rl);
	free(rounds);
	free(top.v);
	free(sel.v);
	free(mv);
	return rc;
}

int ctl_run_report(ctl_t *ctl, int argc, char **argv)
{
	args_t a = {0};
	int rc = parse(ctl, argc, argv, &a);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	rep_t r = { .ctl = ctl, .top_n = (int32_t)a.top };
	if (!(r.cli = ctl_client(ctl)))
		return CTL_FAIL;
	rc = report(&r, &a);
	keep_free(&r.keep);
	return rc;
}
