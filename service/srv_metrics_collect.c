/* srv_metrics_collect.c — the series read at scrape time (srv_metrics.h):
 * the process from /proc/self, the store from one read transaction (LMDB's
 * own counts, no scan), the run queue, our listener's connections and the
 * plugin generation. Each source that is NULL (or fails) is left out. */
#include "srv_metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "plugin_registry.h"
#include "rpc_listen.h"
#include "rpc_server.h"
#include "srv_jobs.h"
#include "store.h"

static void gauge(srv_metrics_buf_t *b, const char *name, const char *type,
                  const char *help, double v)
{
	srv_metrics_fam_t f = {name, type, help, 0};
	srv_metrics_sample(b, &f, "", NULL, 0, v);
}

/* ---------------------------------------------------------------- process */

/* The system's boot time (seconds since the epoch), from /proc/stat. */
static long long boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	long long bt = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

/* Descriptors open, not counting the one that reads the directory. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = -1;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void srv_metrics_collect_process(srv_metrics_buf_t *b)
{
	/* /proc/self/stat: the fields after "(comm)" are 3 (state) on;
	 * utime 14, stime 15 (ticks), starttime 22 (ticks after boot),
	 * vsize 23 (bytes), rss 24 (pages). */
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	/* t[i] is field i + 3. */
	char *t[22], *save = NULL;
	size_t k = 0;
	for (char *tok = p ? strtok_r(p + 1, " \n", &save) : NULL;
	     tok && k < 22; tok = strtok_r(NULL, " \n", &save))
		t[k++] = tok;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	if (k == 22 && tck > 0 && page > 0) {
		double utime = strtod(t[11], NULL), stime = strtod(t[12], NULL);
		gauge(b, "process_cpu_seconds_total", "counter",
		      "Total user and system CPU time spent in seconds.",
		      (utime + stime) / (double)tck);
		long long bt = boot_time();
		if (bt >= 0)
			gauge(b, "process_start_time_seconds", "gauge",
			      "Start time of the process since unix epoch in "
			      "seconds.", (double)bt + strtod(t[19], NULL) /
			      (double)tck);
		gauge(b, "process_virtual_memory_bytes", "gauge",
		      "Virtual memory size in bytes.", strtod(t[20], NULL));
		gauge(b, "process_resident_memory_bytes", "gauge",
		      "Resident memory size in bytes.",
		      strtod(t[21], NULL) * (double)page);
	}
	long fds = open_fds();
	if (fds >= 0)
		gauge(b, "process_open_fds", "gauge",
		      "Number of open file descriptors.", (double)fds);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		gauge(b, "process_max_fds", "gauge",
		      "Maximum number of open file descriptors.",
		      rl.rlim_cur == RLIM_INFINITY ? 1e300
		                                   : (double)rl.rlim_cur);
}

/* ------------------------------------------------------------------ store */

void srv_metrics_collect_store(srv_metrics_buf_t *b, store_t *st)
{
	store_stats_t s;
	if (!st || store_stats(st, &s) != CD_OK)
		return;
	gauge(b, "clusterd_store_file_size_bytes", "gauge",
	      "Size of data.mdb on disk", (double)s.file_bytes);
	gauge(b, "clusterd_store_map_size_bytes", "gauge",
	      "Size of the LMDB map (grown as needed up to its ceiling)",
	      (double)s.map_size);
	gauge(b, "clusterd_store_map_used_bytes", "gauge",
	      "Bytes of the LMDB map in use (pages up to the last one "
	      "written)", (double)s.map_used);
	srv_metrics_fam_t rec = {"clusterd_store_records", "gauge",
		"Entries per table of the store (standings: chunks of up to "
		"1024 standings)", 0};
	for (size_t i = 0; i < STORE_TABLES; i++) {
		srv_metrics_label_t l = {"table", store_table_name(i)};
		srv_metrics_sample(b, &rec, "", &l, 1,
		                   (double)s.table_entries[i]);
	}
	gauge(b, "clusterd_store_data_version", "gauge",
	      "Data version: advanced by every transaction that writes "
	      "cluster records", (double)s.data_version);
	gauge(b, "clusterd_store_readers", "gauge",
	      "LMDB reader slots held (pooled read transactions included)",
	      s.readers_used);
	gauge(b, "clusterd_store_readers_active", "gauge",
	      "LMDB reader slots with a snapshot open", s.readers_active);
	gauge(b, "clusterd_store_readers_max", "gauge",
	      "LMDB reader slots in all", s.readers_max);
	gauge(b, "clusterd_store_map_grows_total", "counter",
	      "Times the map grew since the server started", s.grow_count);
	gauge(b, "clusterd_store_disk_full", "gauge",
	      "1 while writes fail for want of room on disk", s.disk_full);
	gauge(b, "clusterd_store_space_failures_total", "counter",
	      "Write transactions refused for want of room since start",
	      (double)s.space_failures);
}

/* ------------------------------------------------------------------- runs */

void srv_metrics_collect_jobs(srv_metrics_buf_t *b, srv_jobs_t *J)
{
	unsigned queued, running, max;
	if (!J)
		return;
	srv_jobs_counts(J, &queued, &running, &max);
	gauge(b, "clusterd_runs_queued", "gauge",
	      "Runs waiting for a run worker", queued);
	gauge(b, "clusterd_runs_queue_max", "gauge",
	      "Runs that may wait (--run-queue); more are refused", max);
	gauge(b, "clusterd_runs_running", "gauge",
	      "Runs being evaluated now", running);
}

/* ------------------------------------------------------------ connections */

void srv_metrics_collect_listen(srv_metrics_buf_t *b, rpc_server_t *s)
{
	rpc_listen_stats_t ls;
	if (!s || !rpc_server_listen_stats(s, &ls))
		return;
	gauge(b, "clusterd_connections_open", "gauge",
	      "gRPC connections open (clusterd's own listener)", ls.open);
	gauge(b, "clusterd_connections_max", "gauge",
	      "Most gRPC connections allowed open (--max-connections)",
	      ls.max_connections);
	gauge(b, "clusterd_connections_accepted_total", "counter",
	      "gRPC connections accepted and handed to gRPC",
	      (double)ls.accepted);
	srv_metrics_fam_t f = {"clusterd_connections_refused_total",
		"counter", "gRPC connections closed at once, by reason (cap: "
		"--max-connections reached; descriptors: out of file "
		"descriptors)", 0};
	srv_metrics_label_t cap = {"reason", "cap"};
	srv_metrics_label_t fds = {"reason", "descriptors"};
	srv_metrics_sample(b, &f, "", &cap, 1, (double)ls.refused_cap);
	srv_metrics_sample(b, &f, "", &fds, 1, (double)ls.refused_fds);
}

/* ---------------------------------------------------------------- plugins */

void srv_metrics_collect_plugins(srv_metrics_buf_t *b,
                                 plugin_registry_t *reg)
{
	if (!reg)
		return;
	plugin_generation_t *g = plugin_registry_acquire(reg);
	gauge(b, "clusterd_plugins_loaded", "gauge",
	      "Plugins of the current generation",
	      (double)plugin_generation_count(g));
	gauge(b, "clusterd_plugins_refused", "gauge",
	      "Files of the plugin directory refused by the last scan",
	      (double)plugin_generation_refused_count(g));
	gauge(b, "clusterd_plugins_generation", "gauge",
	      "Plugin generation: 1 at start, +1 per reload",
	      (double)plugin_generation_number(g));
	plugin_generation_release(g);
}
