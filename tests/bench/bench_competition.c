/*
 * bench_competition — the client side of the competition benchmarks
 * (tests/bench/bench_competition.sh):
 *
 *   load ADDR FIRST COUNT [PER_STREAM]
 *       imports clusters FIRST .. FIRST+COUNT-1 through ImportClusters,
 *       PER_STREAM (default 100,000) per client stream. Cluster i is
 *       "bc-<i, 7 digits>" with a region (31), a city (337), an industry (14)
 *       and five indicators for 2020 and 2021 (revenue_cny,
 *       rd_investment_cny, employment, firms, innovation_centres) whose
 *       integer values come from a hash of (i, indicator, year): synthetic,
 *       the same on every run.
 *   run ADDR COMPETITION_ID TOPFILE [TOP]
 *       one RunCompetition, timed from the request to the final Run
 *       (progress events included); writes the first TOP (default 100)
 *       ranked standings to TOPFILE as "rank,cluster_id,score" (%.17g).
 *   standings ADDR RUN_ID [PAGE_SIZE]
 *       reads every standing of a stored run through ListStandings (the
 *       client's pager, PAGE_SIZE per page, default 10000), timed; checks
 *       that there are as many as the run's candidates, each cluster once
 *       (a 64-bit hash of each id, sorted after the timing), ranks
 *       ascending with every ranked cluster before the excluded ones, and
 *       as many selected as the run's summary says.
 *
 * Prints one line of figures per command; exit status 1 on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_client.h"

#define NIND 5
#define NYEARS 2

static const char *const ind_names[NIND] = {
	"revenue_cny", "rd_investment_cny", "employment", "firms",
	"innovation_centres"};
static const int years[NYEARS] = {2020, 2021};
static const char *const industries[] = {
	"Electronics & ICT", "Software & IT services",
	"Integrated circuits & displays", "Advanced materials",
	"Biomedicine & medical devices", "Vehicles & batteries",
	"Power & energy equipment", "Construction & mining machinery",
	"Aviation & aerospace", "Rail transit equipment",
	"Ships & marine equipment", "Robotics & machine tools",
	"Home appliances & consumer electronics",
	"Textiles, furnishing & light industry"};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Synthetic integer value of indicator k of cluster i in year y. */
static double value(size_t i, size_t k, int y)
{
	uint64_t h = mix(((uint64_t)i << 8) ^ ((uint64_t)k << 4) ^ (uint64_t)y);
	switch (k) {
	case 0: return (double)(1000000000ULL + h % 999000000000ULL);
	case 1: return (double)(1000000ULL + h % 49999000000ULL);
	case 2: return (double)(100 + h % 500000);
	case 3: return (double)(5 + h % 5000);
	default: return (double)(h % 61);
	}
}

typedef struct rec {
	Clusters__V1__Cluster c;
	Clusters__V1__Indicator ind[NIND * NYEARS];
	Clusters__V1__Indicator *indp[NIND * NYEARS];
	char id[32], name[48], city[16], region[16];
	char *cities[1];
} rec_t;

static void rec_fill(rec_t *r, size_t i)
{
	clusters__v1__cluster__init(&r->c);
	snprintf(r->id, sizeof(r->id), "bc-%07zu", i);
	snprintf(r->name, sizeof(r->name), "Benchmark cluster %zu", i);
	snprintf(r->city, sizeof(r->city), "City %03zu", i % 337);
	snprintf(r->region, sizeof(r->region), "Province %02zu", i % 31);
	r->cities[0] = r->city;
	r->c.id = r->id;
	r->c.name = r->name;
	r->c.economy = (char *)"CN";
	r->c.region = r->region;
	r->c.n_cities = 1;
	r->c.cities = r->cities;
	r->c.industry = (char *)industries[i % (sizeof(industries) /
	                                        sizeof(industries[0]))];
	r->c.n_indicators = NIND * NYEARS;
	r->c.indicators = r->indp;
	for (size_t y = 0; y < NYEARS; y++)
		for (size_t k = 0; k < NIND; k++) {
			Clusters__V1__Indicator *in = &r->ind[y * NIND + k];
			clusters__v1__indicator__init(in);
			in->name = (char *)ind_names[k];
			in->year = years[y];
			in->value = value(i, k, years[y]);
			r->indp[y * NIND + k] = in;
		}
}

static int cmd_load(cc_client_t *cl, int argc, char **argv)
{
	if (argc < 2)
		return 2;
	size_t first = strtoul(argv[0], NULL, 10);
	size_t count = strtoul(argv[1], NULL, 10);
	size_t per = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	if (!count || !per)
		return 2;
	rec_t rec;
	double t0 = now();
	long long created = 0, updated = 0;
	for (size_t done = 0; done < count;) {
		size_t n = count - done < per ? count - done : per;
		cc_status_t st;
		cc_writer_t *w;
		if (cc_import_clusters_open(cl, NULL, &w, &st)) {
			fprintf(stderr, "bench_competition: import: %s %s\n",
			        cc_status_name(st.code), st.message);
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			rec_fill(&rec, first + done + i);
			if (cc_writer_write(w, &rec.c.base, &st))
				break;
		}
		Clusters__V1__ImportClustersResponse *resp = NULL;
		if (cc_import_clusters_finish(w, &resp, &st)) {
			fprintf(stderr, "bench_competition: import: %s %s\n",
			        cc_status_name(st.code), st.message);
			return 1;
		}
		int bad = resp->rejected != 0 ||
		          (size_t)(resp->created + resp->updated) != n;
		created += resp->created;
		updated += resp->updated;
		if (bad)
			fprintf(stderr, "bench_competition: import: %lld "
			        "rejected of %zu\n", (long long)resp->rejected, n);
		cc_msg_free(resp);
		if (bad)
			return 1;
		done += n;
	}
	double dt = now() - t0;
	printf("load: %zu clusters (created %lld, updated %lld) in %.2f s = "
	       "%.0f /s\n", count, created, updated, dt, (double)count / dt);
	return 0;
}

static void on_progress(const Clusters__V1__Progress *p, void *ud)
{
	(void)p;
	(*(size_t *)ud)++;
}

static int cmd_run(cc_client_t *cl, int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int top = argc > 2 ? atoi(argv[2]) : 100;
	Clusters__V1__RunCompetitionRequest req =
		CLUSTERS__V1__RUN_COMPETITION_REQUEST__INIT;
	req.competition_id = argv[0];
	Clusters__V1__Run *run = NULL;
	cc_status_t st;
	size_t events = 0;
	double t0 = now();
	if (cc_run_competition(cl, NULL, &req, on_progress, &events, &run,
	                       &st)) {
		fprintf(stderr, "bench_competition: run: %s %s\n",
		        cc_status_name(st.code), st.message);
		return 1;
	}
	double dt = now() - t0;
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		cc_msg_free(run);
		return 1;
	}
	int written = 0;
	for (size_t i = 0; i < run->n_standings && written < top; i++) {
		const Clusters__V1__Standing *s = run->standings[i];
		if (!s->rank)
			continue;
		fprintf(f, "%d,%s,%.17g\n", s->rank, s->cluster_id, s->score);
		written++;
	}
	fclose(f);
	printf("run: %.4f s, %d candidates, %zu standings returned, %zu "
	       "progress events, run %s\n", dt, run->candidates,
	       run->n_standings, events, run->id);
	cc_msg_free(run);
	return written == top ? 0 : 1;
}

/* A 64-bit hash of a cluster id: distinctness of a million ids without
 * keeping their text. */
static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return mix(h) | 1; /* 0 marks an empty slot */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmd_standings(cc_client_t *cl, int argc, char **argv)
{
	if (argc < 1)
		return 2;
	Clusters__V1__GetRunRequest greq = CLUSTERS__V1__GET_RUN_REQUEST__INIT;
	Clusters__V1__Run *run = NULL;
	cc_status_t st;
	greq.id = argv[0];
	if (cc_get_run(cl, NULL, &greq, &run, &st)) {
		fprintf(stderr, "bench_competition: GetRun: %s %s\n",
		        cc_status_name(st.code), st.message);
		return 1;
	}
	size_t want = (size_t)run->candidates, total =
		(size_t)run->standings_total;
	size_t want_sel = run->summary ? (size_t)run->summary->selected : 0;
	cc_msg_free(run);
	/* One hash per standing, in order: the distinctness check runs
	 * after the clock stops (a hash set's random writes in the loop
	 * would be timed as the client's work). */
	uint64_t *ids = malloc((want + 1) * sizeof(*ids));
	if (!ids)
		return 1;
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	req.run_id = argv[0];
	req.page_size = argc > 1 ? atoi(argv[1]) : 10000;
	double t0 = now();
	cc_standings_pager_t *p = cc_standings_pager_open(cl, NULL, &req);
	const Clusters__V1__ListStandingsResponse *page;
	size_t n = 0, pages = 0, dups = 0, sel = 0, disorder = 0;
	int32_t last = 1;
	int rc = p ? CC_OK : CC_INTERNAL;
	while (p && (rc = cc_standings_pager_next(p, &page, &st)) == CC_OK &&
	       page) {
		pages++;
		for (size_t i = 0; i < page->n_standings; i++) {
			const Clusters__V1__Standing *s = page->standings[i];
			if (n < want)
				ids[n] = id_hash(s->cluster_id);
			/* Ranked ones ascend, then the excluded (rank 0). */
			if (s->rank ? (last == 0 || s->rank < last) : 0)
				disorder++;
			last = s->rank;
			sel += s->selected;
			n++;
		}
	}
	double dt = now() - t0;
	cc_standings_pager_close(p);
	if (rc != CC_OK) {
		free(ids);
		fprintf(stderr, "bench_competition: ListStandings: %s %s\n",
		        cc_status_name(st.code), st.message);
		return 1;
	}
	size_t m = n < want ? n : want;
	qsort(ids, m, sizeof(*ids), cmp_u64);
	for (size_t i = 1; i < m; i++)
		dups += ids[i] == ids[i - 1];
	free(ids);
	printf("standings: %.4f s, %zu standings in %zu pages (%.0f/s); run "
	       "candidates %zu, standings_total %zu, selected %zu of %zu, "
	       "duplicate ids %zu, out of order %zu\n", dt, n, pages,
	       dt > 0 ? (double)n / dt : 0, want, total, sel, want_sel, dups,
	       disorder);
	return n == want && n == total && sel == want_sel && !dups &&
	       !disorder ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_competition load ADDR FIRST COUNT "
		        "[PER_STREAM]\n"
		        "       bench_competition run ADDR COMPETITION_ID TOPFILE "
		        "[TOP]\n"
		        "       bench_competition standings ADDR RUN_ID "
		        "[PAGE_SIZE]\n");
		return 2;
	}
	char err[256];
	cc_client_t *cl;
	if (cc_client_open(&cl, argv[2], err, sizeof(err))) {
		fprintf(stderr, "bench_competition: %s\n", err);
		return 1;
	}
	cc_client_set_timeout(cl, 600000);
	int rc = 2;
	if (!strcmp(argv[1], "load"))
		rc = cmd_load(cl, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "run"))
		rc = cmd_run(cl, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "standings"))
		rc = cmd_standings(cl, argc - 3, argv + 3);
	if (rc == 2)
		fprintf(stderr, "bench_competition: bad arguments\n");
	cc_client_close(cl);
	return rc;
}
