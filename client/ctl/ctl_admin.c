/* clusterctl admin ...: the AdminService (online backups). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_json.h"
#include "cd_backup.h"
#include "cd_error.h"
#include "ctl.h"

static const char ctl_admin_help[] =
	"Usage: clusterctl admin backup FILE [--json]\n"
	"\n"
	"  backup FILE   an online backup of the whole store (role admin),\n"
	"                taken from one snapshot while writes go on, into\n"
	"                FILE: a new file, created 0600, never replacing one.\n"
	"                It is written beside FILE and named FILE only once\n"
	"                complete and checked against the server's SHA-256.\n"
	"                Restore: clusterd --restore FILE --data-dir DIR\n"
	"\n"
	"Without --timeout a backup has no deadline.\n";

/* The temporary file, removed if clusterctl is interrupted. */
static char temp_path[4200];

static void on_signal(int sig)
{
	if (temp_path[0])
		unlink(temp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Creates the backup file's writer with the handler in place: the
 * signals wait (blocked) from before the temporary file exists until the
 * handler knows its name. */
static int create_caught(const char *file, cd_backup_writer_t **w,
                         char *err, size_t errlen)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	int rc = cd_backup_writer_create(w, file, err, errlen);
	if (rc == CD_OK) {
		snprintf(temp_path, sizeof(temp_path), "%s",
		         cd_backup_writer_temp(*w));
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void release_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	temp_path[0] = '\0';
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(*len ? *len : 1);
	if (b)
		protobuf_c_message_pack(m, b);
	return b;
}

static void print_summary(ctl_t *ctl, const char *file,
                          const Clusters__V1__BackupHeader *h,
                          uint64_t bytes, const char *sha)
{
	if (ctl->fmt == CTL_JSON) {
		char err[256];
		json_t *j = json_object();
		json_t *hj = cc_json_from_msg(&h->base, err, sizeof(err));
		json_object_set_new(j, "file", json_string(file));
		if (hj)
			json_object_set_new(j, "header", hj);
		json_object_set_new(j, "bytes", json_integer((json_int_t)bytes));
		json_object_set_new(j, "sha256", json_string(sha));
		cc_json_write(stdout, j, 2);
		fputc('\n', stdout);
		json_decref(j);
		return;
	}
	char when[64] = "unknown time";
	if (h->time)
		cc_fmt_timestamp(when, sizeof(when), h->time->seconds,
		                 h->time->nanos);
	printf("backup written to %s\n", file);
	printf("  taken:        %s by clusterd %s\n", when, h->server_version);
	printf("  data version: %llu\n", (unsigned long long)h->data_version);
	printf("  records:     ");
	for (size_t i = 0; i < h->n_tables; i++)
		printf(" %s %llu%s", h->tables[i]->table,
		       (unsigned long long)h->tables[i]->records,
		       i + 1 < h->n_tables ? "," : "");
	printf("\n  data:         %llu bytes, sha256 %s (checked)\n",
	       (unsigned long long)bytes, sha);
}

static int ctl_admin_backup(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = { CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "admin backup";
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_admin_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
	}
	if (optind >= argc)
		return ctl_usage(cmd, "%s: which file?", cmd);
	if (optind + 1 < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind + 1]);
	const char *file = argv[optind];
	char err[1024];
	cd_backup_writer_t *w;
	if (create_caught(file, &w, err, sizeof(err)) != CD_OK)
		return ctl_fail(CTL_FAIL, "%s", err);

	cc_client_t *cli = ctl_client(ctl);
	cc_reader_t *r = NULL;
	cc_status_t st;
	Clusters__V1__BackupChunk *ch = NULL;
	Clusters__V1__BackupHeader *hdr = NULL;
	uint8_t *trailer = NULL;
	size_t trailer_len = 0;
	rc = CTL_FAIL;
	if (!cli)
		goto out;
	/* A backup takes as long as the store is big: no deadline unless
	 * one is asked for. */
	cc_opts_t co = {.timeout_ms = ctl->timeout_set ? ctl->timeout_ms : -1};
	Clusters__V1__BackupRequest req = CLUSTERS__V1__BACKUP_REQUEST__INIT;
	if (cc_backup_open(cli, &co, &req, &r, &st) != CC_OK) {
		ctl_rpc_fail(&st);
		goto out;
	}
	const char *bad = NULL;
	while (!bad && cc_reader_next(r, (ProtobufCMessage **)&ch)) {
		switch (ch->part_case) {
		case CLUSTERS__V1__BACKUP_CHUNK__PART_HEADER: {
			size_t len;
			uint8_t *b = hdr ? NULL : pack(&ch->header->base, &len);
			if (hdr || trailer) {
				bad = "a second header";
				break;
			}
			if (!b ||
			    cd_backup_writer_header(w, b, len, err, sizeof(err))) {
				free(b);
				if (!b)
					snprintf(err, sizeof(err), "out of memory");
				goto fail_local;
			}
			free(b);
			hdr = ch->header;
			/* Kept; the chunk goes without it. */
			ch->header = NULL;
			ch->part_case = CLUSTERS__V1__BACKUP_CHUNK__PART__NOT_SET;
			break;
		}
		case CLUSTERS__V1__BACKUP_CHUNK__PART_DATA:
			if (!hdr || trailer) {
				bad = hdr ? "data after the trailer"
				          : "data before the header";
				break;
			}
			if (cd_backup_writer_data(w, ch->data.data, ch->data.len,
			                          err, sizeof(err)))
				goto fail_local;
			if (ctl->progress)
				fprintf(stderr, "\rbackup: %llu MiB\033[K",
				        (unsigned long long)
				        (cd_backup_writer_bytes(w) >> 20));
			break;
		case CLUSTERS__V1__BACKUP_CHUNK__PART_TRAILER:
			if (!hdr || trailer) {
				bad = hdr ? "a second trailer"
				          : "a trailer before the header";
				break;
			}
			if (!(trailer = pack(&ch->trailer->base, &trailer_len))) {
				snprintf(err, sizeof(err), "out of memory");
				goto fail_local;
			}
			break;
		default:
			bad = "an empty chunk";
		}
		cc_msg_free(ch);
		ch = NULL;
	}
	ctl_progress_end(ctl);
	if (bad) {
		ctl_fail(CTL_FAIL, "the server sent %s: no backup written", bad);
		goto out;
	}
	if (cc_reader_close(r, &st) != CC_OK) {
		r = NULL;
		ctl_fail(CTL_FAIL, "%s: %s: no backup written",
		         cc_status_name(st.code),
		         st.message[0] ? st.message : "(no message)");
		goto out;
	}
	r = NULL;
	if (!hdr || !trailer) {
		ctl_fail(CTL_FAIL, "the stream ended without %s: no backup "
		         "written", hdr ? "a trailer" : "a header");
		goto out;
	}
	if (cd_backup_writer_commit(w, trailer, trailer_len, err,
	                            sizeof(err)) != CD_OK)
		goto fail_local;
	release_signals();
	print_summary(ctl, file, hdr, cd_backup_writer_bytes(w),
	              cd_backup_writer_sha256(w));
	rc = CTL_OK;
	goto out;
fail_local:
	ctl_progress_end(ctl);
	ctl_fail(CTL_FAIL, "%s: no backup written", err);
out:
	cc_msg_free(ch);
	if (r)
		cc_reader_close(r, &st); /* cancels the stream */
	cd_backup_writer_close(w);
	release_signals();
	if (hdr)
		clusters__v1__backup_header__free_unpacked(hdr, NULL);
	free(trailer);
	return rc;
}

int ctl_cmd_admin(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "backup", ctl_admin_backup },
	};
	return ctl_dispatch(ctl, "admin", ctl_admin_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
