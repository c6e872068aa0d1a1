#include "srv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "log.h"
#include "rpc_auth.h"
#include "rpc_run.h"
#include "rpc_server.h"
#include "rpc_tls.h"
#include "srv_metrics.h"
#include "srv_metrics_http.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "0.0.0"
#endif

struct srv {
	cfg_t cfg;
	srv_env_t env;
	rpc_server_t *rpc;
	rpc_auth_t *auth;   /* NULL: no --auth-tokens */
	rpc_tls_t *tls;   /* NULL: plaintext */
	srv_metrics_t *metrics;        /* NULL: --metrics-listen not given */
	srv_metrics_http_t *metrics_http;
	int wake[2];
	int shut;
	int grpc_inited;
	int serving;      /* srv_create succeeded */
	char address[CFG_ADDR_MAX + 16];
};

/* Plugin loader messages (CP_LOG_* levels) into the server's log. */
static void plugin_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	log_level lvl = level == CP_LOG_ERROR ? LOG_ERROR
	              : level == CP_LOG_WARNING ? LOG_WARN
	              : level == CP_LOG_INFO ? LOG_INFO : LOG_DEBUG;
	log_msg(lvl, "%s", msg);
}

/* The store's own trouble (writes refused for want of room, and their
 * recovery) into the server's log. */
static void store_log_cb(void *ctx, int level, const char *msg)
{
	(void)ctx;
	log_msg(level == STORE_LOG_ERROR ? LOG_ERROR
	        : level == STORE_LOG_WARN ? LOG_WARN : LOG_INFO, "%s", msg);
}

/* The plugin registry from --plugin-dir; none (NULL) without one, which
 * ListPlugins shows as an empty list. Refused files are logged, not
 * fatal. */
/* --plugin-host, else clusterd-plugin-host beside this executable (a
 * build tree), else the installed one. */
static void find_plugin_host(const cfg_t *cfg, char *out, size_t len)
{
	if (cfg->plugin_host[0]) {
		snprintf(out, len, "%s", cfg->plugin_host);
		return;
	}
	char self[CFG_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	static const char name[] = "clusterd-plugin-host";
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		/* Room for the name after the slash, or no candidate. */
		if (slash && (size_t)(slash + 1 - self) + sizeof(name) <= len) {
			memcpy(out, self, (size_t)(slash + 1 - self));
			memcpy(out + (slash + 1 - self), name, sizeof(name));
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "%s", CLUSTERD_DEFAULT_PLUGIN_HOST);
}

/* Every scoring call of a plugin into the metrics. */
static void plugin_observe(void *ctx, const char *plugin, int outcome,
                           double seconds)
{
	srv_metrics_plugin_call(ctx, plugin, outcome, seconds);
}

static int open_plugins(srv_t *s, char *err, size_t errlen)
{
	if (!s->cfg.plugin_dir[0]) {
		log_msg(LOG_INFO, "no plugin directory: no plugins loaded");
		return CD_OK;
	}
	struct stat sb;
	if (s->cfg.plugin_dir_default && stat(s->cfg.plugin_dir, &sb) != 0 &&
	    errno == ENOENT) {
		log_msg(LOG_INFO, "default plugin directory %s does not exist: "
		        "no plugins loaded", s->cfg.plugin_dir);
		return CD_OK;
	}
	char host[CFG_PATH_MAX];
	find_plugin_host(&s->cfg, host, sizeof(host));
	if (access(host, X_OK) != 0) {
		if (s->cfg.plugin_isolation == PLUGIN_ISOLATION_PROCESS)
			return cd_fail(err, errlen, CD_EINVAL, "plugin worker %s: "
			               "%s (set --plugin-host, or --plugin-isolation "
			               "none for trusted plugins)", host,
			               strerror(errno));
		log_msg(LOG_WARN, "plugin worker %s: %s: plugins are loaded "
		        "without a probe in a worker", host, strerror(errno));
		host[0] = '\0';
	}
	plugin_registry_opts_t po = {
		.dir = s->cfg.plugin_dir,
		.log = plugin_log,
		.log_ctx = NULL,
		.isolation = s->cfg.plugin_isolation,
		.host_path = host[0] ? host : NULL,
		.memory_bytes = s->cfg.plugin_memory,
		.insecure_dir = s->cfg.plugin_dir_insecure,
		.observe = s->metrics ? plugin_observe : NULL,
		.observe_ctx = s->metrics,
	};
	log_msg(LOG_INFO, "plugins run %s (worker %s, time limit %u ms, "
	        "memory %llu MiB)", s->cfg.plugin_isolation ==
	        PLUGIN_ISOLATION_NONE ? "inside the server" : "in sandboxed "
	        "worker processes", host[0] ? host : "none",
	        s->cfg.plugin_timeout_ms, s->cfg.plugin_memory >> 20);
	return plugin_registry_create(&s->env.plugins, &po, err, errlen);
}

/* mkdir -p with 0700 for every directory it creates. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
	char buf[CFG_PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return cd_fail(err, errlen, CD_EINVAL, "path too long");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return cd_fail(err, errlen, CD_EIO, "cannot create "
			               "%s: %s", buf, strerror(errno));
		buf[i] = saved;
	}
	return CD_OK;
}

/* Written whole under a fresh temporary name in the same directory, then
 * renamed, so a reader polling for the file never sees it half-written.
 * mkstemp creates the name with O_CREAT|O_EXCL (0600): it never follows a
 * symlink someone planted, and its name cannot be guessed ahead. rename
 * replaces PATH itself, never what a symlink at PATH points to. */
static int write_port_file(const char *path, int port, char *err,
                           size_t errlen)
{
	char tmp[CFG_PATH_MAX + 16];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return cd_fail(err, errlen, CD_EINVAL, "port file path too long");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return cd_fail(err, errlen, CD_EIO, "cannot write port file "
		               "%s: %s", path, strerror(errno));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	char line[16];
	int len = snprintf(line, sizeof(line), "%d\n", port);
	ssize_t w = write(fd, line, (size_t)len);
	int saved = w < 0 ? errno : EIO;
	int rc = close(fd);
	if (rc != 0)
		saved = errno;
	if (w == len && rc == 0 && rename(tmp, path) == 0)
		return CD_OK;
	if (w == len && rc == 0)
		saved = errno;
	unlink(tmp);
	return cd_fail(err, errlen, CD_EIO, "cannot write port file %s: %s",
	               path, strerror(saved));
}

static void set_address(srv_t *s)
{
	const char *colon = strrchr(s->cfg.listen, ':');
	int hostlen = colon ? (int)(colon - s->cfg.listen) : 0;
	snprintf(s->address, sizeof(s->address), "%.*s:%d", hostlen,
	         s->cfg.listen, rpc_server_port(s->rpc));
}

/* The soft descriptor limit up to the hard one: the default soft limit
 * of 1024 is the usual reason a server runs out of descriptors, and
 * nothing here uses select(). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_msg(LOG_INFO, "descriptor limit raised from %llu to %llu",
		        (unsigned long long)was,
		        (unsigned long long)rl.rlim_cur);
}

int srv_check_config(const cfg_t *cfg, char *err, size_t errlen)
{
	rpc_auth_t *a;
	if (!cfg->auth_tokens[0])
		return CD_OK;
	int rc = rpc_auth_create(&a, cfg->auth_tokens, err, errlen);
	rpc_auth_destroy(a);
	return rc;
}

/* At start-up and every cfg.insecure_warn_ms: an exposure chosen with
 * --insecure must not be forgotten. */
static void warn_insecure(const srv_t *s)
{
	const char *lacks = cfg_exposed(&s->cfg);
	if (lacks)
		log_msg(LOG_WARN, "insecure: serving on %s without %s "
		        "(--insecure): %s", s->address, lacks, !s->auth
		        ? "anyone who reaches the port may call every method"
		        : "tokens and data cross the network in clear");
}

static int render_metrics(void *arg, srv_metrics_buf_t *b)
{
	return srv_metrics_render(arg, b);
}

/* The metrics' HTTP listener (--metrics-listen), once everything it reads
 * exists; its port file before the gRPC one, so that a test or a
 * supervisor that waits for the latter finds both. */
static int start_metrics(srv_t *s, char *err, size_t errlen)
{
	if (!s->metrics)
		return CD_OK;
	srv_metrics_src_t src = {
		.store = s->env.store,
		.jobs = s->env.jobs,
		.rpc = s->rpc,
		.plugins = s->env.plugins,
		.version = CLUSTERD_VERSION,
	};
	srv_metrics_set_sources(s->metrics, &src);
	srv_metrics_http_opts_t ho = {
		.listen = s->cfg.metrics_listen,
		.render = render_metrics,
		.arg = s->metrics,
	};
	int rc = srv_metrics_http_start(&s->metrics_http, &ho, err, errlen);
	if (rc != CD_OK)
		return rc;
	int port = srv_metrics_http_port(s->metrics_http);
	if (s->cfg.metrics_port_file[0]) {
		rc = write_port_file(s->cfg.metrics_port_file, port, err,
		                     errlen);
		if (rc != CD_OK)
			return rc;
	}
	const char *colon = strrchr(s->cfg.metrics_listen, ':');
	int hostlen = (int)(colon - s->cfg.metrics_listen);
	log_msg(LOG_INFO, "metrics on http://%.*s:%d/metrics%s", hostlen,
	        s->cfg.metrics_listen, port,
	        cfg_listen_is_loopback(s->cfg.metrics_listen) ? ""
	        : " (not loopback: anyone who reaches the port may read "
	          "them; they hold no user data)");
	return CD_OK;
}

int srv_create(srv_t **out, const cfg_t *cfg, char *err, size_t errlen)
{
	*out = NULL;
	srv_t *s = calloc(1, sizeof(*s));
	if (!s)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	s->cfg = *cfg;
	s->wake[0] = s->wake[1] = -1;
	clock_gettime(CLOCK_REALTIME, &s->env.start_time);

	int rc = CD_OK;
	if (pipe(s->wake) != 0) {
		rc = cd_fail(err, errlen, CD_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	fcntl(s->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(s->wake[1], F_SETFD, FD_CLOEXEC);
	fcntl(s->wake[1], F_SETFL, O_NONBLOCK);

	if (cfg->auth_tokens[0]) {
		rc = rpc_auth_create(&s->auth, cfg->auth_tokens, err, errlen);
		if (rc != CD_OK)
			goto fail;
		log_msg(LOG_INFO, "authentication: %zu principals from %s",
		        rpc_auth_count(s->auth), cfg->auth_tokens);
	}
	/* First: bad TLS files should not cost opening the store. */
	if (cfg->tls_cert[0] || cfg->tls_key[0] || cfg->tls_client_ca[0]) {
		rpc_tls_opts_t to = {cfg->tls_cert, cfg->tls_key,
		                     cfg->tls_client_ca};
		rc = rpc_tls_create(&s->tls, &to, err, errlen);
		if (rc != CD_OK)
			goto fail;
		if (cfg->max_connections)
			log_msg(LOG_WARN, "--max-connections %u is ignored with "
			        "TLS (gRPC's listener serves TLS)",
			        cfg->max_connections);
	}
	raise_fd_limit();
	if (cfg->metrics_listen[0]) {
		size_t nm;
		const rpc_method_t *mt = rpc_method_table(&nm);
		rc = srv_metrics_create(&s->metrics, mt, nm, err, errlen);
		if (rc != CD_OK)
			goto fail;
	}
	/* A replica serves a store restored before: nothing to create. */
	if (!cfg->read_only) {
		rc = make_dirs(cfg->data_dir, err, errlen);
		if (rc != CD_OK)
			goto fail;
	}
	store_opts_t so;
	memset(&so, 0, sizeof(so));
	so.log = store_log_cb;
	so.read_only = cfg->read_only;
	s->env.read_only = cfg->read_only;
	s->env.primary = s->cfg.primary;
	rc = store_open(&s->env.store, cfg->data_dir, &so, err, errlen);
	if (rc != CD_OK)
		goto fail;
	rc = srv_commit_create(&s->env.commit, s->env.store, 0, err, errlen);
	if (rc != CD_OK)
		goto fail;
	srv_commit_set_metrics(s->env.commit, s->metrics);
	rc = open_plugins(s, err, errlen);
	if (rc != CD_OK)
		goto fail;
	size_t nsvc;
	const char *const *svc = rpc_service_names(&nsvc);
	rc = rpc_health_create(&s->env.health, svc, nsvc, err, errlen);
	if (rc != CD_OK)
		goto fail;
	/* The descriptor set is built in: failing here is a build's
	 * fault, and the server should not start without it. */
	rc = rpc_refl_create_builtin(&s->env.refl, err, errlen);
	if (rc != CD_OK)
		goto fail;
	s->env.plugin_timeout_ms = s->cfg.plugin_timeout_ms;
	s->env.plugin_timeout_max_ms = s->cfg.plugin_timeout_max_ms;
	rc = rpc_runs_create(&s->env.runs, err, errlen);
	if (rc != CD_OK)
		goto fail;
	rc = rpc_backups_create(&s->env.backups, cfg->max_backups,
	                        cfg->backup_stall_ms, err, errlen);
	if (rc != CD_OK)
		goto fail;
	/* Runs a stopped server left unfinished can never finish. A
	 * replica writes nothing: its runs stay as the primary had them
	 * when the backup was taken. */
	size_t swept = 0;
	if (!cfg->read_only)
		rc = store_run_fail_unfinished(s->env.store, "clusterd", &swept,
		                               err, errlen);
	if (rc != CD_OK)
		goto fail;
	if (swept)
		log_msg(LOG_WARN, "runs: %zu runs left unfinished by the last "
		        "server marked FAILED (server restarted)", swept);
	srv_jobs_opts_t jo = {
		.workers = cfg->run_workers,
		.queue_max = cfg->run_queue,
		.timeout_ms = cfg->run_timeout_ms,
		.timeout_max_ms = cfg->run_timeout_max_ms,
		.plugin_timeout_ms = cfg->plugin_timeout_ms,
		.plugin_timeout_max_ms = cfg->plugin_timeout_max_ms,
		.store = s->env.store,
		.commit = s->env.commit,
		.plugins = s->env.plugins,
		.metrics = s->metrics,
	};
	rc = srv_jobs_create(&s->env.jobs, &jo, err, errlen);
	if (rc != CD_OK)
		goto fail;

	grpc_init();
	s->grpc_inited = 1;
	rpc_server_opts_t ro = {
		.listen = cfg->listen,
		.threads = cfg->threads,
		.max_message_bytes = cfg->max_message_bytes,
		.max_connections = cfg->max_connections,
		.env = &s->env,
		.auth = s->auth,
		.tls = s->tls,
		.metrics = s->metrics,
		.read_only = cfg->read_only,
		.primary = s->cfg.primary,
	};
	rc = rpc_server_create(&s->rpc, &ro, err, errlen);
	if (rc != CD_OK)
		goto fail;
	set_address(s);
	rc = start_metrics(s, err, errlen);
	if (rc != CD_OK)
		goto fail;
	rpc_health_set_all(s->env.health, RPC_HEALTH_SERVING);
	if (cfg->port_file[0]) {
		rc = write_port_file(cfg->port_file, rpc_server_port(s->rpc),
		                     err, errlen);
		if (rc != CD_OK)
			goto fail;
	}
	log_msg(LOG_INFO, "serving on %s (%s) with %u threads, data in %s",
	        s->address, !s->tls ? "plaintext" : rpc_tls_mutual(s->tls)
	        ? "mutual TLS" : "TLS", cfg->threads, cfg->data_dir);
	if (cfg->read_only) {
		store_stats_t st;
		store_stats(s->env.store, &st);
		log_msg(LOG_INFO, "read-only replica%s%s: data version %llu, "
		        "%llu clusters; every method that writes is refused",
		        cfg->primary[0] ? " of primary " : "", cfg->primary,
		        (unsigned long long)st.data_version,
		        (unsigned long long)st.clusters);
	}
	warn_insecure(s);
	s->serving = 1;
	*out = s;
	return CD_OK;
fail:
	srv_destroy(s);
	return rc;
}

int srv_port(const srv_t *s)
{
	return rpc_server_port(s->rpc);
}

const char *srv_address(const srv_t *s)
{
	return s->address;
}

srv_env_t *srv_env(srv_t *s)
{
	return &s->env;
}

/* The TLS files again; bad ones leave the loaded ones in use. */
static void reload_tls(srv_t *s)
{
	char err[512];
	if (!s->tls)
		return;
	if (rpc_tls_reload(s->tls, err, sizeof(err)) == CD_OK)
		log_msg(LOG_INFO, "TLS: reloaded %s, %s%s%s: new connections "
		        "use them", s->cfg.tls_cert, s->cfg.tls_key,
		        s->cfg.tls_client_ca[0] ? ", " : "",
		        s->cfg.tls_client_ca);
	else
		log_msg(LOG_ERROR, "TLS: reload refused, the files loaded "
		        "before stay in use: %s", err);
}

void srv_reload(srv_t *s)
{
	char err[512];
	log_msg(LOG_INFO, "received SIGHUP: reloading credentials");
	/* Each reloadable part keeps what it has when its files are bad. */
	if (s->auth) {
		if (rpc_auth_reload(s->auth, err, sizeof(err)) == CD_OK)
			log_msg(LOG_INFO, "authentication: %zu principals from "
			        "%s", rpc_auth_count(s->auth),
			        s->cfg.auth_tokens);
		else
			log_msg(LOG_WARN, "authentication: kept the %zu "
			        "principals in use: %s",
			        rpc_auth_count(s->auth), err);
	}
	reload_tls(s);
}

/* Milliseconds on the monotonic clock. */
static long long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int srv_wait(srv_t *s, int sigfd)
{
	struct pollfd p[2] = {{s->wake[0], POLLIN, 0}, {sigfd, POLLIN, 0}};
	int warn = cfg_exposed(&s->cfg) != NULL;
	unsigned every = s->cfg.insecure_warn_ms ? s->cfg.insecure_warn_ms : 1;
	/* A deadline, not a poll timeout alone: signals (SIGHUP) must not
	 * put the next warning off. */
	long long next = mono_ms() + every;
	for (;;) {
		int timeout = -1;
		if (warn) {
			long long left = next - mono_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int n = poll(p, sigfd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (warn && mono_ms() >= next) {
			warn_insecure(s);
			next = mono_ms() + every;
		}
		if (n == 0)
			continue;
		if (p[0].revents)
			return 0;
		if (sigfd >= 0 && p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				srv_reload(s);
				continue;
			}
			return (int)si.ssi_signo;
		}
	}
}

void srv_stop(srv_t *s)
{
	char b = 1;
	ssize_t w = write(s->wake[1], &b, 1);
	(void)w; /* full pipe: a wake-up is pending anyway */
}

void srv_shutdown(srv_t *s)
{
	if (s->shut || !s->rpc)
		return;
	s->shut = 1;
	log_msg(LOG_INFO, "shutting down: grace period %u ms",
	        s->cfg.grace_ms);
	/* Watchers learn of NOT_SERVING while their streams still work. */
	rpc_health_shutdown(s->env.health);
	/* Queued runs are cancelled and running ones told to stop, so that
	 * they are stored CANCELLED and their watchers answered within the
	 * grace period. */
	srv_jobs_shutdown(s->env.jobs);
	rpc_server_shutdown(s->rpc, s->cfg.grace_ms);
}

void srv_destroy(srv_t *s)
{
	if (!s)
		return;
	/* First: a scrape reads the store, the runs and the server. */
	srv_metrics_http_stop(s->metrics_http);
	if (s->env.health)
		rpc_health_shutdown(s->env.health);
	if (s->rpc)
		rpc_server_shutdown(s->rpc, s->shut ? 0 : s->cfg.grace_ms);
	/* Plugin calls still running end now (their workers are killed),
	 * so that no evaluation waits out a plugin's time limit. */
	plugin_registry_stop(s->env.plugins);
	/* Evaluation threads end (cancelled if still running) while the
	 * committer and the store they use are still there. */
	rpc_runs_drain(s->env.runs);
	srv_jobs_drain(s->env.jobs);
	/* Backups end (cancelled by the transport's shutdown) while the
	 * transport's threads still deliver their sends. */
	rpc_backups_drain(s->env.backups);
	/* Writes queued by calls still answer them before the queues
	 * close. */
	if (s->env.commit) {
		srv_commit_stats_t cs;
		srv_commit_stats(s->env.commit, &cs);
		log_msg(LOG_INFO, "group commit: %llu writes in %llu "
		        "transactions", (unsigned long long)cs.ops,
		        (unsigned long long)cs.commits);
	}
	store_stats_t ss;
	if (s->env.store && store_stats(s->env.store, &ss) == CD_OK &&
	    ss.space_failures)
		log_msg(LOG_WARN, "store: %llu write transactions refused "
		        "for want of room since start", (unsigned long long)
		        ss.space_failures);
	srv_commit_destroy(s->env.commit);
	rpc_server_destroy(s->rpc);
	rpc_health_destroy(s->env.health);
	/* After the server: no reflection stream reads it any more. */
	rpc_refl_destroy(s->env.refl);
	/* After the server: no handler can start an evaluation any more. */
	rpc_runs_destroy(s->env.runs);
	srv_jobs_destroy(s->env.jobs);
	rpc_backups_destroy(s->env.backups);
	/* After the server: no call looks a token up any more. */
	rpc_auth_destroy(s->auth);
	store_close(s->env.store);
	/* After the server: no handler holds the registry any more. */
	plugin_registry_destroy(s->env.plugins);
	if (s->grpc_inited)
		grpc_shutdown_blocking();
	/* After gRPC: its listener's handshakes read the TLS material. */
	rpc_tls_destroy(s->tls);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	/* Last: everything above may have told it something. */
	srv_metrics_destroy(s->metrics);
	/* A failed start says why in one line of its own (main). */
	if (s->serving)
		log_msg(LOG_INFO, "stopped");
	free(s);
}
