/*
 * plugin_wire_internal — the frames between clusterd and its plugin
 * workers (clusterd-plugin-host), over a stream socketpair.
 *
 * A frame is an 8-byte header (type, payload length, both little-endian
 * uint32) and the payload; descriptors (the cohort segment, the output
 * segment) ride on the header with SCM_RIGHTS. Payloads are built with
 * pw_buf_* and read with pw_rd_*, which never read past the payload and
 * flag a short or malformed one instead: the server reads what a worker
 * sends as hostile input. See docs/plugin-isolation.md for the messages.
 *
 * Thread-safety: a socket is used by one thread at a time; buffers and
 * readers belong to their caller.
 */
#ifndef PLUGIN_WIRE_INTERNAL_H
#define PLUGIN_WIRE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Message types. S_* go to the worker, W_* come from it. */
enum {
	PW_W_HELLO = 1,    /* serve mode is ready: u32 n, n × str name */
	PW_W_DESC = 2,     /* probe mode: the plugin's descriptor */
	PW_W_REFUSED = 3,  /* probe mode: str reason */
	PW_W_LOG = 4,      /* u32 level, str message (during a call) */
	PW_W_RESULT = 5,   /* the answer to PW_S_SCORE (plugin_proc.c):
	                      u32 index, u32 code, str message; on success
	                      u32 n, [n × f64 scores], u32 nr, nr × (u32
	                      index, u32 len, bytes reason), and, only when
	                      the plugin made run notes, u32 count, count ×
	                      (str key, str value) */
	PW_W_FAULT = 6,    /* the sandbox stopped the worker: u32 syscall */
	PW_S_SCORE = 16,   /* score one criterion (see plugin_proc.c) */
	PW_S_EXIT = 17     /* leave */
};

/* The worker's end of the socketpair, as it finds it after exec. */
#define PW_WORKER_FD 3
/* One reason of an answer holds at most this many bytes (longer ones are
 * cut by the worker). */
#define PW_REASON_MAX 1024
/* The reasons of one criterion's answer hold at most this many bytes of
 * text: the bound on what a worker can make the server allocate. */
#define PW_REASON_BYTES (64u << 20)
/* At most this many descriptors ride on one frame. */
#define PW_MAX_FDS 4

typedef struct pw_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
} pw_buf_t;

void pw_buf_u32(pw_buf_t *b, uint32_t v);
void pw_buf_u64(pw_buf_t *b, uint64_t v);
void pw_buf_f64(pw_buf_t *b, double v);
/* u32 length, then the bytes (no NUL). NULL is written as "". */
void pw_buf_str(pw_buf_t *b, const char *s);
void pw_buf_bytes(pw_buf_t *b, const void *p, size_t len);
void pw_buf_free(pw_buf_t *b);
/* Room for len more bytes at once (sets oom on failure). */
void pw_buf_reserve(pw_buf_t *b, size_t len);

typedef struct pw_rd {
	const uint8_t *p;
	size_t len, pos;
	int bad;   /* set by any read past the end; results are then 0/"" */
} pw_rd_t;

uint32_t pw_rd_u32(pw_rd_t *r);
uint64_t pw_rd_u64(pw_rd_t *r);
double pw_rd_f64(pw_rd_t *r);
/* A string of at most max bytes, copied into malloc'd memory (NUL-
 * terminated); NULL (and r->bad) when short, longer than max, holding a
 * NUL, or out of memory. */
char *pw_rd_str(pw_rd_t *r, size_t max);
/* len bytes in place; NULL (and r->bad) when short. */
const void *pw_rd_bytes(pw_rd_t *r, size_t len);

/* The run notes that end a PW_W_RESULT (plugin_instance_notes): u32
 * count (1..CP_NOTES_MAX), then count × (str key, str value). A result
 * without notes has no such section, so pw_buf_notes writes nothing for
 * n = 0. */
struct plugin_note;
#define PW_NOTE_KEY_MAX 64   /* [a-z0-9_][a-z0-9_.-]{0,63} */
void pw_buf_notes(pw_buf_t *b, const struct plugin_note *notes, size_t n);
/* Reads the notes section at r's position, if any is left, handing each
 * note to keep (NULL: read and drop), which returns a CP_* code
 * (plugin_host_note's checks). CD_OK; CD_EINVAL (and r->bad) for a
 * malformed section (a count out of range, a string short, too long or
 * holding a NUL) or a note keep refused; CD_ENOMEM when keep ran out of
 * memory. The caller checks that nothing follows. */
int pw_rd_notes(pw_rd_t *r,
                int (*keep)(void *arg, const char *key, const char *value),
                void *arg);

/* Sends one frame. CD_OK, or CD_EIO (peer gone) / CD_ENOMEM. */
int pw_send(int sock, uint32_t type, const void *payload, size_t len,
            const int *fds, size_t nfds);

/* Receives one frame into *payload (malloc'd, free it; NULL when empty).
 * Waits until deadline_ms (CLOCK_MONOTONIC milliseconds; 0 = no limit)
 * and wakes when stop_fd (-1 = none) becomes readable. fds, when not
 * NULL, receives up to PW_MAX_FDS descriptors (*nfds; extra ones are
 * closed). Codes: CD_OK; CD_EDEADLINE; CD_EUNAVAIL (stop_fd); CD_EIO with
 * *eof = 1 when the peer closed at a frame boundary, 0 for a broken
 * stream; CD_ELIMIT for a frame longer than max; CD_ENOMEM. */
int pw_recv(int sock, int64_t deadline_ms, int stop_fd, size_t max,
            uint32_t *type, uint8_t **payload, size_t *len, int *fds,
            size_t *nfds, int *eof);
/* As pw_recv, also waking when cancel_fd (-1 = none; one caller's own
 * stop, e.g. a run that was cancelled) becomes readable: CD_ECANCELLED. */
int pw_recv_cancel(int sock, int64_t deadline_ms, int stop_fd, int cancel_fd,
                   size_t max, uint32_t *type, uint8_t **payload,
                   size_t *len, int *fds, size_t *nfds, int *eof);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t pw_now_ms(void);

#endif
