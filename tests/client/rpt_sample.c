/* rpt_sample — renders a report from a JSON file of the run's data
 * (tests/client/report_sample.py writes one), with no server: the golden-
 * structure test (report_golden.py) checks what it draws.
 *
 * Usage: rpt_sample IN.json OUT.html [--clusters]
 * IN.json: {"run": Run, "competition": Competition, "topN": N,
 *           "baseline": {"id", "moves": [{"id","name","rank","baseRank"}]},
 *           "clusters": [Cluster]}; the run carries its standings. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_json.h"
#include "rpt.h"

static const char *sort_round;

static int by_round_rank(const void *a, const void *b)
{
	const Clusters__V1__RoundStanding *x =
		rpt_round_of(*(Clusters__V1__Standing *const *)a, sort_round);
	const Clusters__V1__RoundStanding *y =
		rpt_round_of(*(Clusters__V1__Standing *const *)b, sort_round);
	int32_t rx = x && x->rank > 0 ? x->rank : INT32_MAX;
	int32_t ry = y && y->rank > 0 ? y->rank : INT32_MAX;
	return rx < ry ? -1 : rx > ry;
}

static void *msg(json_t *root, const char *key,
                 const ProtobufCMessageDescriptor *d)
{
	char err[256];
	ProtobufCMessage *m = NULL;
	json_t *j = json_object_get(root, key);
	if (j && cc_json_to_msg(j, d, &m, err, sizeof(err))) {
		fprintf(stderr, "rpt_sample: %s: %s\n", key, err);
		exit(1);
	}
	return m;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rpt_sample IN.json OUT.html [--clusters]\n");
		return 2;
	}
	json_error_t je;
	json_t *root = json_load_file(argv[1], 0, &je);
	if (!root) {
		fprintf(stderr, "rpt_sample: %s: %s\n", argv[1], je.text);
		return 1;
	}
	Clusters__V1__Run *run = msg(root, "run", &clusters__v1__run__descriptor);
	Clusters__V1__Competition *comp =
		msg(root, "competition", &clusters__v1__competition__descriptor);
	if (!run) {
		fprintf(stderr, "rpt_sample: no run\n");
		return 1;
	}
	rpt_data_t d = {0};
	d.mode = argc > 3 && !strcmp(argv[3], "--clusters") ? RPT_CLUSTERS
	                                                    : RPT_FULL;
	d.run = run;
	d.comp = comp;
	d.generated = "2026-01-02 03:05 UTC";
	d.top_n = (int32_t)json_integer_value(json_object_get(root, "topN"));
	size_t ns = run->n_standings;
	d.nrounds = run->n_rounds;
	d.rounds = calloc(d.nrounds + 1, sizeof(*d.rounds));
	Clusters__V1__Standing ***lists = calloc(d.nrounds + 1, sizeof(*lists));
	for (size_t r = 0; r < d.nrounds; r++) {
		lists[r] = malloc((ns + 1) * sizeof(**lists));
		memcpy(lists[r], run->standings, ns * sizeof(**lists));
		sort_round = run->rounds[r]->round;
		qsort(lists[r], ns, sizeof(**lists), by_round_rank);
		size_t n = 0;
		while (n < ns && n < (size_t)d.top_n) {
			const Clusters__V1__RoundStanding *st =
				rpt_round_of(lists[r][n], sort_round);
			if (!st || st->rank <= 0)
				break;
			n++;
		}
		d.rounds[r] = (rpt_round_t){run->rounds[r], lists[r], n, ns, 0};
	}
	size_t nt = 0;
	while (nt < ns && run->standings[nt]->rank > 0 &&
	       run->standings[nt]->rank <= d.top_n)
		nt++;
	d.top = run->standings;
	d.ntop = nt;

	json_t *base = json_object_get(root, "baseline");
	rpt_move_t *mv = NULL;
	if (base && d.mode == RPT_FULL) {
		json_t *m = json_object_get(base, "moves");
		d.baseline_id = json_string_value(json_object_get(base, "id"));
		d.nmoves = json_array_size(m);
		mv = calloc(d.nmoves + 1, sizeof(*mv));
		for (size_t i = 0; i < d.nmoves; i++) {
			json_t *e = json_array_get(m, i);
			mv[i] = (rpt_move_t){
				json_string_value(json_object_get(e, "id")),
				json_string_value(json_object_get(e, "name")),
				(int32_t)json_integer_value(json_object_get(e, "rank")),
				(int32_t)json_integer_value(
					json_object_get(e, "baseRank"))};
		}
		d.moves = mv;
	}
	json_t *cl = json_object_get(root, "clusters");
	size_t nc = json_array_size(cl);
	rpt_cluster_t *cs = calloc(nc + 1, sizeof(*cs));
	for (size_t i = 0; i < nc; i++) {
		char err[256];
		ProtobufCMessage *m;
		if (cc_json_to_msg(json_array_get(cl, i),
		                   &clusters__v1__cluster__descriptor, &m, err,
		                   sizeof(err))) {
			fprintf(stderr, "rpt_sample: clusters[%zu]: %s\n", i, err);
			return 1;
		}
		Clusters__V1__Cluster *c = (Clusters__V1__Cluster *)m;
		cs[i].cluster = c;
		for (size_t k = 0; k < ns; k++)
			if (!strcmp(run->standings[k]->cluster_id, c->id))
				cs[i].standing = run->standings[k];
	}
	d.clusters = cs;
	d.nclusters = nc;

	char *html;
	size_t len;
	int rc = rpt_render(&d, &html, &len);
	FILE *f = rc ? NULL : fopen(argv[2], "w");
	if (!f || fwrite(html, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "rpt_sample: cannot write %s\n", argv[2]);
		return 1;
	}
	free(html);
	for (size_t i = 0; i < nc; i++)
		protobuf_c_message_free_unpacked(
			(ProtobufCMessage *)cs[i].cluster, NULL);
	for (size_t r = 0; r < d.nrounds; r++)
		free(lists[r]);
	free(lists);
	free(d.rounds);
	free(cs);
	free(mv);
	if (comp)
		protobuf_c_message_free_unpacked(&comp->base, NULL);
	protobuf_c_message_free_unpacked(&run->base, NULL);
	json_decref(root);
	return 0;
}
