/*
 * store_token.c — opaque page tokens. A token carries the kind of list,
 * a hash of the query it belongs to and the last key returned, in URL-safe
 * base64 so clients treat it as the opaque string it is.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_VERSION '1'

static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

uint32_t store_token_hash(const char *const *parts, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const void *)parts[i]; *p; p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0x1f) * 16777619u; /* separator */
	}
	return h;
}

int store_token_encode(char kind, uint32_t qhash, const char *last,
                       char **out)
{
	size_t ll = strlen(last), rl = 6 + ll, ol = 0;
	unsigned char raw[6 + STORE_KEY_MAX];
	char *o;

	*out = NULL;
	if (ll > STORE_KEY_MAX)
		return CD_EINVAL;
	raw[0] = TOKEN_VERSION;
	raw[1] = (unsigned char)kind;
	raw[2] = qhash >> 24;
	raw[3] = qhash >> 16;
	raw[4] = qhash >> 8;
	raw[5] = qhash;
	memcpy(raw + 6, last, ll);
	if (!(o = malloc((rl + 2) / 3 * 4 + 1)))
		return CD_ENOMEM;
	for (size_t i = 0; i < rl; i += 3) {
		uint32_t v = raw[i] << 16;
		size_t m = rl - i;
		if (m > 1)
			v |= raw[i + 1] << 8;
		if (m > 2)
			v |= raw[i + 2];
		o[ol++] = b64[(v >> 18) & 63];
		o[ol++] = b64[(v >> 12) & 63];
		if (m > 1)
			o[ol++] = b64[(v >> 6) & 63];
		if (m > 2)
			o[ol++] = b64[v & 63];
	}
	o[ol] = 0;
	*out = o;
	return CD_OK;
}

static int val64(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int store_token_decode(const char *tok, char kind, uint32_t qhash,
                       char *last, size_t cap, char *err, size_t errlen)
{
	unsigned char raw[6 + STORE_KEY_MAX];
	size_t tl = strlen(tok), rl = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (tl > (sizeof(raw) * 4 + 2) / 3 || tl % 4 == 1)
		goto bad;
	for (size_t i = 0; i < tl; i++) {
		int v = val64(tok[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[rl++] = (acc >> bits) & 0xff;
		}
	}
	if (rl < 6 || raw[0] != TOKEN_VERSION || raw[1] != (unsigned char)kind)
		goto bad;
	if (((uint32_t)raw[2] << 24 | (uint32_t)raw[3] << 16 |
	     (uint32_t)raw[4] << 8 | raw[5]) != qhash)
		return cd_fail(err, errlen, CD_EPAGETOKEN,
		               "page_token: belongs to a query with other filters");
	if (rl - 6 >= cap || memchr(raw + 6, 0, rl - 6))
		goto bad;
	memcpy(last, raw + 6, rl - 6);
	last[rl - 6] = 0;
	return CD_OK;
bad:
	return cd_fail(err, errlen, CD_EPAGETOKEN,
	               "page_token: not a token this server issued");
}
