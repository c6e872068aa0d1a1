/* Input files into memory, and subcommand dispatch. */
#include <stdlib.h>
#include <string.h>

#include "cc_input.h"
#include "cd_error.h"
#include "ctl.h"

typedef struct ctl_msgs {
	ProtobufCMessage **v;
	size_t n, cap;
} ctl_msgs_t;

static int ctl_collect(ProtobufCMessage *m, size_t index, size_t done,
                       size_t total, void *ud)
{
	ctl_msgs_t *a = ud;
	(void)index;
	(void)done;
	(void)total;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		ProtobufCMessage **v = realloc(a->v, cap * sizeof(*v));
		if (!v) {
			cc_msg_free(m);
			return CD_ENOMEM;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = m;
	return 0;
}

int ctl_read_msgs(const char *path, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage ***out, size_t *n)
{
	ctl_msgs_t a = { NULL, 0, 0 };
	char err[1024];
	int rc = cc_input_read(path, CC_FORMAT_AUTO, desc, ctl_collect, &a,
	                       err, sizeof(err));
	if (rc == CD_ENOMEM)
		snprintf(err, sizeof(err), "out of memory");
	if (rc) {
		ctl_msgs_free(a.v, a.n);
		return ctl_fail(CTL_FAIL, "%s", err);
	}
	if (!a.n) {
		free(a.v);
		return ctl_fail(CTL_FAIL, "%s: no records", path);
	}
	*out = a.v;
	*n = a.n;
	return CTL_OK;
}

void ctl_msgs_free(ProtobufCMessage **msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cc_msg_free(msgs[i]);
	free(msgs);
}

int ctl_dispatch(ctl_t *ctl, const char *cmd, const char *help,
                 const ctl_sub_t *subs, size_t nsubs, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage(cmd, "%s: which subcommand?", cmd);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, stdout);
		return CTL_OK;
	}
	for (size_t i = 0; i < nsubs; i++)
		if (!strcmp(argv[1], subs[i].name)) {
			optind = 0;  /* glibc: start afresh */
			return subs[i].fn(ctl, argc - 1, argv + 1);
		}
	return ctl_usage(cmd, "%s: unknown subcommand '%s'", cmd, argv[1]);
}
