/* The records and update masks of clusterctl's update commands. */
#include "ctl_update.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cc_input.h"
#include "cc_json.h"
#include "cd_error.h"

/* JSON keys that never go into a mask: the record's name and what the
 * server writes itself. */
static int ctl_not_updatable(const char *snake)
{
	static const char *const skip[] = { "id", "etag", "create_time",
	                                    "update_time" };
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcmp(snake, skip[i]))
			return 1;
	return 0;
}

static int ctl_mask_add(Google__Protobuf__FieldMask *fm, const char *name)
{
	char snake[160];
	char **p = realloc(fm->paths, (fm->n_paths + 1) * sizeof(*p));
	if (!p)
		return CD_ENOMEM;
	fm->paths = p;
	if (cc_json_snake(name, snake, sizeof(snake)))
		return CD_ELIMIT;
	if (!(fm->paths[fm->n_paths] = strdup(snake)))
		return CD_ENOMEM;
	fm->n_paths++;
	return CD_OK;
}

/* "name,indicators" (or lowerCamelCase) into fm. */
static int ctl_mask_parse(const char *cmd, const char *s,
                          Google__Protobuf__FieldMask *fm)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		char part[128];
		if (!len || len >= sizeof(part))
			return ctl_usage(cmd, "--mask: empty or overlong path");
		memcpy(part, s, len);
		part[len] = '\0';
		int rc = ctl_mask_add(fm, part);
		if (rc == CD_ELIMIT)
			return ctl_usage(cmd, "--mask: overlong path");
		if (rc)
			return ctl_fail(CTL_FAIL, "out of memory");
		s += len + (s[len] == ',');
	}
	if (!fm->n_paths)
		return ctl_usage(cmd, "--mask: no path given");
	return CTL_OK;
}

static int ctl_collect(ProtobufCMessage *m, size_t index, size_t done,
                       size_t total, void *ud)
{
	ctl_updates_t *u = ud;
	(void)index;
	(void)done;
	(void)total;
	ProtobufCMessage **v = realloc(u->msgs, (u->n + 1) * sizeof(*v));
	if (!v) {
		cc_msg_free(m);
		return CD_ENOMEM;
	}
	u->msgs = v;
	u->msgs[u->n++] = m;
	return 0;
}

static int ctl_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16;
	if (!f)
		return ctl_fail(CTL_FAIL, "%s: %s", path, strerror(errno));
	*len = 0;
	*buf = malloc(cap);
	while (*buf) {
		*len += fread(*buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
		char *nb = realloc(*buf, cap *= 2);
		if (!nb)
			free(*buf);
		*buf = nb;
	}
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!*buf || bad) {
		free(*buf);
		*buf = NULL;
		return ctl_fail(CTL_FAIL, "%s: cannot read", path);
	}
	return CTL_OK;
}

/* The keys of each JSON record, in the order cc_input_parse reads the
 * records: objects and arrays of objects, one after another. The input
 * parsed already, so this pass cannot fail on syntax. */
static int ctl_json_masks(const char *buf, size_t len, ctl_updates_t *u)
{
	size_t off = 0, index = 0;
	while (off < len) {
		while (off < len && isspace((unsigned char)buf[off]))
			off++;
		if (off >= len)
			break;
		json_error_t je;
		json_t *j = json_loadb(buf + off, len - off,
		                       JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
		                       &je);
		if (!j)
			return CD_EINVAL;
		off += je.position;
		size_t n = json_is_array(j) ? json_array_size(j) : 1;
		int rc = CD_OK;
		for (size_t i = 0; !rc && i < n && index < u->n; i++, index++) {
			json_t *rec = json_is_array(j) ? json_array_get(j, i)
			                               : j;
			const char *key;
			json_t *val;
			char snake[160];
			json_object_foreach(rec, key, val) {
				if (cc_json_snake(key, snake, sizeof(snake)) ||
				    ctl_not_updatable(snake))
					continue;
				if ((rc = ctl_mask_add(&u->masks[index],
				                       snake)))
					break;
			}
		}
		json_decref(j);
		if (rc)
			return rc;
	}
	return CD_OK;
}

int ctl_read_updates(const char *cmd, const char *path, const char *mask_opt,
                     const ProtobufCMessageDescriptor *desc,
                     ctl_updates_t *out)
{
	char *buf = NULL, err[1024];
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	google__protobuf__field_mask__init(&out->given);
	if (mask_opt) {
		out->has_given = 1;
		if ((rc = ctl_mask_parse(cmd, mask_opt, &out->given)))
			return rc;
	}
	if ((rc = ctl_read_file(path, &buf, &len)))
		return rc;
	cc_format_t fmt = cc_input_format_of(path);
	if (fmt == CC_FORMAT_AUTO) {
		size_t i = 0;
		while (i < len && isspace((unsigned char)buf[i]))
			i++;
		fmt = i < len && (buf[i] == '{' || buf[i] == '[')
		              ? CC_FORMAT_JSON : CC_FORMAT_CSV;
	}
	rc = cc_input_parse(buf, len, fmt, desc, ctl_collect, out, err,
	                    sizeof(err));
	if (rc) {
		free(buf);
		if (rc == CD_ENOMEM)
			return ctl_fail(CTL_FAIL, "out of memory");
		return ctl_fail(CTL_FAIL, "%s: %s", path, err);
	}
	if (!out->n) {
		free(buf);
		return ctl_fail(CTL_FAIL, "%s: no records", path);
	}
	if (!mask_opt && fmt == CC_FORMAT_JSON) {
		if (!(out->masks = calloc(out->n, sizeof(*out->masks)))) {
			free(buf);
			return ctl_fail(CTL_FAIL, "out of memory");
		}
		for (size_t i = 0; i < out->n; i++)
			google__protobuf__field_mask__init(&out->masks[i]);
		rc = ctl_json_masks(buf, len, out);
		if (rc) {
			free(buf);
			return ctl_fail(CTL_FAIL, "%s: %s", path,
			                rc == CD_ENOMEM ? "out of memory"
			                                : "cannot read the "
			                                  "fields given");
		}
	}
	free(buf);
	return CTL_OK;
}

Google__Protobuf__FieldMask *ctl_update_mask(ctl_updates_t *u, size_t i)
{
	if (u->has_given)
		return &u->given;
	/* A record naming no field but its id: no mask, no change. */
	return u->masks && u->masks[i].n_paths ? &u->masks[i] : NULL;
}

static void ctl_mask_free(Google__Protobuf__FieldMask *fm)
{
	for (size_t k = 0; k < fm->n_paths; k++)
		free(fm->paths[k]);
	free(fm->paths);
}

void ctl_updates_free(ctl_updates_t *u)
{
	for (size_t i = 0; u->masks && i < u->n; i++)
		ctl_mask_free(&u->masks[i]);
	if (u->has_given)
		ctl_mask_free(&u->given);
	for (size_t i = 0; u->msgs && i < u->n; i++)
		cc_msg_free(u->msgs[i]);
	free(u->msgs);
	free(u->masks);
	memset(u, 0, sizeof(*u));
}
