/*
 * bench_eval_fill — what reading the store costs a competition run, against
 * the floor of a raw LMDB cursor scan over the same database.
 *
 * Creates (or reuses) a store of N clusters (ten indicators each, one or two
 * cities, labels on every fourth, expert assessments on every tenth), then,
 * each in a child process of its own so that each reports its own peak
 * resident memory:
 *   scan: a raw LMDB cursor scan of the "clusters" database reading every
 *         byte (mdb directly; one untimed pass first to map the pages);
 *   run:  srv_eval_run of a one-round competition with five criteria (the
 *         built-in "indicator" plugin, NORMALIZATION_MIN_MAX, one indicator filter, top
 *         100 with a quota) over one snapshot, after one untimed scan of the
 *         snapshot; the progress stages give the time of the fill
 *         ("reading": the engine cohort and the plugin cohort) apart from
 *         the evaluation.
 * Peak RSS counts the pages of the LMDB map the process touched (shared,
 * file-backed) as well as its own heap, so "anon" (RssAnon, sampled at each
 * stage change) is printed too.
 *
 * Usage: bench_eval_fill N [DATA_DIR]
 *   DATA_DIR is kept and reused when it already holds N clusters; without
 *   it a temporary directory is made and removed.
 * Thread-safety: single-threaded program (children are forked).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <lmdb.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin_registry.h"
#include "srv_eval.h"
#include "store.h"

#include "bench_floor.h"

#define NIND 10
#define BATCH 4096

static const char *const ind_names[NIND] = {
	"pct_applications", "scientific_publications", "population",
	"revenue_cny", "rd_investment_cny", "employment", "firms",
	"innovation_centres", "exports", "patents_granted"};
static const char *const econ[] = {"CN", "US", "JP", "DE", "KR", "FR",
                                   "CN/HK"};
static const char *const industries[] = {"ICT", "Equipment", "Biomedicine",
                                         "New materials", "Automotive"};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* A "Key:   123 kB" line of /proc/self/status, in MiB; -1 if absent. */
static long status_mb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			kb = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

/* ------------------------------------------------------------ the data */

typedef struct rec {
	Clusters__V1__Cluster c;
	Clusters__V1__Indicator ind[NIND], *indp[NIND];
	Clusters__V1__Assessment as[6], *asp[6];
	Clusters__V1__Cluster__LabelsEntry lab[2], *labp[2];
	char id[32], name[48], region[32], city[2][32];
	char *cities[2];
} rec_t;

static void rec_fill(rec_t *r, size_t i)
{
	static const char *const judges[] = {"judge-a", "judge-b", "judge-c"};
	static const char *const tiers[] = {"gold", "silver", "bronze"};
	clusters__v1__cluster__init(&r->c);
	snprintf(r->id, sizeof(r->id), "c%07zu", i);
	snprintf(r->name, sizeof(r->name), "Cluster number %zu", i);
	snprintf(r->region, sizeof(r->region), "Region %zu", i % 31);
	snprintf(r->city[0], sizeof(r->city[0]), "City %zu", i % 997);
	snprintf(r->city[1], sizeof(r->city[1]), "City %zu", 997 + i % 89);
	r->cities[0] = r->city[0];
	r->cities[1] = r->city[1];
	r->c.id = r->id;
	r->c.name = r->name;
	r->c.economy = (char *)econ[i % 7];
	r->c.region = r->region;
	r->c.industry = (char *)industries[i % 5];
	r->c.n_cities = i % 3 ? 1 : 2;
	r->c.cities = r->cities;
	r->c.n_indicators = NIND;
	r->c.indicators = r->indp;
	uint64_t h = i * 0x9e3779b97f4a7c15u;
	for (size_t k = 0; k < NIND; k++) {
		clusters__v1__indicator__init(&r->ind[k]);
		r->ind[k].name = (char *)ind_names[k];
		r->ind[k].year = 2022 - (int)(k == 9);
		h ^= h >> 29;
		h *= 0xbf58476d1ce4e5b9u;
		r->ind[k].value = (double)(h >> 40) / 16.0;
		if (k == 3)
			r->ind[k].unit = "CNY";
		r->indp[k] = &r->ind[k];
	}
	if (i % 10 == 0) {
		for (size_t k = 0; k < 6; k++) {
			clusters__v1__assessment__init(&r->as[k]);
			r->as[k].judge = (char *)judges[k / 2];
			r->as[k].criterion = k % 2 ? "impact" : "strategy";
			r->as[k].score = (double)((i + k) % 10);
			r->as[k].round = k < 4 ? "1" : "final";
			r->as[k].recused = k == 5;
			r->asp[k] = &r->as[k];
		}
		r->c.n_assessments = 6;
		r->c.assessments = r->asp;
	}
	if (i % 4 == 0) {
		clusters__v1__cluster__labels_entry__init(&r->lab[0]);
		clusters__v1__cluster__labels_entry__init(&r->lab[1]);
		r->lab[0].key = "tier";
		r->lab[0].value = (char *)tiers[i % 3];
		r->lab[1].key = "source";
		r->lab[1].value = "survey";
		r->labp[0] = &r->lab[0];
		r->labp[1] = &r->lab[1];
		r->c.n_labels = i % 8 ? 1 : 2;
		r->c.labels = r->labp;
	}
}

static int populate(const char *dir, size_t n)
{
	store_t *st;
	char err[256];
	store_opts_t so = {.nosync = 1, .map_size = (size_t)1 << 30};
	if (store_open(&st, dir, &so, err, sizeof(err))) {
		fprintf(stderr, "bench_eval_fill: %s\n", err);
		return 1;
	}
	store_stats_t ss;
	if (!store_stats(st, &ss) && ss.clusters == n) {
		printf("store: reusing %s (%zu clusters)\n", dir, n);
		store_close(st);
		return 0;
	}
	if (ss.clusters) {
		fprintf(stderr, "bench_eval_fill: %s holds %llu clusters, not "
		        "%zu\n", dir, (unsigned long long)ss.clusters, n);
		store_close(st);
		return 1;
	}
	rec_t *recs = calloc(BATCH, sizeof(*recs));
	store_op_t *ops = calloc(BATCH, sizeof(*ops));
	uint8_t *buf = malloc((size_t)BATCH * 1024);
	if (!recs || !ops || !buf)
		return 1;
	double t0 = now();
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i += BATCH) {
		size_t m = n - i < BATCH ? n - i : BATCH, off = 0;
		for (size_t k = 0; k < m; k++) {
			rec_fill(&recs[k], i + k);
			memset(&ops[k], 0, sizeof(ops[k]));
			ops[k].kind = STORE_CLUSTER_UPSERT;
			ops[k].cluster = &recs[k].c;
			ops[k].packed = buf + off;
			ops[k].packed_len =
				clusters__v1__cluster__pack(&recs[k].c, buf + off);
			off += ops[k].packed_len;
		}
		rc = store_apply(st, ops, m);
		for (size_t k = 0; !rc && k < m; k++)
			if (ops[k].rc) {
				fprintf(stderr, "bench_eval_fill: %s\n", ops[k].err);
				rc = 1;
			}
	}
	printf("store: %zu clusters written in %.2f s\n", n, now() - t0);
	free(recs);
	free(ops);
	free(buf);
	store_close(st);
	return rc ? 1 : 0;
}

/* ------------------------------------------------------------ the scan */

static int phase_scan(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc = mdb_env_create(&env);
	if (!rc)
		rc = mdb_env_set_maxdbs(env, 16);
	if (!rc)
		rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
	if (!rc)
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, "clusters", 0, &dbi);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
	}
	size_t n = 0, bytes = 0;
	uint64_t sum = 0;
	if (!rc)
		/* untimed */
		rc = bench_floor_scan(env, dbi, &n, &bytes, &sum);
	double t0 = now();
	if (!rc)
		rc = bench_floor_scan(env, dbi, &n, &bytes, &sum);
	double t = now() - t0;
	if (rc) {
		fprintf(stderr, "bench_eval_fill: scan: %s\n", mdb_strerror(rc));
		return 1;
	}
	printf("scan: %zu records, %zu bytes in %.3f s; peak RSS %ld MB "
	       "(checksum %llu)\n", n, bytes, t, maxrss_mb(),
	       (unsigned long long)sum);
	mdb_env_close(env);
	return 0;
}

/* ------------------------------------------------------------- the run */

typedef struct stages {
	const char *name[16];
	double t[16];
	long anon[16];
	int n;
} stages_t;

static int on_progress(void *arg, const char *stage, uint64_t done,
                       uint64_t total)
{
	stages_t *s = arg;
	(void)done;
	(void)total;
	if (s->n && !strcmp(s->name[s->n - 1], stage))
		return 0;
	if (s->n < 16) {
		s->name[s->n] = stage;
		s->t[s->n] = now();
		s->anon[s->n] = status_mb("RssAnon");
		s->n++;
	}
	return 0;
}

static int touch_fn(void *arg, const char *id, size_t id_len,
                    const uint8_t *val, size_t val_len)
{
	uint64_t *sum = arg;
	(void)id;
	(void)id_len;
	for (size_t i = 0; i < val_len; i += 64)
		*sum += val[i];
	return 0;
}

/* One round, five "indicator" criteria, an indicator filter, top 100. */
typedef struct comp {
	Clusters__V1__Competition def;
	Clusters__V1__Round round, *roundp;
	Clusters__V1__Criterion crit[5], *critp[5];
	Clusters__V1__Criterion__ParamsEntry param[5], *paramp[5];
	Clusters__V1__Filter filter, *filterp;
	Clusters__V1__Selection sel;
	char id[5][8];
} comp_t;

static void comp_init(comp_t *c)
{
	clusters__v1__competition__init(&c->def);
	clusters__v1__round__init(&c->round);
	clusters__v1__selection__init(&c->sel);
	clusters__v1__filter__init(&c->filter);
	c->def.id = "bench";
	c->def.title = "bench";
	c->def.n_rounds = 1;
	c->roundp = &c->round;
	c->def.rounds = &c->roundp;
	c->round.name = "prelim";
	for (int k = 0; k < 5; k++) {
		clusters__v1__criterion__init(&c->crit[k]);
		clusters__v1__criterion__params_entry__init(&c->param[k]);
		snprintf(c->id[k], sizeof(c->id[k]), "k%d", k);
		c->param[k].key = "indicator";
		c->param[k].value = (char *)ind_names[k * 2];
		c->paramp[k] = &c->param[k];
		c->crit[k].id = c->id[k];
		c->crit[k].plugin = "indicator";
		c->crit[k].weight = 1 + k;
		c->crit[k].n_params = 1;
		c->crit[k].params = &c->paramp[k];
		c->crit[k].normalization =
			CLUSTERS__V1__NORMALIZATION__NORMALIZATION_MIN_MAX;
		c->critp[k] = &c->crit[k];
	}
	c->round.n_criteria = 5;
	c->round.criteria = c->critp;
	c->filter.field = CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_INDICATOR;
	c->filter.key = "population";
	c->filter.op = CLUSTERS__V1__COMPARISON__COMPARISON_GE;
	c->filter.threshold = 1000;
	c->filterp = &c->filter;
	c->round.n_eligibility = 1;
	c->round.eligibility = &c->filterp;
	c->sel.top_n = 100;
	c->sel.max_per_economy = 30;
	c->round.selection = &c->sel;
}

/* Only warnings and errors of the plugin loader. */
static void quiet_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= CP_LOG_WARNING)
		fprintf(stderr, "%s\n", msg);
}

static int phase_run(const char *dir)
{
	char err[512];
	store_t *st;
	plugin_registry_t *reg;
	plugin_registry_opts_t po = {.dir = BENCH_PLUGIN_DIR, .log = quiet_log,
	                             .isolation = PLUGIN_ISOLATION_NONE};
	if (store_open(&st, dir, NULL, err, sizeof(err)) ||
	    plugin_registry_create(&reg, &po, err, sizeof(err))) {
		fprintf(stderr, "bench_eval_fill: %s\n", err);
		return 1;
	}
	plugin_generation_t *gen = plugin_registry_acquire(reg);
	comp_t comp;
	comp_init(&comp);
	if (srv_eval_check(&comp.def, gen, 1, 0, err, sizeof(err))) {
		fprintf(stderr, "bench_eval_fill: definition: %s\n", err);
		return 1;
	}
	store_snap_t *snap;
	if (store_snap_open(st, &snap))
		return 1;
	uint64_t sum = 0;
	store_snap_scan(snap, NULL, NULL, touch_fn, &sum);  /* map the pages */
	long anon0 = status_mb("RssAnon");
	stages_t s = {.n = 0};
	srv_eval_req_t r = {
		.def = &comp.def, .snap = snap, .gen = gen,
		.progress = on_progress, .progress_arg = &s, .run_id = "bench",
	};
	Clusters__V1__Run *run = NULL;
	double t0 = now();
	int rc = srv_eval_run(&r, &run, err, sizeof(err));
	double t1 = now();
	if (rc) {
		fprintf(stderr, "bench_eval_fill: run: %s\n", err);
		return 1;
	}
	double fill = s.n > 1 ? s.t[1] - s.t[0] : NAN;
	printf("run: %.3f s in all; fill (reading) %.3f s, the rest %.3f s; "
	       "%zu standings, %d selected\n", t1 - t0, fill,
	       s.n > 1 ? t1 - s.t[1] : NAN, run->n_standings,
	       run->summary ? (int)run->summary->selected : -1);
	for (int i = 0; i < s.n; i++)
		printf("  stage %-12s from %.3f s, RssAnon %ld MB\n", s.name[i],
		       s.t[i] - t0, s.anon[i]);
	printf("run: peak RSS %ld MB (RssAnon before the run %ld MB, after "
	       "the fill %ld MB; RssFile now %ld MB)\n", maxrss_mb(), anon0,
	       s.n > 1 ? s.anon[1] : -1, status_mb("RssFile"));
	engine_run_free(run);
	store_snap_close(snap);
	plugin_generation_release(gen);
	plugin_registry_destroy(reg);
	store_close(st);
	return 0;
}

/* ---------------------------------------------------------------- main */

static int in_child(int (*fn)(const char *), const char *dir)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int rc = fn(dir);
		fflush(stdout);
		_exit(rc);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

static size_t g_n;

static int phase_populate(const char *dir)
{
	return populate(dir, g_n);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_eval_fill N [DATA_DIR]\n");
		return 2;
	}
	char *end;
	unsigned long long n = strtoull(argv[1], &end, 10);
	if (*end || n == 0 || n > 100000000ull) {
		fprintf(stderr, "bench_eval_fill: N must be 1..100000000\n");
		return 2;
	}
	g_n = (size_t)n;
	char tmp[] = "/tmp/bench_eval_fill.XXXXXX";
	const char *dir = argc > 2 ? argv[2] : mkdtemp(tmp);
	if (!dir)
		return 1;
	int rc = in_child(phase_populate, dir);
	if (!rc)
		rc = in_child(phase_scan, dir);
	if (!rc)
		rc = in_child(phase_run, dir);
	if (argc < 3)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
