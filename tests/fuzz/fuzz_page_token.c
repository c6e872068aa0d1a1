/* Fuzz target for the store's page-token decoder, through the public
 * list calls of a real store (a temporary LMDB environment holding a few
 * clusters): any token must be refused cleanly (CD_EPAGETOKEN) or resume a
 * listing; never crash or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static store_t *st;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/clusterd-fuzz-token-XXXXXX";
	char err[256];
	if (!mkdtemp(dir) ||
	    store_open(&st, dir, &(store_opts_t){.nosync = 1}, err,
	               sizeof(err)) != CD_OK)
		abort();
	for (int i = 0; i < 5; i++) {
		char id[16], name[16];
		snprintf(id, sizeof(id), "c%d", i);
		snprintf(name, sizeof(name), "C %d", i);
		Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
		c.id = id;
		c.name = name;
		c.economy = i % 2 ? "DE" : "FR";
		if (store_cluster_create(st, &c, NULL, err, sizeof(err)) != CD_OK)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tok[1024], err[256];
	if (size >= sizeof(tok))
		size = sizeof(tok) - 1;
	memcpy(tok, data, size);
	tok[size] = '\0';

	store_cluster_page_t p;
	memset(&p, 0, sizeof(p));
	if (store_cluster_list(st, &(store_filter_t){0}, 2, tok, &p, err,
	                       sizeof(err)) == CD_OK)
		store_cluster_page_free(&p);
	store_filter_t f = {0};
	f.economy = "DE";
	memset(&p, 0, sizeof(p));
	if (store_cluster_list(st, &f, 2, tok, &p, err, sizeof(err)) == CD_OK)
		store_cluster_page_free(&p);
	store_competition_page_t cp;
	memset(&cp, 0, sizeof(cp));
	if (store_competition_list(st, 2, tok, &cp, err, sizeof(err)) == CD_OK)
		store_competition_page_free(&cp);
	return 0;
}
