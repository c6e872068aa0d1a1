/*
 * bench_plugins — every multi-criteria method against topsis on the same
 * cohort, each plugin loaded in this process through the plugin registry
 * and run by plugin_instance_score, as the server runs them without
 * isolation.
 *
 * The cohort: N synthetic clusters with five indicators of different
 * shapes (a long-tailed amount, small counts with many ties, a share, a
 * large value with small differences, a rounded score), every value > 0
 * so that every method takes them (wpm and copras need positive values).
 * Each round times, in turn, topsis; mcda with each of its six methods;
 * promethee with the usual function on every indicator, with linear on
 * every one, with vshape on every one, and with usual, ushape, vshape,
 * level and linear (one each). It prints the load average before each
 * round, the median, min and max wall and CPU time of each configuration
 * over the rounds, each median CPU time over topsis's, and whether it is
 * within 3x ("met", "met, narrowly" within 10% of the limit, "not met").
 *
 * The gaussian function is O(N^2): "gaussian N" times it alone on one
 * indicator of N clusters (what PM_GAUSSIAN_MAX was chosen from).
 *
 * Usage: bench_plugins [N [rounds [only]]]  (default 1000000 5; `only`:
 *        the configurations whose name contains it, topsis always, e.g.
 *        to run one under callgrind)
 *        bench_plugins gaussian N
 * Thread-safety: single-threaded program.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "plugin_registry.h"

#define NCONF 11
#define MAX_ROUNDS 64
#define TARGET 3.0      /* each method within 3x topsis's CPU time */
#define NARROW 0.9      /* "narrowly" above 90% of the target */

static uint64_t rng_state = 42;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

static double now(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= CP_LOG_WARNING)
		fprintf(stderr, "bench_plugins: %s\n", msg);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_plugins: %s: %s\n", what, err);
	exit(1);
}

static plugin_cohort_t *make_cohort(size_t n, int one)
{
	char err[256], id[32];
	plugin_cohort_t *c;
	if (plugin_cohort_create(&c, n, n * 5, err, sizeof(err)))
		die("cohort", err);
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "c%zu", i);
		double v[5] = {
			floor(exp(normal() * 1.5) * 1e6) + 1,   /* amount */
			(double)(1 + rng() % 500),              /* count */
			unif(),                                 /* share */
			1e9 + unif() * 1e4,                     /* large */
			/* score, rounded to 0.1, at least 0.1 */
			fmax(0.1, round((50 + 15 * normal()) * 10) / 10),
		};
		static const char *const names[5] = { "i1", "i2", "i3", "i4",
		                                      "i5" };
		if (plugin_cohort_add_cluster(c, id, NULL, NULL, NULL, NULL, err,
		                              sizeof(err)))
			die("cohort", err);
		for (int j = 0; j < (one ? 1 : 5); j++)
			if (plugin_cohort_add_indicator(c, names[j], 2022, v[j],
			                                err, sizeof(err)))
				die("cohort", err);
	}
	if (plugin_cohort_seal(c, err, sizeof(err)))
		die("seal", err);
	return c;
}

typedef struct conf {
	const char *name, *plugin;
	plugin_kv_t kv[6];
	size_t nkv;
} conf_t;

#define IND { "indicators", "i1,i2,i3,i4,i5" }
#define DIR { "directions", "benefit,benefit,benefit,cost,benefit" }

#define MC(m) { "mcda " m, "mcda", { IND, DIR, { "method", m } }, 3 }

static const conf_t confs[NCONF] = {
	{ "topsis", "topsis", { IND, DIR }, 2 },
	MC("vikor"), MC("copras"), MC("wpm"), MC("spotis"), MC("mabac"),
	MC("edas"),
	{ "promethee usual", "promethee", { IND, DIR }, 2 },
	{ "promethee linear", "promethee",
	  { IND, DIR, { "preference", "linear,linear,linear,linear,linear" },
	    { "q", "1e5,5,0.02,200,2" }, { "p", "2e6,50,0.2,2000,15" } }, 5 },
	{ "promethee vshape", "promethee",
	  { IND, DIR, { "preference", "vshape,vshape,vshape,vshape,vshape" },
	    { "p", "2e6,50,0.2,2000,15" } }, 4 },
	{ "promethee mixed", "promethee",
	  { IND, DIR, { "preference", "usual,ushape,vshape,level,linear" },
	    { "q", "-,5,-,200,2" }, { "p", "-,-,0.2,2000,15" } }, 5 },
};

static double score_once(plugin_generation_t *g, const char *plugin,
                         const plugin_kv_t *kv, size_t nkv,
                         const plugin_cohort_t *c, double *out,
                         double *cpu)
{
	char err[1024];
	plugin_instance_t *inst;
	double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (plugin_instance_open(&inst, g, plugin, kv, nkv, err, sizeof(err)) ||
	    plugin_instance_score(inst, c, out, NULL, err, sizeof(err)))
		die(plugin, err);
	plugin_instance_close(inst);
	*cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return now(CLOCK_MONOTONIC) - w0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v and returns its median. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The 1-minute load average, or -1. */
static double load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static void loadavg(const char *when)
{
	char buf[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?\n");
		fclose(f);
	}
	printf("load average %s: %s", when, buf);
}

static int gaussian(plugin_generation_t *g, size_t n)
{
	plugin_cohort_t *c = make_cohort(n, 1);
	double *out = malloc(n * sizeof(*out)), cpu;
	if (!out)
		die("gaussian", "out of memory");
	plugin_kv_t kv[] = { { "indicators", "i1" },
	                     { "preference", "gaussian" }, { "s", "1e6" } };
	loadavg("before");
	double wall = score_once(g, "promethee", kv, 3, c, out, &cpu);
	printf("gaussian, %zu clusters (%.3g pairs): %.2f s wall, %.2f s CPU, "
	       "%.2f ns CPU a pair\n", n, (double)n * (double)(n - 1) / 2,
	       wall, cpu, cpu * 2e9 / ((double)n * (double)(n - 1)));
	loadavg("after");
	free(out);
	plugin_cohort_destroy(c);
	return 0;
}

int main(int argc, char **argv)
{
	int gauss = argc > 1 && strcmp(argv[1], "gaussian") == 0;
	size_t n = argc > 1 + gauss ? strtoul(argv[1 + gauss], NULL, 10)
	                            : 1000000;
	size_t rounds = !gauss && argc > 2 ? strtoul(argv[2], NULL, 10) : 5;
	const char *only = !gauss && argc > 3 ? argv[3] : NULL;
	if (n < 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_plugins [N [rounds [only]]] | "
		        "bench_plugins gaussian N\n");
		return 2;
	}
	char err[1024];
	plugin_registry_t *reg;
	plugin_registry_opts_t o = { .dir = BENCH_PLUGIN_DIR, .log = quiet };
	if (plugin_registry_create(&reg, &o, err, sizeof(err)))
		die("registry", err);
	plugin_generation_t *g = plugin_registry_acquire(reg);
	if (gauss)
		return gaussian(g, n);

	int on[NCONF];
	for (int k = 0; k < NCONF; k++)
		on[k] = k == 0 || !only || strstr(confs[k].name, only);
	double t0 = now(CLOCK_MONOTONIC);
	plugin_cohort_t *c = make_cohort(n, 0);
	printf("cohort: %zu clusters x 5 indicators, built in %.2f s\n", n,
	       now(CLOCK_MONOTONIC) - t0);
	double *out = malloc(n * sizeof(*out));
	if (!out)
		die("bench", "out of memory");
	static double wall[NCONF][MAX_ROUNDS], cpu[NCONF][MAX_ROUNDS];
	loadavg("before");
	/* Untimed: the first touch of the cohort and of the allocator. */
	for (int k = 0; k < NCONF; k++)
		if (on[k])
			score_once(g, confs[k].plugin, confs[k].kv, confs[k].nkv, c,
			           out, &cpu[k][0]);
	/* Interleaved, so that a change of load hits every config alike. */
	for (size_t r = 0; r < rounds; r++) {
		printf("round %zu: load average before %.2f\n", r + 1, load1());
		for (int k = 0; k < NCONF; k++)
			if (on[k])
				wall[k][r] = score_once(g, confs[k].plugin, confs[k].kv,
				                        confs[k].nkv, c, out,
				                        &cpu[k][r]);
	}
	loadavg("after");
	double mw[NCONF], mc[NCONF];
	printf("%-18s %26s %26s %8s %8s\n", "", "wall s: median (min-max)",
	       "CPU s: median (min-max)", "wall/t", "CPU/t");
	for (int k = 0; k < NCONF; k++) {
		if (!on[k])
			continue;
		mw[k] = median(wall[k], rounds);
		mc[k] = median(cpu[k], rounds);
		printf("%-18s %8.3f (%.3f-%.3f) %12.3f (%.3f-%.3f) %7.2fx "
		       "%7.2fx\n", confs[k].name, mw[k], wall[k][0],
		       wall[k][rounds - 1], mc[k], cpu[k][0], cpu[k][rounds - 1],
		       mw[k] / mw[0], mc[k] / mc[0]);
	}
	int missed = 0;
	double worst = 0;
	const char *slowest = confs[0].name;
	printf("target: each method's median CPU time within %.0fx topsis's\n",
	       TARGET);
	for (int k = 1; k < NCONF; k++) {
		if (!on[k])
			continue;
		double ratio = mc[k] / mc[0];
		const char *verdict = ratio > TARGET ? "not met"
		                      : ratio > NARROW * TARGET ? "met, narrowly"
		                      : "met";
		missed += ratio > TARGET;
		printf("  %-18s %5.2fx  %s\n", confs[k].name, ratio, verdict);
		if (ratio > worst) {
			worst = ratio;
			slowest = confs[k].name;
		}
	}
	printf("slowest: %s, %.2fx topsis (CPU); %s\n", slowest, worst,
	       missed ? "target not met" : "target met");
	free(out);
	plugin_cohort_destroy(c);
	plugin_generation_release(g);
	plugin_registry_destroy(reg);
	return missed ? 1 : 0;
}
