/*
 * store_validate.c — the rules every stored record obeys. Each rule has its
 * own error code; messages name the field with its index path so a client
 * can point at the offending value.
 */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cd_utf8.h"

/* ISO 3166-1 alpha-2 officially assigned codes (from Debian's iso-codes),
 * plus XK, the user-assigned code in general use for Kosovo. */
static const char iso3166[] =
        "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBT"
        "BVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEH"
        "ERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHT"
        "HUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLS"
        "LTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNI"
        "NLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESG"
        "SHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUG"
        "UMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

#define MAX_ECONOMY_PARTS 8

/* 26x26 bit table of the codes above, built once. */
static uint32_t iso_bits[26];
static pthread_once_t iso_once = PTHREAD_ONCE_INIT;

static void iso_init(void)
{
	for (size_t k = 0; k + 1 < sizeof(iso3166); k += 2)
		iso_bits[iso3166[k] - 'A'] |= 1u << (iso3166[k + 1] - 'A');
}

static int iso_known(char a, char b)
{
	if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
		return 0;
	pthread_once(&iso_once, iso_init);
	return (iso_bits[a - 'A'] >> (b - 'A')) & 1;
}

/* Codes in common use that ISO 3166-1 assigns otherwise: the EU's UK and
 * EL, and the ISO code each means. */
static const char iso_aliases[][2][3] = {
	{ "UK", "GB" },
	{ "EL", "GR" },
};

/* The ISO code a refused two-letter code most likely means (an alias, or
 * the code in upper case), or NULL. */
static const char *iso_suggest(const char *code, char up[3])
{
	up[0] = (char)(code[0] >= 'a' && code[0] <= 'z' ? code[0] - 32
	                                                : code[0]);
	up[1] = (char)(code[1] >= 'a' && code[1] <= 'z' ? code[1] - 32
	                                                : code[1]);
	up[2] = '\0';
	for (size_t i = 0; i < sizeof(iso_aliases) / sizeof(iso_aliases[0]);
	     i++)
		if (!strcmp(up, iso_aliases[i][0]))
			return iso_aliases[i][1];
	return iso_known(up[0], up[1]) ? up : NULL;
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int store_validate_id(const char *id, const char *field, char *err,
                      size_t errlen)
{
	size_t n;
	if (!id || !*id)
		return cd_fail(err, errlen, CD_EV_ID, "%s: missing", field);
	n = strlen(id);
	if (n > STORE_ID_MAX)
		return cd_fail(err, errlen, CD_EV_ID,
		               "%s: %zu characters, at most %d", field, n,
		               STORE_ID_MAX);
	if (!is_lower_alnum(id[0]))
		return cd_fail(err, errlen, CD_EV_ID,
		               "%s: \"%.64s\" must start with [a-z0-9]", field, id);
	for (size_t i = 1; i < n; i++)
		if (!is_lower_alnum(id[i]) && id[i] != '.' && id[i] != '_' &&
		    id[i] != '-')
			return cd_fail(err, errlen, CD_EV_ID,
			               "%s: \"%.64s\" has '%c' at %zu; allowed are "
			               "[a-z0-9._-]",
			               field, id, id[i] >= 32 && id[i] < 127 ? id[i] : '?', i);
	return CD_OK;
}

/* [a-z][a-z0-9_]{0,63} for indicator and criterion names. */
static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* [a-z][a-z0-9_.-]{0,62} for label keys. */
static int label_key_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '.' &&
		    s[i] != '-')
			return 0;
	return 1;
}

/* Well-formed UTF-8 without C0 controls (other than tab when allowed). */
static int utf8_ok(const char *s, int allow_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (left) {
		unsigned c = *p;
		if (c < 0x20 || c == 0x7f) {
			if (!(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
				return 0;
			p++;
			left--;
			continue;
		}
		size_t n = cd_utf8_len(p, left);
		if (n == 0)
			return 0;
		p += n;
		left -= n;
	}
	return 1;
}

/* Text field: optional unless required, bounded, clean UTF-8. */
static int text(const char *s, const char *field, size_t max, int required,
                int multiline, char *err, size_t errlen)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0)
		return required ? cd_fail(err, errlen, CD_EV_EMPTY,
		                          "%s: must not be empty", field)
		                : CD_OK;
	if (n > max)
		return cd_fail(err, errlen, CD_EV_LENGTH,
		               "%s: %zu bytes, at most %zu", field, n, max);
	if (!utf8_ok(s, multiline))
		return cd_fail(err, errlen, CD_EV_ENCODING,
		               "%s: not valid UTF-8 text (or holds control "
		               "characters)",
		               field);
	return CD_OK;
}

/* text() without the message, for the checks that run per element: the
 * field's name is formatted only once an element fails. */
static int text_code(const char *s, size_t max, int required, int multiline)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0)
		return required ? CD_EV_EMPTY : CD_OK;
	if (n > max)
		return CD_EV_LENGTH;
	return utf8_ok(s, multiline) ? CD_OK : CD_EV_ENCODING;
}

/* Checks s; on failure names the field by formatting ... into f. */
#define TEXT_AT(s, max, req, ml, ...)                                    \
	(text_code((s), (max), (req), (ml)) == CD_OK                     \
	         ? CD_OK                                                 \
	         : (snprintf(f, sizeof(f), __VA_ARGS__),                 \
	            text((s), f, (max), (req), (ml), err, errlen)))

int store_validate_economy(const char *e, const char *field, char *err,
                           size_t errlen)
{
	size_t n = e ? strlen(e) : 0, parts = 0;
	if (n == 0)
		return cd_fail(err, errlen, CD_EV_ECONOMY,
		               "%s: missing (ISO 3166-1 alpha-2, e.g. \"JP\" or "
		               "\"CN/HK\")",
		               field);
	for (size_t i = 0; i < n;) {
		char code[3];
		if (i + 2 > n || (i + 2 < n && e[i + 2] != '/') ||
		    ++parts > MAX_ECONOMY_PARTS)
			goto bad;
		code[0] = e[i];
		code[1] = e[i + 1];
		code[2] = 0;
		if (!iso_known(code[0], code[1])) {
			char up[3];
			const char *iso = iso_suggest(code, up);
			return cd_fail(err, errlen, CD_EV_ECONOMY,
			               "%s: \"%.32s\" is not an ISO 3166-1 alpha-2 "
			               "code%s%s%s",
			               field, code, iso ? "; did you mean \"" : "",
			               iso ? iso : "", iso ? "\"?" : "");
		}
		/* The same code twice says nothing a single one doesn't. */
		for (size_t j = 0; j < i; j += 3)
			if (e[j] == code[0] && e[j + 1] == code[1])
				return cd_fail(err, errlen, CD_EV_ECONOMY,
				               "%s: \"%s\" repeated in \"%.32s\"",
				               field, code, e);
		i += 3;
		if (i == n + 1)
			break;
		if (i == n)
			goto bad; /* trailing '/' */
	}
	return CD_OK;
bad:
	return cd_fail(err, errlen, CD_EV_ECONOMY,
	               "%s: \"%.32s\" is not one ISO 3166-1 alpha-2 code or "
	               "up to %d joined by '/'",
	               field, e, MAX_ECONOMY_PARTS);
}

static int count(size_t n, size_t max, const char *field, char *err,
                 size_t errlen)
{
	if (n > max)
		return cd_fail(err, errlen, CD_EV_COUNT, "%s: %zu items, at most %zu",
		               field, n, max);
	return CD_OK;
}

/* Characters allowed after the first in an indicator name. */
static const unsigned char name_rest[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* Checks an indicator name, [a-z][a-z0-9_]{0,63}, and returns a hash of
 * it (never 0), or 0 when the name breaks the rule. This runs for every
 * indicator of every write, so the hash takes the length and the first and
 * last eight bytes, not every byte; equal hashes fall back to strcmp. */
static uint32_t name_hash(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 1;
	uint64_t a = 0, z = 0;
	if (!p || p[0] < 'a' || p[0] > 'z')
		return 0;
	while (name_rest[p[n]])
		n++;
	if (p[n] || n > 64)
		return 0;
	memcpy(&a, p, n < 8 ? n : 8);
	memcpy(&z, p + (n < 8 ? 0 : n - 8), n < 8 ? n : 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (z + n) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h ^ (h >> 32)) | 1;
}

static int dup_indicator(const store_cluster_t *c, size_t i, size_t j,
                         char *err, size_t errlen)
{
	return cd_fail(err, errlen, CD_EV_DUPLICATE,
	               "indicators[%zu]: \"%s\" for %d is already given at "
	               "indicators[%zu]",
	               i, c->indicators[i]->name, (int)c->indicators[i]->year, j);
}

static int check_indicators(const store_cluster_t *c, char *err, size_t errlen)
{
	uint32_t stack_slots[64];
	uint32_t *slots = stack_slots;  /* index + 1 into indicators, 0 = free */
	uint32_t hashes_stack[32], *hashes = hashes_stack;
	size_t cap = 1, n = c->n_indicators;
	char f[64];
	int rc = CD_OK;

	if ((rc = count(n, STORE_MAX_INDICATORS, "indicators", err, errlen)))
		return rc;
	while (cap < n * 2)
		cap <<= 1;
	if (cap > 64 || n > 32) {
		slots = calloc(cap, sizeof(*slots));
		hashes = calloc(n, sizeof(*hashes));
		if (!slots || !hashes) {
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			goto out;
		}
	} else {
		memset(slots, 0, cap * sizeof(*slots));
	}
	for (size_t i = 0; i < n; i++) {
		const Clusters__V1__Indicator *in = c->indicators[i];
		uint32_t h = name_hash(in->name);
		if (!h) {
			rc = cd_fail(err, errlen, CD_EV_INDICATOR_NAME,
			             "indicators[%zu].name: \"%.64s\" must match "
			             "[a-z][a-z0-9_]{0,63}",
			             i, in->name ? in->name : "");
			goto out;
		}
		if (in->year < STORE_YEAR_MIN || in->year > STORE_YEAR_MAX) {
			rc = cd_fail(err, errlen, CD_EV_YEAR,
			             "indicators[%zu].year: %d is outside %d..%d", i,
			             (int)in->year, STORE_YEAR_MIN, STORE_YEAR_MAX);
			goto out;
		}
		if (!isfinite(in->value)) {
			rc = cd_fail(err, errlen, CD_EV_NONFINITE,
			             "indicators[%zu].value: %s is not a finite "
			             "number",
			             i, isnan(in->value) ? "NaN" : "infinity");
			goto out;
		}
		if (in->unit && in->unit[0] &&
		    (rc = TEXT_AT(in->unit, 32, 0, 0, "indicators[%zu].unit", i)))
			goto out;
		/* Duplicate (name, year): open addressing on the hash. */
		h = (h ^ (uint32_t)in->year) * 16777619u;
		hashes[i] = h;
		for (size_t s = h & (cap - 1);; s = (s + 1) & (cap - 1)) {
			if (!slots[s]) {
				slots[s] = (uint32_t)i + 1;
				break;
			}
			size_t j = slots[s] - 1;
			const Clusters__V1__Indicator *o = c->indicators[j];
			if (hashes[j] == h && o->year == in->year &&
			    !strcmp(o->name, in->name)) {
				rc = dup_indicator(c, i, j, err, errlen);
				goto out;
			}
		}
	}
out:
	if (slots != stack_slots)
		free(slots);
	if (hashes != hashes_stack)
		free(hashes);
	return rc;
}

static int check_assessments(const store_cluster_t *c, char *err,
                             size_t errlen)
{
	char f[64];
	int rc;
	if ((rc = count(c->n_assessments, STORE_MAX_ASSESSMENTS, "assessments",
	                err, errlen)))
		return rc;
	for (size_t i = 0; i < c->n_assessments; i++) {
		const Clusters__V1__Assessment *a = c->assessments[i];
		if ((rc = TEXT_AT(a->judge, STORE_TEXT_MAX, 1, 0,
		                  "assessments[%zu].judge", i)))
			return rc;
		if (!name_ok(a->criterion))
			return cd_fail(err, errlen, CD_EV_CRITERION,
			               "assessments[%zu].criterion: \"%.64s\" must "
			               "match [a-z][a-z0-9_]{0,63}",
			               i, a->criterion ? a->criterion : "");
		if (!isfinite(a->score))
			return cd_fail(err, errlen, CD_EV_NONFINITE,
			               "assessments[%zu].score: %s is not a finite "
			               "number",
			               i, isnan(a->score) ? "NaN" : "infinity");
		if ((rc = TEXT_AT(a->comment, STORE_COMMENT_MAX, 0, 1,
		                  "assessments[%zu].comment", i)) ||
		    (rc = TEXT_AT(a->round, STORE_TEXT_MAX, 0, 0,
		                  "assessments[%zu].round", i)))
			return rc;
	}
	return CD_OK;
}

static int check_labels(const store_cluster_t *c, char *err, size_t errlen)
{
	char f[96];
	int rc;
	if ((rc = count(c->n_labels, STORE_MAX_LABELS, "labels", err, errlen)))
		return rc;
	for (size_t i = 0; i < c->n_labels; i++) {
		const char *k = c->labels[i]->key;
		if (!label_key_ok(k))
			return cd_fail(err, errlen, CD_EV_LABEL_KEY,
			               "labels: key \"%.64s\" must match "
			               "[a-z][a-z0-9_.-]{0,62}",
			               k ? k : "");
		if ((rc = TEXT_AT(c->labels[i]->value, STORE_LABEL_VALUE_MAX, 0, 0,
		                  "labels[\"%s\"]", k)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->labels[j]->key, k))
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "labels: key \"%s\" given twice", k);
	}
	return CD_OK;
}

int store_validate_cluster(const store_cluster_t *c, char *err, size_t errlen)
{
	char f[64];
	int rc;

	if (!c)
		return cd_fail(err, errlen, CD_EINVAL, "cluster: missing");
	if ((rc = store_validate_id(c->id, "cluster.id", err, errlen)))
		return rc;
	if (!c->name || !*c->name)
		return cd_fail(err, errlen, CD_EV_NAME, "name: must not be empty");
	if ((rc = text(c->name, "name", STORE_NAME_MAX, 1, 0, err, errlen)))
		return rc;
	if ((rc = store_validate_economy(c->economy, "economy", err, errlen)))
		return rc;
	if ((rc = text(c->region, "region", STORE_TEXT_MAX, 0, 0, err, errlen)) ||
	    (rc = text(c->industry, "industry", STORE_TEXT_MAX, 0, 0, err,
	               errlen)))
		return rc;
	if ((rc = count(c->n_cities, STORE_MAX_CITIES, "cities", err, errlen)))
		return rc;
	for (size_t i = 0; i < c->n_cities; i++) {
		if ((rc = TEXT_AT(c->cities[i], STORE_TEXT_MAX, 1, 0, "cities[%zu]",
		                  i)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->cities[i], c->cities[j]))
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "cities[%zu]: \"%s\" is already "
				               "cities[%zu]",
				               i, c->cities[i], j);
	}
	if ((rc = check_indicators(c, err, errlen)) ||
	    (rc = check_assessments(c, err, errlen)) ||
	    (rc = check_labels(c, err, errlen)))
		return rc;
	return CD_OK;
}

/* What the store keeps and must be able to key and print: the id, the
 * text fields' encoding and sizes. Everything a definition means —
 * rounds, criteria, limits, weights, enums, plugins and params — is the
 * engine's to judge (engine_def.h). */
int store_validate_competition(const store_competition_t *c, char *err,
                               size_t errlen)
{
	char f[96];
	int rc;

	if (!c)
		return cd_fail(err, errlen, CD_EINVAL, "competition: missing");
	if ((rc = store_validate_id(c->id, "competition.id", err, errlen)))
		return rc;
	if ((rc = text(c->title, "title", STORE_NAME_MAX, 1, 0, err, errlen)) ||
	    (rc = text(c->edition, "edition", STORE_TEXT_MAX, 0, 0, err,
	               errlen)) ||
	    (rc = text(c->description, "description", STORE_COMMENT_MAX, 0, 1,
	               err, errlen)))
		return rc;
	if (c->baseline_run_id && *c->baseline_run_id &&
	    (rc = store_validate_id(c->baseline_run_id, "baseline_run_id", err,
	                            errlen)))
		return rc;
	/* Round names are text the store keeps; how many rounds, criteria
	 * and filters a definition may have, and what they may say, is the
	 * engine's (engine_def.h), checked before anything is stored. */
	for (size_t r = 0; r < c->n_rounds; r++) {
		const Clusters__V1__Round *rd = c->rounds[r];
		snprintf(f, sizeof(f), "rounds[%zu].name", r);
		if (rd && (rc = text(rd->name, f, STORE_TEXT_MAX, 0, 0, err,
		                     errlen)))
			return rc;
		/* Pillar ids and names are shown in runs and reports. */
		for (size_t j = 0; rd && j < rd->n_pillars; j++) {
			const Clusters__V1__Pillar *pl = rd->pillars[j];
			if (!pl)
				continue;
			snprintf(f, sizeof(f), "rounds[%zu].pillars[%zu].id", r, j);
			if ((rc = text(pl->id, f, STORE_TEXT_MAX, 0, 0, err, errlen)))
				return rc;
			snprintf(f, sizeof(f), "rounds[%zu].pillars[%zu].name", r,
			         j);
			if ((rc = text(pl->name, f, STORE_TEXT_MAX, 0, 0, err,
			               errlen)))
				return rc;
		}
	}
	return CD_OK;
}
