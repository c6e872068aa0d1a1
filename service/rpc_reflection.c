#include "rpc_reflection.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "cd_wire.h"
#include "clusterd_descriptor_set.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "rpc_call.h"
#include "rpc_status.h"
#include "srv_env.h"

typedef struct refl_file {
	char *name;
	const uint8_t *bytes;   /* into the set */
	size_t len;
	size_t *deps;           /* indexes of the files it imports */
	size_t ndeps;
} refl_file_t;

typedef struct refl_sym {
	char *name;             /* fully qualified, no leading dot */
	size_t file;
	rpc_refl_kind kind;
	unsigned char cs, ss;   /* methods: client/server streaming */
} refl_sym_t;

typedef struct refl_ext {
	char *extendee;         /* fully qualified, no leading dot */
	int32_t number;
	size_t file;
} refl_ext_t;

struct rpc_refl {
	refl_file_t *files;
	size_t nfiles;
	refl_sym_t *syms;       /* sorted by name */
	size_t nsyms, capsyms;
	refl_ext_t *exts;       /* sorted by extendee, then number */
	size_t nexts, capexts;
	char **services;
	size_t nservices;
};

/* ------------------------------------------------------------- the set */

/* A base-128 varint at *p (before end); 0 when truncated or too long. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

/* The spans of FileDescriptorSet.file (field 1) in set[0..len), in order,
 * into r->files (bytes and len only). Other fields are skipped. */
static int split_set(rpc_refl_t *r, const uint8_t *set, size_t len,
                     char *err, size_t errlen)
{
	const uint8_t *p = set, *end = set + len;
	size_t cap = 0;
	while (p < end) {
		uint64_t key, n;
		if (!varint(&p, end, &key))
			return cd_fail(err, errlen, CD_EINVAL, "descriptor set: "
			               "truncated key at byte %zu",
			               (size_t)(p - set));
		unsigned wt = (unsigned)(key & 7);
		if (wt == 0) {
			if (!varint(&p, end, &n))
				goto trunc;
			continue;
		}
		if (wt == 1 || wt == 5) {
			size_t w = wt == 1 ? 8 : 4;
			if ((size_t)(end - p) < w)
				goto trunc;
			p += w;
			continue;
		}
		if (wt != 2)
			return cd_fail(err, errlen, CD_EINVAL, "descriptor set: "
			               "wire type %u at byte %zu", wt,
			               (size_t)(p - set));
		if (!varint(&p, end, &n) || n > (uint64_t)(end - p))
			goto trunc;
		if (key >> 3 == 1) {
			if (r->nfiles == cap) {
				cap = cap ? 2 * cap : 32;
				refl_file_t *f = realloc(r->files,
				                         cap * sizeof(*f));
				if (!f)
					return cd_fail(err, errlen, CD_ENOMEM,
					               "out of memory");
				r->files = f;
			}
			refl_file_t *f = &r->files[r->nfiles++];
			memset(f, 0, sizeof(*f));
			f->bytes = p;
			f->len = (size_t)n;
		}
		p += n;
	}
	return CD_OK;
trunc:
	return cd_fail(err, errlen, CD_EINVAL, "descriptor set: truncated at "
	               "byte %zu", (size_t)(p - set));
}

/* "scope.name", or "name" when scope is empty (malloc'd). */
static char *join(const char *scope, const char *name)
{
	size_t a = strlen(scope), b = strlen(name);
	char *s = malloc(a + b + 2);
	if (!s)
		return NULL;
	if (a) {
		memcpy(s, scope, a);
		s[a++] = '.';
	}
	memcpy(s + a, name, b + 1);
	return s;
}

/* Adds scope.name; takes nothing: the name is built here. */
static int add_sym(rpc_refl_t *r, const char *scope, const char *name,
                   size_t file, rpc_refl_kind kind, char **full)
{
	if (!name || !*name)
		return CD_EINVAL;
	if (r->nsyms == r->capsyms) {
		size_t cap = r->capsyms ? 2 * r->capsyms : 256;
		refl_sym_t *s = realloc(r->syms, cap * sizeof(*s));
		if (!s)
			return CD_ENOMEM;
		r->syms = s;
		r->capsyms = cap;
	}
	char *n = join(scope, name);
	if (!n)
		return CD_ENOMEM;
	refl_sym_t *s = &r->syms[r->nsyms++];
	memset(s, 0, sizeof(*s));
	s->name = n;
	s->file = file;
	s->kind = kind;
	if (full)
		*full = n;
	return CD_OK;
}

static int add_ext(rpc_refl_t *r, const Google__Protobuf__FieldDescriptorProto
                   *f, size_t file)
{
	if (!f->extendee || !f->extendee[0] || !f->has_number)
		return CD_EINVAL;
	if (r->nexts == r->capexts) {
		size_t cap = r->capexts ? 2 * r->capexts : 16;
		refl_ext_t *e = realloc(r->exts, cap * sizeof(*e));
		if (!e)
			return CD_ENOMEM;
		r->exts = e;
		r->capexts = cap;
	}
	/* protoc writes resolved names with a leading dot. */
	const char *x = f->extendee[0] == '.' ? f->extendee + 1 : f->extendee;
	char *dup = strdup(x);
	if (!dup)
		return CD_ENOMEM;
	refl_ext_t *e = &r->exts[r->nexts++];
	e->extendee = dup;
	e->number = f->number;
	e->file = file;
	return CD_OK;
}

/* Fields and extensions declared in a scope (a message, or the file). */
static int add_fields(rpc_refl_t *r, const char *scope, size_t file,
                      Google__Protobuf__FieldDescriptorProto **fields,
                      size_t n, rpc_refl_kind kind)
{
	for (size_t i = 0; i < n; i++) {
		int rc = add_sym(r, scope, fields[i]->name, file, kind, NULL);
		if (rc == CD_OK && kind == RPC_REFL_EXTENSION)
			rc = add_ext(r, fields[i], file);
		if (rc != CD_OK)
			return rc;
	}
	return CD_OK;
}

/* An enum and its values; the values are the enum's siblings, as
 * protobuf scopes them ("pkg.VALUE", "pkg.Msg.VALUE"). */
static int add_enum(rpc_refl_t *r, const char *scope, size_t file,
                    const Google__Protobuf__EnumDescriptorProto *e)
{
	int rc = add_sym(r, scope, e->name, file, RPC_REFL_ENUM, NULL);
	for (size_t i = 0; rc == CD_OK && i < e->n_value; i++)
		rc = add_sym(r, scope, e->value[i]->name, file,
		             RPC_REFL_ENUM_VALUE, NULL);
	return rc;
}

static int add_message(rpc_refl_t *r, const char *scope, size_t file,
                       const Google__Protobuf__DescriptorProto *m,
                       unsigned depth)
{
	char *full;
	if (depth > 64)
		return CD_EINVAL;
	int rc = add_sym(r, scope, m->name, file, RPC_REFL_MESSAGE, &full);
	if (rc != CD_OK)
		return rc;
	/* full lives in r->syms[].name until the index is destroyed. */
	rc = add_fields(r, full, file, m->field, m->n_field, RPC_REFL_FIELD);
	if (rc == CD_OK)
		rc = add_fields(r, full, file, m->extension, m->n_extension,
		                RPC_REFL_EXTENSION);
	for (size_t i = 0; rc == CD_OK && i < m->n_oneof_decl; i++)
		rc = add_sym(r, full, m->oneof_decl[i]->name, file,
		             RPC_REFL_ONEOF, NULL);
	for (size_t i = 0; rc == CD_OK && i < m->n_enum_type; i++)
		rc = add_enum(r, full, file, m->enum_type[i]);
	for (size_t i = 0; rc == CD_OK && i < m->n_nested_type; i++)
		rc = add_message(r, full, file, m->nested_type[i], depth + 1);
	return rc;
}

static int add_service(rpc_refl_t *r, const char *scope, size_t file,
                       const Google__Protobuf__ServiceDescriptorProto *s)
{
	char *full;
	int rc = add_sym(r, scope, s->name, file, RPC_REFL_SERVICE, &full);
	for (size_t i = 0; rc == CD_OK && i < s->n_method; i++) {
		const Google__Protobuf__MethodDescriptorProto *m = s->method[i];
		rc = add_sym(r, full, m->name, file, RPC_REFL_METHOD, NULL);
		if (rc == CD_OK) {
			refl_sym_t *y = &r->syms[r->nsyms - 1];
			y->cs = m->has_client_streaming && m->client_streaming;
			y->ss = m->has_server_streaming && m->server_streaming;
		}
	}
	return rc;
}

/* One file's name, imports (names, resolved later) and symbols. */
static int index_file(rpc_refl_t *r, size_t i, char ***dep_names,
                      char *err, size_t errlen)
{
	refl_file_t *f = &r->files[i];
	Google__Protobuf__FileDescriptorProto *fd =
		google__protobuf__file_descriptor_proto__unpack(NULL, f->len,
		                                                f->bytes);
	if (!fd)
		return cd_fail(err, errlen, CD_EINVAL, "descriptor set: file "
		               "%zu does not decode", i);
	int rc = CD_OK;
	const char *pkg = fd->package ? fd->package : "";
	if (!fd->name || !fd->name[0]) {
		rc = cd_fail(err, errlen, CD_EINVAL, "descriptor set: file %zu "
		             "has no name", i);
		goto out;
	}
	if (!(f->name = strdup(fd->name)))
		goto oom;
	f->ndeps = fd->n_dependency;
	if (f->ndeps) {
		f->deps = calloc(f->ndeps, sizeof(*f->deps));
		dep_names[i] = calloc(f->ndeps, sizeof(char *));
		if (!f->deps || !dep_names[i])
			goto oom;
		for (size_t d = 0; d < f->ndeps; d++)
			if (!(dep_names[i][d] = strdup(fd->dependency[d])))
				goto oom;
	}
	for (size_t k = 0; rc == CD_OK && k < fd->n_message_type; k++)
		rc = add_message(r, pkg, i, fd->message_type[k], 0);
	for (size_t k = 0; rc == CD_OK && k < fd->n_enum_type; k++)
		rc = add_enum(r, pkg, i, fd->enum_type[k]);
	for (size_t k = 0; rc == CD_OK && k < fd->n_service; k++)
		rc = add_service(r, pkg, i, fd->service[k]);
	if (rc == CD_OK)
		rc = add_fields(r, pkg, i, fd->extension, fd->n_extension,
		                RPC_REFL_EXTENSION);
	if (rc == CD_ENOMEM)
		goto oom;
	if (rc != CD_OK)
		rc = cd_fail(err, errlen, rc, "descriptor set: %s: a definition "
		             "without a name or number, or nested too deeply",
		             fd->name);
	goto out;
oom:
	rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
out:
	google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
	return rc;
}

static int sym_cmp(const void *a, const void *b)
{
	return strcmp(((const refl_sym_t *)a)->name,
	              ((const refl_sym_t *)b)->name);
}

static int ext_cmp(const void *a, const void *b)
{
	const refl_ext_t *x = a, *y = b;
	int c = strcmp(x->extendee, y->extendee);
	if (c)
		return c;
	return x->number < y->number ? -1 : x->number > y->number;
}

static const refl_sym_t *find_sym(const rpc_refl_t *r, const char *name)
{
	refl_sym_t key = {.name = (char *)name};
	return r->nsyms ? bsearch(&key, r->syms, r->nsyms, sizeof(key),
	                          sym_cmp)
	                : NULL;
}

static int resolve_deps(rpc_refl_t *r, char ***dep_names, char *err,
                        size_t errlen)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		refl_file_t *f = &r->files[i];
		for (size_t d = 0; d < f->ndeps; d++) {
			long j = rpc_refl_file_by_name(r, dep_names[i][d]);
			if (j < 0)
				return cd_fail(err, errlen, CD_EINVAL,
				               "descriptor set: %s imports %s, "
				               "which the set lacks (build it with "
				               "--include_imports)", f->name,
				               dep_names[i][d]);
			f->deps[d] = (size_t)j;
		}
	}
	return CD_OK;
}

int rpc_refl_create(rpc_refl_t **out, const uint8_t *set, size_t len,
                    const char *const *services, size_t nservices,
                    char *err, size_t errlen)
{
	*out = NULL;
	rpc_refl_t *r = calloc(1, sizeof(*r));
	char ***dep_names = NULL;
	if (!r)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = split_set(r, set, len, err, errlen);
	if (rc == CD_OK && r->nfiles &&
	    !(dep_names = calloc(r->nfiles, sizeof(*dep_names))))
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t i = 0; rc == CD_OK && i < r->nfiles; i++)
		rc = index_file(r, i, dep_names, err, errlen);
	for (size_t i = 0; rc == CD_OK && i < r->nfiles; i++)
		for (size_t j = 0; rc == CD_OK && j < i; j++)
			if (!strcmp(r->files[i].name, r->files[j].name))
				rc = cd_fail(err, errlen, CD_EINVAL,
				             "descriptor set: %s twice",
				             r->files[i].name);
	if (rc == CD_OK)
		rc = resolve_deps(r, dep_names, err, errlen);
	if (rc == CD_OK) {
		if (r->nsyms)
			qsort(r->syms, r->nsyms, sizeof(*r->syms), sym_cmp);
		for (size_t i = 1; rc == CD_OK && i < r->nsyms; i++)
			if (!strcmp(r->syms[i].name, r->syms[i - 1].name))
				rc = cd_fail(err, errlen, CD_EINVAL,
				             "descriptor set: %s is defined "
				             "twice (%s, %s)", r->syms[i].name,
				             r->files[r->syms[i - 1].file].name,
				             r->files[r->syms[i].file].name);
	}
	if (rc == CD_OK && r->nexts) {
		qsort(r->exts, r->nexts, sizeof(*r->exts), ext_cmp);
		for (size_t i = 1; rc == CD_OK && i < r->nexts; i++)
			if (!ext_cmp(&r->exts[i], &r->exts[i - 1]))
				rc = cd_fail(err, errlen, CD_EINVAL,
				             "descriptor set: two extensions "
				             "of %s numbered %d",
				             r->exts[i].extendee,
				             (int)r->exts[i].number);
	}
	if (rc == CD_OK && nservices &&
	    !(r->services = calloc(nservices, sizeof(*r->services))))
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t i = 0; rc == CD_OK && i < nservices; i++) {
		const refl_sym_t *s = find_sym(r, services[i]);
		if (!s || s->kind != RPC_REFL_SERVICE)
			rc = cd_fail(err, errlen, CD_EINVAL, "descriptor set: "
			             "no file defines service %s", services[i]);
		else if (!(r->services[i] = strdup(services[i])))
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		else
			r->nservices++;
	}
	if (dep_names) {
		for (size_t i = 0; i < r->nfiles; i++) {
			for (size_t d = 0; dep_names[i] && d < r->files[i].ndeps;
			     d++)
				free(dep_names[i][d]);
			free(dep_names[i]);
		}
		free(dep_names);
	}
	if (rc != CD_OK) {
		rpc_refl_destroy(r);
		return rc;
	}
	*out = r;
	return CD_OK;
}

int rpc_refl_create_builtin(rpc_refl_t **out, char *err, size_t errlen)
{
	size_t n;
	const char *const *svc = rpc_service_names(&n);
	return rpc_refl_create(out, clusterd_descriptor_set,
	                       clusterd_descriptor_set_len, svc, n, err,
	                       errlen);
}

void rpc_refl_destroy(rpc_refl_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		free(r->files[i].deps);
	}
	for (size_t i = 0; i < r->nsyms; i++)
		free(r->syms[i].name);
	for (size_t i = 0; i < r->nexts; i++)
		free(r->exts[i].extendee);
	for (size_t i = 0; i < r->nservices; i++)
		free(r->services[i]);
	free(r->files);
	free(r->syms);
	free(r->exts);
	free(r->services);
	free(r);
}

/* ------------------------------------------------------------ lookups */

size_t rpc_refl_file_count(const rpc_refl_t *r)
{
	return r->nfiles;
}

const char *rpc_refl_file_name(const rpc_refl_t *r, size_t i)
{
	return i < r->nfiles ? r->files[i].name : NULL;
}

const uint8_t *rpc_refl_file_bytes(const rpc_refl_t *r, size_t i,
                                   size_t *len)
{
	if (i >= r->nfiles) {
		*len = 0;
		return NULL;
	}
	*len = r->files[i].len;
	return r->files[i].bytes;
}

long rpc_refl_file_by_name(const rpc_refl_t *r, const char *name)
{
	/* A few dozen files: a scan is as fast as anything. */
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].name && !strcmp(r->files[i].name, name))
			return (long)i;
	return -1;
}

long rpc_refl_file_of_symbol(const rpc_refl_t *r, const char *symbol,
                             rpc_refl_kind *kind)
{
	const refl_sym_t *s = find_sym(r, symbol);
	if (kind)
		*kind = s ? s->kind : 0;
	return s ? (long)s->file : -1;
}

int rpc_refl_method_shape(const rpc_refl_t *r, const char *method,
                          int *client_streaming, int *server_streaming)
{
	const refl_sym_t *s = find_sym(r, method);
	if (!s || s->kind != RPC_REFL_METHOD)
		return CD_ENOTFOUND;
	*client_streaming = s->cs;
	*server_streaming = s->ss;
	return CD_OK;
}

static int is_message(const rpc_refl_t *r, const char *type)
{
	const refl_sym_t *s = find_sym(r, type);
	return s && s->kind == RPC_REFL_MESSAGE;
}

long rpc_refl_file_of_extension(const rpc_refl_t *r, const char *type,
                                int32_t number, int *type_known)
{
	*type_known = is_message(r, type);
	refl_ext_t key = {.extendee = (char *)type, .number = number};
	const refl_ext_t *e = *type_known && r->nexts
		? bsearch(&key, r->exts, r->nexts, sizeof(key), ext_cmp)
		: NULL;
	return e ? (long)e->file : -1;
}

int rpc_refl_extension_numbers(const rpc_refl_t *r, const char *type,
                               int32_t *out, size_t cap, size_t *n)
{
	*n = 0;
	if (!is_message(r, type))
		return CD_ENOTFOUND;
	/* Sorted by extendee, then number: one run. */
	for (size_t i = 0; i < r->nexts; i++) {
		if (strcmp(r->exts[i].extendee, type))
			continue;
		if (*n < cap)
			out[*n] = r->exts[i].number;
		(*n)++;
	}
	return CD_OK;
}

static void closure(const rpc_refl_t *r, size_t i, unsigned char *seen,
                    size_t *out, size_t cap, size_t *n)
{
	if (seen[i])
		return;
	seen[i] = 1;
	if (*n < cap)
		out[*n] = i;
	(*n)++;
	for (size_t d = 0; d < r->files[i].ndeps; d++)
		closure(r, r->files[i].deps[d], seen, out, cap, n);
}

size_t rpc_refl_file_closure(const rpc_refl_t *r, size_t i, size_t *out,
                             size_t cap)
{
	size_t n = 0;
	if (i >= r->nfiles)
		return 0;
	unsigned char *seen = calloc(r->nfiles, 1);
	if (!seen)
		return 0;
	closure(r, i, seen, out, cap, &n);
	free(seen);
	return n < cap ? n : cap;
}

const char *const *rpc_refl_services(const rpc_refl_t *r, size_t *n)
{
	*n = r->nservices;
	return (const char *const *)r->services;
}

/* ------------------------------------------------------------ answers */

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp_t;

#define REQ(x) GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__##x
#define RESP(x) GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__##x

/* What a message quotes of a client's name: at most 200 bytes. */
static const char *quote(const char *s, char *buf, size_t cap)
{
	rpc_status_clean(s, buf, cap);
	return buf;
}

static int pack_resp(const refl_resp_t *m, uint8_t **out, size_t *len)
{
	*len = grpc__reflection__v1__server_reflection_response__get_packed_size(
		m);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		return CD_ENOMEM;
	grpc__reflection__v1__server_reflection_response__pack(m, *out);
	return CD_OK;
}

static int answer_error(refl_resp_t *m, int cd_code, uint8_t **out,
                        size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int answer_error(refl_resp_t *m, int cd_code, uint8_t **out,
                        size_t *len, const char *fmt, ...)
{
	Grpc__Reflection__V1__ErrorResponse e =
		GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
	char raw[768], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* A string field: UTF-8, whatever was cut short. */
	rpc_status_clean(raw, msg, sizeof(msg));
	e.error_code = (int32_t)rpc_status_from_cd(cd_code);
	e.error_message = msg;
	m->message_response_case = RESP(MESSAGE_RESPONSE_ERROR_RESPONSE);
	m->error_response = &e;
	return pack_resp(m, out, len);
}

static int answer_file(const rpc_refl_t *r, refl_resp_t *m, size_t file,
                       uint8_t **out, size_t *len)
{
	Grpc__Reflection__V1__FileDescriptorResponse fr =
		GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
	size_t *ids = malloc(r->nfiles * sizeof(*ids));
	ProtobufCBinaryData *bd = malloc(r->nfiles * sizeof(*bd));
	int rc = CD_ENOMEM;
	if (ids && bd) {
		size_t n = rpc_refl_file_closure(r, file, ids, r->nfiles);
		for (size_t i = 0; i < n; i++) {
			bd[i].data = (uint8_t *)r->files[ids[i]].bytes;
			bd[i].len = r->files[ids[i]].len;
		}
		fr.n_file_descriptor_proto = n;
		fr.file_descriptor_proto = bd;
		m->message_response_case =
			RESP(MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
		m->file_descriptor_response = &fr;
		rc = n ? pack_resp(m, out, len) : CD_ENOMEM;
	}
	free(ids);
	free(bd);
	return rc;
}

static int answer_services(const rpc_refl_t *r, refl_resp_t *m,
                           uint8_t **out, size_t *len)
{
	Grpc__Reflection__V1__ListServiceResponse lr =
		GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
	Grpc__Reflection__V1__ServiceResponse *sv =
		calloc(r->nservices + 1, sizeof(*sv));
	Grpc__Reflection__V1__ServiceResponse **sp =
		calloc(r->nservices + 1, sizeof(*sp));
	int rc = CD_ENOMEM;
	if (sv && sp) {
		for (size_t i = 0; i < r->nservices; i++) {
			grpc__reflection__v1__service_response__init(&sv[i]);
			sv[i].name = r->services[i];
			sp[i] = &sv[i];
		}
		lr.n_service = r->nservices;
		lr.service = sp;
		m->message_response_case =
			RESP(MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
		m->list_services_response = &lr;
		rc = pack_resp(m, out, len);
	}
	free(sv);
	free(sp);
	return rc;
}

static int answer_ext_numbers(const rpc_refl_t *r, refl_resp_t *m,
                              const char *type, uint8_t **out, size_t *len)
{
	Grpc__Reflection__V1__ExtensionNumberResponse er =
		GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;
	char q[201];
	size_t n;
	if (rpc_refl_extension_numbers(r, type, NULL, 0, &n) != CD_OK)
		return answer_error(m, CD_ENOTFOUND, out, len, "type \"%s\" not "
		                    "found: no message of that name",
		                    quote(type, q, sizeof(q)));
	int32_t *nums = malloc((n ? n : 1) * sizeof(*nums));
	if (!nums)
		return CD_ENOMEM;
	rpc_refl_extension_numbers(r, type, nums, n, &n);
	er.base_type_name = (char *)type;
	er.n_extension_number = n;
	er.extension_number = nums;
	m->message_response_case =
		RESP(MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
	m->all_extension_numbers_response = &er;
	int rc = pack_resp(m, out, len);
	free(nums);
	return rc;
}

int rpc_refl_answer(const rpc_refl_t *r, const uint8_t *req, size_t len,
                    uint8_t **resp, size_t *resp_len)
{
	refl_resp_t m = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
	char err[512], q[201];
	*resp = NULL;
	*resp_len = 0;

	/* Strings are checked as every request's are (UTF-8, no NUL);
	 * a field this server does not know is a question it cannot
	 * answer. */
	int wrc = cd_wire_check(
		&grpc__reflection__v1__server_reflection_request__descriptor,
		req, len, NULL, 0, err, sizeof(err));
	if (wrc == CD_EV_UNKNOWN_FIELD)
		return answer_error(&m, CD_EUNIMPL, resp, resp_len, "%s: this "
		                    "server answers file_by_filename, "
		                    "file_containing_symbol, "
		                    "file_containing_extension, "
		                    "all_extension_numbers_of_type and "
		                    "list_services", err);
	refl_req_t *rq = wrc == CD_OK
		? grpc__reflection__v1__server_reflection_request__unpack(
			NULL, len, req)
		: NULL;
	if (!rq)
		return answer_error(&m, CD_EINVAL, resp, resp_len, "request is "
		                    "not a valid grpc.reflection.v1."
		                    "ServerReflectionRequest message%s%s",
		                    wrc == CD_OK ? "" : ": ",
		                    wrc == CD_OK ? "" : err);
	m.valid_host = rq->host;
	m.original_request = rq;

	int rc;
	long f;
	int known;
	switch (rq->message_request_case) {
	case REQ(MESSAGE_REQUEST_FILE_BY_FILENAME):
		f = rpc_refl_file_by_name(r, rq->file_by_filename);
		rc = f >= 0 ? answer_file(r, &m, (size_t)f, resp, resp_len)
		     : answer_error(&m, CD_ENOTFOUND, resp, resp_len, "file "
		                    "\"%s\" not found",
		                    quote(rq->file_by_filename, q, sizeof(q)));
		break;
	case REQ(MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL):
		f = rpc_refl_file_of_symbol(r, rq->file_containing_symbol,
		                            NULL);
		rc = f >= 0 ? answer_file(r, &m, (size_t)f, resp, resp_len)
		     : answer_error(&m, CD_ENOTFOUND, resp, resp_len, "symbol "
		                    "\"%s\" not found",
		                    quote(rq->file_containing_symbol, q,
		                          sizeof(q)));
		break;
	case REQ(MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION): {
		const Grpc__Reflection__V1__ExtensionRequest *x =
			rq->file_containing_extension;
		const char *type = x && x->containing_type
			? x->containing_type : "";
		int32_t num = x ? x->extension_number : 0;
		f = rpc_refl_file_of_extension(r, type, num, &known);
		if (f >= 0)
			rc = answer_file(r, &m, (size_t)f, resp, resp_len);
		else if (!known)
			rc = answer_error(&m, CD_ENOTFOUND, resp, resp_len,
			                  "type \"%s\" not found: no message "
			                  "of that name",
			                  quote(type, q, sizeof(q)));
		else
			rc = answer_error(&m, CD_ENOTFOUND, resp, resp_len,
			                  "extension %d of %s not found: no "
			                  "file declares it", (int)num,
			                  quote(type, q, sizeof(q)));
		break;
	}
	case REQ(MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE):
		rc = answer_ext_numbers(r, &m, rq->all_extension_numbers_of_type,
		                        resp, resp_len);
		break;
	case REQ(MESSAGE_REQUEST_LIST_SERVICES):
		/* Its content "will not be checked" (reflection.proto). */
		rc = answer_services(r, &m, resp, resp_len);
		break;
	default:
		rc = answer_error(&m, CD_EINVAL, resp, resp_len, "the request "
		                  "asks nothing: set one of file_by_filename, "
		                  "file_containing_symbol, "
		                  "file_containing_extension, "
		                  "all_extension_numbers_of_type, "
		                  "list_services");
		break;
	}
	grpc__reflection__v1__server_reflection_request__free_unpacked(rq,
	                                                                NULL);
	return rc;
}

/* -------------------------------------------------------------- handler */

static int on_request(rpc_call_t *c, const uint8_t *req, size_t len,
                      uint8_t **resp, size_t *resp_len, char *err,
                      size_t errlen)
{
	const srv_env_t *env = rpc_call_env(c);
	if (!env->refl)
		return cd_fail(err, errlen, CD_EUNAVAIL, "reflection is not "
		               "available");
	if (rpc_refl_answer(env->refl, req, len, resp, resp_len) != CD_OK)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory "
		               "answering a reflection request");
	return CD_OK;
}

void rpc_reflection_info(rpc_call_t *c)
{
	rpc_call_answer_each(c, on_request);
}
