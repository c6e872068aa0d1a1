/* Loading one plugin file: the checks before dlopen, the descriptor checks
 * after it, and the process-wide bookkeeping of load/unload hooks. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_error.h"
#include "cd_intern.h"
#include "plugin_internal.h"

/* dlopen hands out one handle per file however many generations open it,
 * so the load hook runs for the first opener and unload for the last.
 * dlopen state is process-wide, hence so is this table. */
typedef struct handle_use {
	void *handle;
	size_t users;
} handle_use_t;

static pthread_mutex_t uses_lock = PTHREAD_MUTEX_INITIALIZER;
static handle_use_t *uses;
static size_t nuses, capuses;

static int refuse(char *reason, size_t rlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
	return CD_EPLUGIN;
}

/* Checks the file itself: regular, not world-writable, an ELF shared
 * object of this machine's class. */
static int check_fd(int fd, char *reason, size_t rlen)
{
	struct stat st;
	int rc = CD_OK;
	unsigned char hdr[EI_NIDENT + 4];
	ssize_t got;
	if (fstat(fd, &st) != 0) {
		rc = refuse(reason, rlen, "cannot stat: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = refuse(reason, rlen, "not a regular file");
	} else if (st.st_mode & S_IWOTH) {
		rc = refuse(reason, rlen, "world-writable (mode %04o); anyone "
		            "could replace its code", (unsigned)(st.st_mode & 07777));
	} else if ((got = pread(fd, hdr, sizeof(hdr), 0)) !=
	                   (ssize_t)sizeof(hdr) ||
	           memcmp(hdr, ELFMAG, SELFMAG) != 0) {
		rc = refuse(reason, rlen, "not a shared object (no ELF header)");
	} else {
		/* e_type sits right after e_ident in both ELF classes. */
		uint16_t type;
		memcpy(&type, hdr + EI_NIDENT, sizeof(type));
		int cls = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
		if (hdr[EI_CLASS] != cls)
			rc = refuse(reason, rlen, "ELF class does not match this "
			            "server (32/64-bit)");
		else if (type != ET_DYN)
			rc = refuse(reason, rlen, "ELF file but not a shared object "
			            "(type %u)", (unsigned)type);
	}
	return rc;
}

int plugin_open_file(const char *path, int *fd, char *reason, size_t rlen)
{
	/* O_NOFOLLOW keeps a link from pointing the loader outside the
	 * plugin directory. */
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (*fd >= 0)
		return CD_OK;
	if (errno == ELOOP)
		return refuse(reason, rlen, "is a symbolic link; plugins must be "
		              "regular files in the plugin directory");
	return refuse(reason, rlen, "cannot open: %s", strerror(errno));
}

/* Plugin names end up in logs, run records and CLI output. */
int plugin_valid_name(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char ch = s[n];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		         ch == '_' || (n > 0 && (ch == '.' || ch == '-'));
		if (!ok)
			return 0;
	}
	return n > 0 && n <= 64;
}

void plugin_info_free(plugin_info_t *info)
{
	free(info->name);
	free(info->version);
	free(info->description);
	free(info->path);
	for (size_t i = 0; i < info->nparams; i++) {
		plugin_param_info_t *p = &info->params[i];
		free(p->name);
		free(p->default_value);
		free(p->description);
		for (size_t j = 0; j < p->nchoices; j++)
			free(p->choices[j]);
		free(p->choices);
	}
	free(info->params);
	memset(info, 0, sizeof(*info));
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* Where a struct's field ends: the least size that covers it. */
#define END_OF(type, field)                                               \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/* The 2.0 descriptor and param spec, the least a plugin may have; later
 * minors add fields after them. */
#define DESC_V20_SIZE END_OF(cp_plugin_t, fini)
#define SPEC_V20_SIZE END_OF(cp_param_spec_t, names)

static int copy_spec(plugin_param_info_t *dst, const cp_param_spec_t *src,
                     char *reason, size_t rlen)
{
	if (!src->name || !*src->name)
		return refuse(reason, rlen, "a param has no name");
	if (!(dst->name = strdup(src->name)))
		return CD_ENOMEM;
	dst->type = src->type;
	dst->type_name = plugin_param_type_name(src->type);
	if (!dst->type_name)
		return refuse(reason, rlen, "param '%s' has unknown type %u",
		              src->name, (unsigned)src->type);
	dst->required = src->required != 0;
	/* Only string and list params name things; a kind added later names
	 * nothing here. */
	uint32_t names = src->names;
	if (names >= CP_NAMES_INDICATOR && names <= CP_NAMES_CRITERION &&
	    (src->type == CP_PARAM_STRING || src->type == CP_PARAM_LIST))
		dst->names = (int)names;
	if (!(dst->description = dup_or_empty(src->description)))
		return CD_ENOMEM;
	if (src->type == CP_PARAM_ENUM) {
		size_t n = 0;
		while (src->choices && src->choices[n])
			n++;
		if (!n)
			return refuse(reason, rlen, "enum param '%s' has no choices",
			              src->name);
		if (!(dst->choices = calloc(n, sizeof(*dst->choices))))
			return CD_ENOMEM;
		for (; dst->nchoices < n; dst->nchoices++)
			if (!(dst->choices[dst->nchoices] =
			              strdup(src->choices[dst->nchoices])))
				return CD_ENOMEM;
	}
	if (src->default_value) {
		if (!(dst->default_value = strdup(src->default_value)))
			return CD_ENOMEM;
		char msg[256];
		if (plugin_param_check(dst, dst->default_value, "", msg,
		                       sizeof(msg)))
			return refuse(reason, rlen, "bad default: %s", msg);
	}
	return CD_OK;
}

/* Copies what ListPlugins needs out of the descriptor, checking it. */
static int copy_info(plugin_info_t *info, const cp_plugin_t *d,
                     const char *path, char *reason, size_t rlen)
{
	if (!(info->name = strdup(d->name)) ||
	    !(info->version = strdup(d->version)) ||
	    !(info->description = dup_or_empty(d->description)) ||
	    !(info->path = strdup(path)))
		return refuse(reason, rlen, "out of memory");
	info->kind = d->kind;
	info->kind_name = d->kind == CP_QUANTITATIVE ? "quantitative"
	                                              : "qualitative";
	info->abi_major = d->abi_major;
	info->abi_minor = d->abi_minor;
	size_t n = 0;
	/* Walk the specs with the plugin's stride: it may be newer than ours. */
	const char *base = (const char *)d->params;
	while (base && ((const cp_param_spec_t *)(const void *)
	                        (base + n * d->param_spec_size))->name)
		n++;
	if (n && !(info->params = calloc(n, sizeof(*info->params))))
		return refuse(reason, rlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const cp_param_spec_t *s = (const cp_param_spec_t *)(const void *)
			(base + i * d->param_spec_size);
		info->nparams++;
		int rc = copy_spec(&info->params[i], s, reason, rlen);
		if (rc == CD_ENOMEM)
			return refuse(reason, rlen, "out of memory");
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(info->params[j].name, s->name) == 0)
				return refuse(reason, rlen, "param '%s' declared twice",
				              s->name);
	}
	return CD_OK;
}

static int check_descriptor(const cp_plugin_t *d, char *reason, size_t rlen)
{
	if (!d)
		return refuse(reason, rlen, "entry function returned NULL");
	if (d->abi_major != CP_ABI_MAJOR)
		return refuse(reason, rlen, "descriptor says plugin ABI %u.%u; "
		              "this server supports %u.x", (unsigned)d->abi_major,
		              (unsigned)d->abi_minor, (unsigned)CP_ABI_MAJOR);
	if (d->struct_size < DESC_V20_SIZE)
		return refuse(reason, rlen, "descriptor struct_size %zu is "
		              "smaller than ABI 2.0's %zu", d->struct_size,
		              (size_t)DESC_V20_SIZE);
	if (d->params && d->param_spec_size < SPEC_V20_SIZE)
		return refuse(reason, rlen, "param_spec_size %zu is smaller than "
		              "ABI 2.0's %zu", d->param_spec_size,
		              (size_t)SPEC_V20_SIZE);
	if (!d->name || !plugin_valid_name(d->name))
		return refuse(reason, rlen, "missing or invalid plugin name "
		              "(want [a-z0-9_][a-z0-9_.-]{0,63})");
	if (!d->version || !*d->version)
		return refuse(reason, rlen, "plugin '%s' has no version", d->name);
	if (d->kind != CP_QUANTITATIVE && d->kind != CP_QUALITATIVE)
		return refuse(reason, rlen, "plugin '%s' has unknown kind %u",
		              d->name, (unsigned)d->kind);
	if (!d->score)
		return refuse(reason, rlen, "plugin '%s' has no score hook",
		              d->name);
	return CD_OK;
}

/* Why there is no entry of our major: a plugin built for another major
 * exports that major's name, which is worth saying, with the remedy. */
static int explain_no_entry(void *handle, char *reason, size_t rlen)
{
	for (int major = 0; major < 10; major++) {
		char sym[32];
		if (major == CP_ABI_MAJOR)
			continue;
		snprintf(sym, sizeof(sym), "cp_plugin_entry_v%d", major);
		if (dlsym(handle, sym))
			return refuse(reason, rlen, "built for plugin ABI %d (%s); "
			              "this server supports ABI %d only: rebuild it "
			              "against clusterplugin.h ABI %d%s", major, sym,
			              CP_ABI_MAJOR, CP_ABI_MAJOR,
			              major > CP_ABI_MAJOR ? " or use a newer server"
			                                   : "");
	}
	return refuse(reason, rlen, "no entry function %s (not a clusterd "
	              "plugin?)", CP_ENTRY_SYMBOL);
}

/* Registers a user of handle; 1 when it is the first (run load). */
static int use_handle(void *handle, int *first)
{
	for (size_t i = 0; i < nuses; i++)
		if (uses[i].handle == handle) {
			uses[i].users++;
			*first = 0;
			return CD_OK;
		}
	if (cd_grow((void **)&uses, &capuses, nuses + 1, sizeof(*uses)))
		return CD_ENOMEM;
	uses[nuses].handle = handle;
	uses[nuses++].users = 1;
	*first = 1;
	return CD_OK;
}

/* Drops a user; 1 when it was the last (run unload). */
static int drop_handle(void *handle)
{
	for (size_t i = 0; i < nuses; i++)
		if (uses[i].handle == handle) {
			if (--uses[i].users)
				return 0;
			uses[i] = uses[--nuses];
			return 1;
		}
	return 0;
}

/* init + fini with defaults, when the specs say defaults may suffice. */
static int probe(const cp_plugin_t *d, const plugin_info_t *info,
                 plugin_generation_t *gen, char *reason, size_t rlen)
{
	if (!d->init)
		return CD_OK;
	for (size_t i = 0; i < info->nparams; i++)
		if (info->params[i].required && !info->params[i].default_value)
			return CD_OK;
	plugin_params_t *params;
	char msg[CP_ERRLEN_MIN + 1] = "";
	int rc = plugin_params_build(&params, info->params, info->nparams, NULL,
	                             0, "", msg, sizeof(msg));
	if (rc)
		return refuse(reason, rlen, "init probe: %s", msg);
	plugin_host_ctx_t ctx = { .log = gen->log, .log_ctx = gen->log_ctx,
	                          .plugin_name = d->name };
	cp_host_t host;
	plugin_host_setup(&host, &ctx);
	void *state = NULL;
	rc = d->init(&host, params, &state, msg, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	if (rc == CP_OK && d->fini)
		d->fini(&host, state);
	plugin_host_scratch_reset(&ctx);
	plugin_params_destroy(params);
	/* CP_EPARAM only says the defaults are not a complete config. */
	if (rc != CP_OK && rc != CP_EPARAM)
		return refuse(reason, rlen, "init failed with default params "
		              "(%s, code %d): %s", cp_code_name(rc), rc, msg);
	return CD_OK;
}

void plugin_unload(plugin_generation_t *gen, plugin_loaded_t *pl)
{
	if (pl->handle) {
		pthread_mutex_lock(&uses_lock);
		if (drop_handle(pl->handle) && pl->desc->unload) {
			plugin_host_ctx_t ctx = { .log = gen->log,
			                          .log_ctx = gen->log_ctx,
			                          .plugin_name = pl->info.name };
			cp_host_t host;
			plugin_host_setup(&host, &ctx);
			pl->desc->unload(&host);
			plugin_host_scratch_reset(&ctx);
		}
		pthread_mutex_unlock(&uses_lock);
		dlclose(pl->handle);
	}
	plugin_info_free(&pl->info);
	memset(pl, 0, sizeof(*pl));
}

static int load_hook(const cp_plugin_t *d, void *handle,
                     plugin_generation_t *gen, char *reason, size_t rlen)
{
	int first = 0;
	int rc = CD_OK;
	pthread_mutex_lock(&uses_lock);
	if (use_handle(handle, &first)) {
		rc = refuse(reason, rlen, "out of memory");
	} else if (first && d->load) {
		plugin_host_ctx_t ctx = { .log = gen->log, .log_ctx = gen->log_ctx,
		                          .plugin_name = d->name };
		cp_host_t host;
		char msg[CP_ERRLEN_MIN + 1] = "";
		plugin_host_setup(&host, &ctx);
		int hrc = d->load(&host, msg, sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		plugin_host_scratch_reset(&ctx);
		if (hrc != CP_OK) {
			drop_handle(handle);
			rc = refuse(reason, rlen, "load hook failed (%s, code %d): "
			            "%s", cp_code_name(hrc), hrc, msg);
		}
	}
	pthread_mutex_unlock(&uses_lock);
	return rc;
}

int plugin_load_file(plugin_generation_t *gen, const char *path,
                     char *reason, size_t rlen)
{
	int fd;
	int rc = plugin_open_file(path, &fd, reason, rlen);
	if (rc)
		return rc;
	rc = plugin_load_fd(gen, fd, path, path, reason, rlen);
	close(fd);
	return rc;
}

int plugin_load_fd(plugin_generation_t *gen, int fd, const char *path,
                   const char *dl_path, char *reason, size_t rlen)
{
	int rc = check_fd(fd, reason, rlen);
	if (rc)
		return rc;
	dlerror();
	void *handle = dlopen(dl_path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *e = dlerror();
		return refuse(reason, rlen, "dlopen failed: %s", e ? e : "?");
	}
	union {
		void *obj;
		cp_plugin_entry_fn fn;
	} entry;
	entry.obj = dlsym(handle, CP_ENTRY_SYMBOL);
	if (!entry.obj) {
		rc = explain_no_entry(handle, reason, rlen);
		dlclose(handle);
		return rc;
	}
	const cp_plugin_t *d = entry.fn();
	rc = check_descriptor(d, reason, rlen);
	for (size_t i = 0; !rc && i < gen->n; i++)
		if (strcmp(gen->p[i].info.name, d->name) == 0)
			rc = refuse(reason, rlen, "duplicate plugin name '%s' "
			            "(already loaded from %s)", d->name,
			            gen->p[i].info.path);
	if (!rc && cd_grow((void **)&gen->p, &gen->cap, gen->n + 1,
	                       sizeof(*gen->p)))
		rc = refuse(reason, rlen, "out of memory");
	if (rc) {
		dlclose(handle);
		return rc;
	}
	plugin_loaded_t *pl = &gen->p[gen->n];
	memset(pl, 0, sizeof(*pl));
	pl->desc = d;
	rc = copy_info(&pl->info, d, path, reason, rlen);
	if (!rc)
		rc = load_hook(d, handle, gen, reason, rlen);
	if (rc) {
		plugin_info_free(&pl->info);
		dlclose(handle);
		return rc;
	}
	pl->handle = handle;
	rc = probe(d, &pl->info, gen, reason, rlen);
	if (rc) {
		plugin_unload(gen, pl);
		return rc;
	}
	gen->n++;
	return CD_OK;
}
