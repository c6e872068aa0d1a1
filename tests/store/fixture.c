#define _XOPEN_SOURCE 700
#include "fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char buf[512];
	snprintf(buf, sizeof(buf), "%s/clusterd-test-XXXXXX",
	         base && *base ? base : "/tmp");
	char *d = mkdtemp(buf);
	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmdir(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

void fx_cluster_init(fx_cluster_t *f, const char *id, const char *economy,
                     const char *region, const char *city,
                     const char *industry)
{
	memset(f, 0, sizeof(*f));
	clusters__v1__cluster__init(&f->c);
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->name, sizeof(f->name), "Cluster %s", id);
	snprintf(f->economy, sizeof(f->economy), "%s", economy ? economy : "");
	snprintf(f->region, sizeof(f->region), "%s", region ? region : "");
	snprintf(f->industry, sizeof(f->industry), "%s", industry ? industry : "");
	f->c.id = f->id;
	f->c.name = f->name;
	f->c.economy = f->economy;
	f->c.region = f->region;
	f->c.industry = f->industry;
	f->c.cities = f->cities;
	f->c.indicators = f->indp;
	f->c.assessments = f->asp;
	f->c.labels = f->labp;
	if (city)
		fx_add_city(f, city);
}

void fx_add_city(fx_cluster_t *f, const char *city)
{
	size_t i = f->c.n_cities++;
	snprintf(f->city_buf[i], sizeof(f->city_buf[i]), "%s", city);
	f->cities[i] = f->city_buf[i];
}

void fx_add_indicator(fx_cluster_t *f, const char *name, int year,
                      double value)
{
	size_t i = f->c.n_indicators++;
	clusters__v1__indicator__init(&f->ind[i]);
	f->ind[i].name = (char *)name;
	f->ind[i].year = year;
	f->ind[i].value = value;
	f->indp[i] = &f->ind[i];
}

void fx_add_label(fx_cluster_t *f, const char *key, const char *value)
{
	size_t i = f->c.n_labels++;
	clusters__v1__cluster__labels_entry__init(&f->lab[i]);
	f->lab[i].key = (char *)key;
	f->lab[i].value = (char *)value;
	f->labp[i] = &f->lab[i];
}

void fx_add_assessment(fx_cluster_t *f, const char *judge,
                       const char *criterion, double score)
{
	size_t i = f->c.n_assessments++;
	clusters__v1__assessment__init(&f->as[i]);
	f->as[i].judge = (char *)judge;
	f->as[i].criterion = (char *)criterion;
	f->as[i].score = score;
	f->asp[i] = &f->as[i];
}

store_t *fx_open(const char *dir, size_t map_size)
{
	store_opts_t o = {.map_size = map_size};
	char err[256] = "";
	store_t *st = NULL;
	int rc = store_open(&st, dir, &o, err, sizeof(err));
	if (rc != CD_OK)
		fail_msg("store_open(%s): %s", dir, err);
	return st;
}
