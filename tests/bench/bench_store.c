/*
 * bench_store — the store's get and bulk-upsert rates against raw LMDB
 * doing the same work on the same keys and values, in one run.
 *
 *   raw get:    renew a pooled read txn, mdb_get, copy the value, reset
 *   store get:  store_cluster_get_packed (the bytes GetCluster answers with)
 *   raw+decode: the raw get plus protobuf-c unpack
 *   store get (decoded): store_cluster_get
 *   raw put:    mdb_put of the packed record, BATCH per durable commit
 *   raw put + index: the same, plus mdb_put of the store's index entries
 *               of each record (the same keys), as they come
 *   store upsert: store_apply of BATCH STORE_CLUSTER_UPSERT ops per durable
 *               commit: validation, etag, timestamps, four indexes; each op
 *               carries the record decoded and as packed bytes, as
 *               ImportClusters and CreateCluster have it from the wire
 *
 * Every figure is the median of ROUNDS rounds, raw and store interleaved
 * so both see the same machine load.
 *
 * Usage: bench_store [clusters] [gets] [rounds] [sorted|shuffled]
 *   sorted (default): records written in id order, LMDB's best case;
 *   shuffled: the same records in a random order (same for raw and store),
 *   as an import of unsorted data writes them.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define BATCH 10000
#define NIND 10

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s;
	(void)f;
	(void)w;
	return remove(p);
}

static void rmrf(const char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *econ[] = {"CN", "US", "JP", "DE", "KR", "FR", "CN/HK"};
static const char *ind_names[NIND] = {
	"pct_applications", "scientific_publications", "population",
	"revenue_cny", "rd_investment_cny", "employment", "firms",
	"innovation_centres", "exports", "patents_granted"};

typedef struct data {
	size_t n;
	store_cluster_t *c;
	Clusters__V1__Indicator *ind;
	Clusters__V1__Indicator **indp;
	char **ids, **names, **cities, **regions;
	uint8_t **packed;
	size_t *plen;
} data_t;

static void make_data(data_t *d, size_t n)
{
	d->n = n;
	d->c = calloc(n, sizeof(*d->c));
	d->ind = calloc(n * NIND, sizeof(*d->ind));
	d->indp = calloc(n * NIND, sizeof(*d->indp));
	d->ids = calloc(n, sizeof(char *));
	d->names = calloc(n, sizeof(char *));
	d->cities = calloc(n, sizeof(char *));
	d->regions = calloc(n, sizeof(char *));
	d->packed = calloc(n, sizeof(uint8_t *));
	d->plen = calloc(n, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		char b[64];
		store_cluster_t *c = &d->c[i];
		clusters__v1__cluster__init(c);
		snprintf(b, sizeof(b), "cluster-%07zu", i);
		d->ids[i] = strdup(b);
		snprintf(b, sizeof(b), "Cluster number %zu", i);
		d->names[i] = strdup(b);
		snprintf(b, sizeof(b), "City %zu", i % 997);
		d->cities[i] = strdup(b);
		snprintf(b, sizeof(b), "Region %zu", i % 31);
		d->regions[i] = strdup(b);
		c->id = d->ids[i];
		c->name = d->names[i];
		c->economy = (char *)econ[i % 7];
		c->region = d->regions[i];
		c->industry = (char *)(i % 2 ? "ICT" : "Equipment");
		c->n_cities = 1;
		c->cities = &d->cities[i];
		c->n_indicators = NIND;
		c->indicators = &d->indp[i * NIND];
		for (size_t k = 0; k < NIND; k++) {
			Clusters__V1__Indicator *in = &d->ind[i * NIND + k];
			clusters__v1__indicator__init(in);
			in->name = (char *)ind_names[k];
			in->year = 2022;
			in->value = (double)(i * 31 + k * 7);
			d->indp[i * NIND + k] = in;
		}
		/* Raw LMDB stores what the store stores: the packed record. */
		d->plen[i] = clusters__v1__cluster__get_packed_size(c);
		d->packed[i] = malloc(d->plen[i]);
		clusters__v1__cluster__pack(c, d->packed[i]);
	}
}

/* ------------------------------------------------------------- raw LMDB */

typedef struct raw {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_dbi idx;   /* the store's index entries, written by raw_put_idx */
} raw_t;

static void raw_open(raw_t *r, const char *dir)
{
	mdb_env_create(&r->env);
	mdb_env_set_mapsize(r->env, (size_t)8 << 30);
	mdb_env_set_maxdbs(r->env, 4);
	if (mdb_env_open(r->env, dir, MDB_NOTLS | MDB_NORDAHEAD, 0600)) {
		fprintf(stderr, "raw open failed\n");
		exit(1);
	}
	MDB_txn *t;
	mdb_txn_begin(r->env, NULL, 0, &t);
	mdb_dbi_open(t, "clusters", MDB_CREATE, &r->dbi);
	mdb_dbi_open(t, "cluster_idx", MDB_CREATE, &r->idx);
	mdb_txn_commit(t);
}

static double raw_put(raw_t *r, data_t *d)
{
	double t0 = now();
	for (size_t b = 0; b < d->n; b += BATCH) {
		MDB_txn *t;
		mdb_txn_begin(r->env, NULL, 0, &t);
		for (size_t i = b; i < d->n && i < b + BATCH; i++) {
			MDB_val k = {strlen(d->ids[i]), d->ids[i]};
			MDB_val v = {d->plen[i], d->packed[i]};
			if (mdb_put(t, r->dbi, &k, &v, 0)) {
				fprintf(stderr, "raw put failed\n");
				exit(1);
			}
		}
		if (mdb_txn_commit(t)) {
			fprintf(stderr, "raw commit failed\n");
			exit(1);
		}
	}
	return d->n / (now() - t0);
}

/* One index key as the store lays it out: field byte, value, 0, id. */
static MDB_val idx_key(char *buf, char field, const char *val, const char *id)
{
	size_t vl = strlen(val), il = strlen(id);
	buf[0] = field;
	memcpy(buf + 1, val, vl);
	buf[1 + vl] = 0;
	memcpy(buf + 2 + vl, id, il);
	MDB_val k = {2 + vl + il, buf};
	return k;
}

/* Raw LMDB doing the store's puts: each record and the same four (five
 * for a cross-border economy) index entries, put as they come. */
static double raw_put_idx(raw_t *r, data_t *d)
{
	char kb[6][512];
	MDB_val empty = {0, ""};
	double t0 = now();
	for (size_t b = 0; b < d->n; b += BATCH) {
		MDB_txn *t;
		mdb_txn_begin(r->env, NULL, 0, &t);
		for (size_t i = b; i < d->n && i < b + BATCH; i++) {
			const store_cluster_t *c = &d->c[i];
			MDB_val k = {strlen(d->ids[i]), d->ids[i]};
			MDB_val v = {d->plen[i], d->packed[i]};
			MDB_val ks[6];
			size_t nk = 0;
			if (strchr(c->economy, '/')) {
				ks[nk] = idx_key(kb[nk], 'e', "CN", c->id);
				nk++;
				ks[nk] = idx_key(kb[nk], 'e', "HK", c->id);
				nk++;
			}
			ks[nk] = idx_key(kb[nk], 'e', c->economy, c->id);
			nk++;
			ks[nk] = idx_key(kb[nk], 'r', c->region, c->id);
			nk++;
			ks[nk] = idx_key(kb[nk], 'c', c->cities[0], c->id);
			nk++;
			ks[nk] = idx_key(kb[nk], 'i', c->industry, c->id);
			nk++;
			int rc = mdb_put(t, r->dbi, &k, &v, 0);
			for (size_t j = 0; !rc && j < nk; j++)
				rc = mdb_put(t, r->idx, &ks[j], &empty, 0);
			if (rc) {
				fprintf(stderr, "raw put failed\n");
				exit(1);
			}
		}
		if (mdb_txn_commit(t)) {
			fprintf(stderr, "raw commit failed\n");
			exit(1);
		}
	}
	return d->n / (now() - t0);
}

static double raw_get(raw_t *r, data_t *d, const size_t *order, size_t gets,
                      int decode)
{
	MDB_txn *t;
	size_t sum = 0;
	mdb_txn_begin(r->env, NULL, MDB_RDONLY, &t);
	mdb_txn_reset(t);
	double t0 = now();
	for (size_t g = 0; g < gets; g++) {
		size_t i = order[g];
		MDB_val k = {strlen(d->ids[i]), d->ids[i]}, v;
		mdb_txn_renew(t);
		if (mdb_get(t, r->dbi, &k, &v)) {
			fprintf(stderr, "raw get failed\n");
			exit(1);
		}
		if (decode) {
			store_cluster_t *c =
			        clusters__v1__cluster__unpack(NULL, v.mv_size,
			                                      v.mv_data);
			mdb_txn_reset(t);
			sum += c->n_indicators;
			clusters__v1__cluster__free_unpacked(c, NULL);
		} else {
			uint8_t *copy = malloc(v.mv_size);
			memcpy(copy, v.mv_data, v.mv_size);
			mdb_txn_reset(t);
			sum += copy[0];
			free(copy);
		}
	}
	double rate = gets / (now() - t0);
	mdb_txn_abort(t);
	if (sum == 0)
		fprintf(stderr, "(impossible)\n");
	return rate;
}

/* ---------------------------------------------------------------- store */

static double store_put(store_t *st, data_t *d, store_op_t *ops)
{
	double t0 = now();
	for (size_t b = 0; b < d->n; b += BATCH) {
		size_t m = 0;
		/* ops[] was zeroed once; store_apply resets each op's
		 * outputs, so only the inputs that differ are set. */
		for (size_t i = b; i < d->n && i < b + BATCH; i++, m++) {
			ops[m].kind = STORE_CLUSTER_UPSERT;
			ops[m].cluster = &d->c[i];
			ops[m].packed = d->packed[i];
			ops[m].packed_len = d->plen[i];
		}
		if (store_apply(st, ops, m) != CD_OK || ops[0].rc != CD_OK) {
			fprintf(stderr, "store upsert failed: %s\n", ops[0].err);
			exit(1);
		}
	}
	return d->n / (now() - t0);
}

static double store_get(store_t *st, data_t *d, const size_t *order,
                        size_t gets, int decode)
{
	char err[256];
	size_t sum = 0;
	double t0 = now();
	for (size_t g = 0; g < gets; g++) {
		size_t i = order[g];
		if (decode) {
			store_cluster_t *c;
			if (store_cluster_get(st, d->ids[i], &c, err, sizeof(err))) {
				fprintf(stderr, "store get: %s\n", err);
				exit(1);
			}
			sum += c->n_indicators;
			store_cluster_free(c);
		} else {
			uint8_t *buf;
			size_t len;
			if (store_cluster_get_packed(st, d->ids[i], &buf, &len,
			                             err, sizeof(err))) {
				fprintf(stderr, "store get: %s\n", err);
				exit(1);
			}
			sum += buf[0];
			free(buf);
		}
	}
	if (sum == 0)
		fprintf(stderr, "(impossible)\n");
	return gets / (now() - t0);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t gets = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	double rp[16], rpi[16], sp[16], rg[16], sg[16], rgd[16], sgd[16];
	data_t d;
	char err[256];

	if (rounds < 1 || rounds > 16)
		rounds = 5;
	make_data(&d, n);
	int shuffled = argc > 4 && !strcmp(argv[4], "shuffled");
	if (shuffled) {
		uint64_t y = 0x9e3779b97f4a7c15ull;
		for (size_t i = n; i > 1; i--) {
			y ^= y << 13;
			y ^= y >> 7;
			y ^= y << 17;
			size_t j = y % i;
			store_cluster_t tc = d.c[i - 1];
			d.c[i - 1] = d.c[j];
			d.c[j] = tc;
			char *ti = d.ids[i - 1];
			d.ids[i - 1] = d.ids[j];
			d.ids[j] = ti;
			uint8_t *tp = d.packed[i - 1];
			d.packed[i - 1] = d.packed[j];
			d.packed[j] = tp;
			size_t tl = d.plen[i - 1];
			d.plen[i - 1] = d.plen[j];
			d.plen[j] = tl;
		}
	}
	size_t *order = malloc(gets * sizeof(size_t));
	uint64_t x = 88172645463325252ull;
	for (size_t g = 0; g < gets; g++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		order[g] = x % n;
	}
	store_op_t *ops = calloc(BATCH, sizeof(*ops));
	printf("bench_store: %zu clusters x %d indicators (%zu bytes packed "
	       "each on average), written in %s order; %zu random gets, %d "
	       "rounds, batch %d\n",
	       n, NIND, 0 == n ? 0 : (d.plen[0] + d.plen[n - 1]) / 2,
	       shuffled ? "a shuffled" : "id", gets, rounds, BATCH);

	for (int r = 0; r < rounds; r++) {
		char rd[] = "/tmp/bench-raw-XXXXXX", sd[] = "/tmp/bench-st-XXXXXX";
		raw_t raw;
		store_t *st;
		store_opts_t o = {.map_size = (size_t)8 << 30};
		mkdtemp(rd);
		mkdtemp(sd);
		raw_open(&raw, rd);
		if (store_open(&st, sd, &o, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		/* Alternate which goes first so neither always gets the
		 * colder cache. */
		char ri[] = "/tmp/bench-rawi-XXXXXX";
		raw_t rawi;
		mkdtemp(ri);
		raw_open(&rawi, ri);
		if (r % 2) {
			sp[r] = store_put(st, &d, ops);
			rpi[r] = raw_put_idx(&rawi, &d);
			rp[r] = raw_put(&raw, &d);
		} else {
			rp[r] = raw_put(&raw, &d);
			rpi[r] = raw_put_idx(&rawi, &d);
			sp[r] = store_put(st, &d, ops);
		}
		mdb_env_close(rawi.env);
		rmrf(ri);
		rg[r] = raw_get(&raw, &d, order, gets, 0);
		sg[r] = store_get(st, &d, order, gets, 0);
		rgd[r] = raw_get(&raw, &d, order, gets / 4, 1);
		sgd[r] = store_get(st, &d, order, gets / 4, 1);
		store_close(st);
		mdb_env_close(raw.env);
		rmrf(rd);
		rmrf(sd);
		fprintf(stderr, "round %d: put raw %.0f store %.0f/s; get raw "
		        "%.0f store %.0f/s\n",
		        r + 1, rp[r], sp[r], rg[r], sg[r]);
	}
	double mrp = median(rp, rounds), msp = median(sp, rounds);
	double mrpi = median(rpi, rounds);
	double mrg = median(rg, rounds), msg = median(sg, rounds);
	double mrgd = median(rgd, rounds), msgd = median(sgd, rounds);
	printf("%-34s %14s %14s %7s %7s\n", "operation (median of rounds)",
	       "raw LMDB /s", "store /s", "ratio", "target");
	printf("%-34s %14.0f %14.0f %7.2f %7s\n", "get (bytes)", mrg, msg,
	       msg / mrg, ">=0.80");
	printf("%-34s %14.0f %14.0f %7.2f %7s\n", "get + decode", mrgd, msgd,
	       msgd / mrgd, "");
	printf("%-34s %14.0f %14.0f %7.2f %7s\n",
	       "bulk upsert vs record puts only", mrp, msp, msp / mrp, ">=0.40");
	printf("%-34s %14.0f %14.0f %7.2f %7s\n",
	       "bulk upsert vs record+index puts", mrpi, msp, msp / mrpi,
	       ">=0.40");
	return 0;
}
