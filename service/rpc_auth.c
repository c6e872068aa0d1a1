#include "rpc_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cd_error.h"
#include "cd_file.h"

/* A tokens file is a short list of principals; a bigger file is a
 * mistake (a wrong path), not a configuration. */
#define AUTH_FILE_MAX (1u << 20)
#define AUTH_LINE_MAX 1024

typedef struct entry {
	uint8_t hash[RPC_AUTH_HASH_LEN];
	int has_hash;                    /* 0: "-", a certificate only */
	char name[RPC_AUTH_NAME_MAX + 1];
	unsigned roles;
} entry_t;

typedef struct table {
	entry_t *e;
	size_t n;
} table_t;

struct rpc_auth {
	pthread_rwlock_t lock;           /* guards cur */
	table_t cur;
	char *path;
};

static const struct {
	const char *name;
	unsigned bit;
} role_names[] = {
	{"reader", RPC_ROLE_READER},
	{"editor", RPC_ROLE_EDITOR},
	{"judge", RPC_ROLE_JUDGE},
	{"admin", RPC_ROLE_ADMIN},
};

#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

/* ---------------------------------------------------------------- roles */

unsigned rpc_auth_effective(unsigned roles)
{
	if (roles & RPC_ROLE_ADMIN)
		roles |= RPC_ROLE_EDITOR;
	if (roles & (RPC_ROLE_EDITOR | RPC_ROLE_JUDGE))
		roles |= RPC_ROLE_READER;
	return roles;
}

const char *rpc_auth_role_name(unsigned role)
{
	if (role == RPC_ROLE_OPEN)
		return "open";
	for (size_t i = 0; i < NROLES; i++)
		if (role_names[i].bit == role)
			return role_names[i].name;
	return "none";
}

int rpc_auth_roles_parse(const char *s, size_t len, unsigned *out)
{
	unsigned roles = 0;
	size_t i = 0;
	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		unsigned bit = 0;
		for (size_t k = 0; k < NROLES; k++)
			if (strlen(role_names[k].name) == j - i &&
			    !memcmp(role_names[k].name, s + i, j - i))
				bit = role_names[k].bit;
		if (!bit)
			return -1;
		roles |= bit;
		i = j + 1;
	}
	*out = roles;
	return 0;
}

void rpc_auth_roles_format(unsigned roles, char *out, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < NROLES; i++) {
		if (!(roles & role_names[i].bit))
			continue;
		int n = snprintf(out + o, cap - o, "%s%s", o ? "," : "",
		                 role_names[i].name);
		if (n < 0 || (size_t)n >= cap - o)
			return;
		o += (size_t)n;
	}
	if (!o)
		snprintf(out, cap, "none");
}

int rpc_auth_blinded(unsigned roles)
{
	return (roles & RPC_ROLE_JUDGE) &&
	       !(rpc_auth_effective(roles) & RPC_ROLE_EDITOR);
}

int rpc_auth_permit(const rpc_method_t *m, const char *name, unsigned roles,
                    char *err, size_t errlen)
{
	const char *slash = strrchr(m->path, '/');
	const char *short_name = slash ? slash + 1 : m->path;
	unsigned eff = rpc_auth_effective(roles);
	char have[64];

	if (m->role == RPC_ROLE_OPEN)
		return CD_OK;
	if (m->role && ((eff & m->role) ||
	                (m->judge_own && (eff & RPC_ROLE_JUDGE))))
		return CD_OK;
	if (!m->role)
		return cd_fail(err, errlen, CD_EPERM, "%s has no role in this "
		               "server's table: refused to everyone", short_name);
	rpc_auth_roles_format(roles, have, sizeof(have));
	return cd_fail(err, errlen, CD_EPERM, "%s needs role %s; %s has %s",
	               short_name, rpc_auth_role_name(m->role), name, have);
}

/* ---------------------------------------------------------------- hashes */

static int sha256(const void *p, size_t len, uint8_t out[RPC_AUTH_HASH_LEN])
{
	unsigned n = 0;
	if (!EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) ||
	    n != RPC_AUTH_HASH_LEN)
		return CD_EINTERNAL;
	return CD_OK;
}

int rpc_auth_hash_hex(const void *token, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[RPC_AUTH_HASH_LEN];
	int rc = sha256(token, len, h);
	if (rc != CD_OK)
		return rc;
	for (size_t i = 0; i < RPC_AUTH_HASH_LEN; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[2 * RPC_AUTH_HASH_LEN] = '\0';
	return CD_OK;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	     : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* ------------------------------------------------------------- the file */

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > RPC_AUTH_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '@' || ch == '-'))
			return 0;
	}
	return 1;
}

/* The next whitespace-separated field of line at *pos. */
static size_t field(const char *line, size_t len, size_t *pos,
                    const char **start)
{
	size_t i = *pos;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*start = line + i;
	size_t j = i;
	while (j < len && line[j] != ' ' && line[j] != '\t')
		j++;
	*pos = j;
	return j - i;
}

/* One non-comment line into *e; err gets what is wrong with it. */
static int parse_line(const char *line, size_t len, entry_t *e, char *err,
                      size_t errlen)
{
	const char *f[4];
	size_t fl[4], pos = 0;
	for (int i = 0; i < 4; i++)
		fl[i] = field(line, len, &pos, &f[i]);
	if (!fl[1] || !fl[2] || fl[3])
		return cd_fail(err, errlen, CD_EINVAL, "want three fields: "
		               "<sha256-hex> <name> <role>[,<role>...]");
	memset(e, 0, sizeof(*e));
	if (fl[0] == 1 && f[0][0] == '-') {
		e->has_hash = 0;
	} else {
		if (fl[0] != 2 * RPC_AUTH_HASH_LEN)
			return cd_fail(err, errlen, CD_EINVAL, "the hash is %zu "
			               "characters, want 64 hex digits (the "
			               "SHA-256 of the token) or '-'", fl[0]);
		for (size_t i = 0; i < RPC_AUTH_HASH_LEN; i++) {
			int hi = hexval(f[0][2 * i]), lo = hexval(f[0][2 * i + 1]);
			if (hi < 0 || lo < 0)
				return cd_fail(err, errlen, CD_EINVAL, "the hash "
				               "holds a character that is not a "
				               "hex digit");
			e->hash[i] = (uint8_t)(hi << 4 | lo);
		}
		e->has_hash = 1;
	}
	if (!name_ok(f[1], fl[1]))
		return cd_fail(err, errlen, CD_EINVAL, "name '%.*s' is not "
		               "[A-Za-z0-9._@-]{1,128}",
		               (int)(fl[1] > 140 ? 140 : fl[1]), f[1]);
	memcpy(e->name, f[1], fl[1]);
	e->name[fl[1]] = '\0';
	if (rpc_auth_roles_parse(f[2], fl[2], &e->roles))
		return cd_fail(err, errlen, CD_EINVAL, "roles '%.*s': each "
		               "must be one of reader, editor, judge, admin, "
		               "separated by commas", (int)(fl[2] > 80 ? 80
		               : fl[2]), f[2]);
	return CD_OK;
}

/* Parses the whole text; on failure t is left empty. */
static int parse_text(const char *path, const char *text, size_t len,
                      table_t *t, char *err, size_t errlen)
{
	char why[256];
	size_t cap = 0, lineno = 0, i = 0;
	int rc = CD_OK;

	t->e = NULL;
	t->n = 0;
	while (i < len && rc == CD_OK) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *line = text + i;
		size_t ll = end - i;
		i = end + 1;
		lineno++;
		if (ll && line[ll - 1] == '\r')
			ll--;
		size_t k = 0;
		while (k < ll && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == ll || line[k] == '#')
			continue;
		if (ll > AUTH_LINE_MAX) {
			rc = cd_fail(err, errlen, CD_EINVAL, "tokens file %s line "
			             "%zu: longer than %u bytes", path, lineno,
			             AUTH_LINE_MAX);
			break;
		}
		if (memchr(line, '\0', ll)) {
			rc = cd_fail(err, errlen, CD_EINVAL, "tokens file %s line "
			             "%zu: holds a NUL byte", path, lineno);
			break;
		}
		if (t->n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			entry_t *ne = realloc(t->e, nc * sizeof(*ne));
			if (!ne) {
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of "
				             "memory");
				break;
			}
			t->e = ne;
			cap = nc;
		}
		entry_t *e = &t->e[t->n];
		if (parse_line(line, ll, e, why, sizeof(why)) != CD_OK) {
			rc = cd_fail(err, errlen, CD_EINVAL, "tokens file %s line "
			             "%zu: %s", path, lineno, why);
			break;
		}
		for (size_t j = 0; j < t->n && rc == CD_OK; j++) {
			if (!strcmp(t->e[j].name, e->name))
				rc = cd_fail(err, errlen, CD_EINVAL, "tokens file "
				             "%s line %zu: duplicate name '%s'",
				             path, lineno, e->name);
			else if (e->has_hash && t->e[j].has_hash &&
			         !memcmp(t->e[j].hash, e->hash,
			                 RPC_AUTH_HASH_LEN))
				rc = cd_fail(err, errlen, CD_EINVAL, "tokens file "
				             "%s line %zu: duplicate hash (also "
				             "'%s'): one token per principal",
				             path, lineno, t->e[j].name);
		}
		t->n++;
	}
	if (rc != CD_OK) {
		free(t->e);
		t->e = NULL;
		t->n = 0;
	}
	return rc;
}

static int load_file(const char *path, table_t *t, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = cd_file_read("tokens file", path, AUTH_FILE_MAX,
	                      CD_FILE_PRIVATE, &buf, &len, err, errlen);
	if (rc != CD_OK)
		return rc;
	rc = parse_text(path, buf, len, t, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* ----------------------------------------------------------- the object */

int rpc_auth_create(rpc_auth_t **out, const char *path, char *err,
                    size_t errlen)
{
	*out = NULL;
	rpc_auth_t *a = calloc(1, sizeof(*a));
	if (!a || !(a->path = strdup(path))) {
		free(a);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	int rc = load_file(path, &a->cur, err, errlen);
	if (rc != CD_OK) {
		free(a->path);
		free(a);
		return rc;
	}
	pthread_rwlock_init(&a->lock, NULL);
	*out = a;
	return CD_OK;
}

void rpc_auth_destroy(rpc_auth_t *a)
{
	if (!a)
		return;
	pthread_rwlock_destroy(&a->lock);
	OPENSSL_cleanse(a->cur.e, a->cur.n * sizeof(entry_t));
	free(a->cur.e);
	free(a->path);
	free(a);
}

int rpc_auth_reload(rpc_auth_t *a, char *err, size_t errlen)
{
	table_t t, old;
	int rc = load_file(a->path, &t, err, errlen);
	if (rc != CD_OK)
		return rc;
	pthread_rwlock_wrlock(&a->lock);
	old = a->cur;
	a->cur = t;
	pthread_rwlock_unlock(&a->lock);
	OPENSSL_cleanse(old.e, old.n * sizeof(entry_t));
	free(old.e);
	return CD_OK;
}

size_t rpc_auth_count(rpc_auth_t *a)
{
	pthread_rwlock_rdlock(&a->lock);
	size_t n = a->cur.n;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

int rpc_auth_token(rpc_auth_t *a, const char *token, size_t len,
                   rpc_auth_who_t *who)
{
	uint8_t h[RPC_AUTH_HASH_LEN];
	if (len == 0 || len > RPC_AUTH_TOKEN_MAX || sha256(token, len, h))
		return CD_EUNAUTH;
	int rc = CD_EUNAUTH;
	pthread_rwlock_rdlock(&a->lock);
	/* Every entry is compared whatever matched, so the time taken says
	 * nothing about which entry, or how much of a hash, matched. */
	size_t found = a->cur.n;
	for (size_t i = 0; i < a->cur.n; i++) {
		int eq = CRYPTO_memcmp(h, a->cur.e[i].hash,
		                       RPC_AUTH_HASH_LEN) == 0;
		found = eq && a->cur.e[i].has_hash ? i : found;
	}
	if (found < a->cur.n) {
		memcpy(who->name, a->cur.e[found].name, sizeof(who->name));
		who->roles = a->cur.e[found].roles;
		rc = CD_OK;
	}
	pthread_rwlock_unlock(&a->lock);
	return rc;
}

int rpc_auth_name(rpc_auth_t *a, const char *name, rpc_auth_who_t *who)
{
	int rc = CD_EUNAUTH;
	pthread_rwlock_rdlock(&a->lock);
	for (size_t i = 0; i < a->cur.n; i++) {
		if (!strcmp(a->cur.e[i].name, name)) {
			memcpy(who->name, a->cur.e[i].name, sizeof(who->name));
			who->roles = a->cur.e[i].roles;
			rc = CD_OK;
			break;
		}
	}
	pthread_rwlock_unlock(&a->lock);
	return rc;
}

int rpc_auth_bearer(const char *value, size_t len, const char **tok,
                    size_t *toklen)
{
	static const char scheme[] = "bearer";
	size_t n = sizeof(scheme) - 1;
	if (len <= n || strncasecmp(value, scheme, n) || value[n] != ' ')
		return CD_EUNAUTH;
	while (n < len && value[n] == ' ')
		n++;
	if (n == len)
		return CD_EUNAUTH;
	*tok = value + n;
	*toklen = len - n;
	return CD_OK;
}

/* The first "authorization" header of md; 0 when there is none. */
static int auth_header(const grpc_metadata_array *md, const char **val,
                       size_t *len)
{
	static const char key[] = "authorization";
	for (size_t i = 0; i < md->count; i++) {
		const grpc_slice *k = &md->metadata[i].key;
		if (GRPC_SLICE_LENGTH(*k) == sizeof(key) - 1 &&
		    !memcmp(GRPC_SLICE_START_PTR(*k), key, sizeof(key) - 1)) {
			*val = (const char *)GRPC_SLICE_START_PTR(
				md->metadata[i].value);
			*len = GRPC_SLICE_LENGTH(md->metadata[i].value);
			return 1;
		}
	}
	return 0;
}

int rpc_auth_check(rpc_auth_t *a, const grpc_metadata_array *md,
                   const char *cert, const rpc_method_t *m,
                   rpc_auth_who_t *who, char *err, size_t errlen)
{
	const char *val, *tok;
	size_t len, toklen;
	const char *why;
	int rc;

	memset(who, 0, sizeof(*who));
	if (auth_header(md, &val, &len)) {
		rc = rpc_auth_bearer(val, len, &tok, &toklen);
		why = "authorization: expected 'Bearer <token>'";
		if (rc == CD_OK) {
			rc = rpc_auth_token(a, tok, toklen, who);
			why = "unknown token";
		}
	} else if (cert) {
		rc = rpc_auth_name(a, cert, who);
		why = "the client certificate's principal is not in the "
		      "tokens file";
	} else {
		rc = CD_EUNAUTH;
		why = "missing credentials: send authorization: Bearer <token>";
	}
	if (rc != CD_OK)
		memset(who, 0, sizeof(*who));
	if (m && m->role == RPC_ROLE_OPEN)
		return CD_OK;
	if (rc != CD_OK)
		return cd_fail(err, errlen, CD_EUNAUTH, "%s", why);
	return m ? rpc_auth_permit(m, who->name, who->roles, err, errlen)
	         : CD_OK;
}
