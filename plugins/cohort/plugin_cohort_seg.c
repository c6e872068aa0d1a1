/* plugin_cohort_seg.c — a sealed cohort as one shared-memory segment.
 *
 * Sealing moves every array of the cohort (clusters, cities, indicator keys
 * and values, assessments, labels, the string arena and both intern tables)
 * into one memfd, array by array so that the peak stays near one copy,
 * seals it against writing, growing and shrinking, and maps it read-only.
 * The server reads the cohort there, and a plugin worker maps the same
 * pages from the descriptor (plugin_cohort_attach): a million clusters
 * cross to the worker as one mmap, never cluster by cluster. The seals
 * make the worker's mapping safe from a server-side change, and the
 * server's safe from a worker truncating the file under it (SIGBUS). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_error.h"
#include "plugin_cohort_internal.h"

#define SEG_MAGIC 0x3154524f48434443ull   /* "CDCOHRT1" */
#define SEG_ALIGN 64

/* Where each array sits; offsets from the segment's start. */
enum {
	A_CL, A_CITY, A_IKEY, A_IVAL, A_AS, A_LAB, A_ARENA,
	A_SSLOTS, A_SOFF, A_ISLOTS, A_IOFF, A_COUNT
};

typedef struct seg_hdr {
	uint64_t magic, size;
	uint64_t off[A_COUNT], len[A_COUNT];   /* len in elements */
	uint64_t strs_nslots, inames_nslots;
	uint32_t empty, max_strs, max_inames, pad;
} seg_hdr_t;

typedef struct arr {
	void **p;
	size_t n, elem;
} arr_t;

static void arrays(plugin_cohort_t *c, arr_t a[A_COUNT])
{
	a[A_CL] = (arr_t){ (void **)&c->cl, c->ncl, sizeof(*c->cl) };
	a[A_CITY] = (arr_t){ (void **)&c->city, c->ncity, sizeof(*c->city) };
	a[A_IKEY] = (arr_t){ (void **)&c->ikey, c->nind, sizeof(*c->ikey) };
	a[A_IVAL] = (arr_t){ (void **)&c->ival, c->nind, sizeof(*c->ival) };
	a[A_AS] = (arr_t){ (void **)&c->as, c->nas, sizeof(*c->as) };
	a[A_LAB] = (arr_t){ (void **)&c->lab, c->nlab, sizeof(*c->lab) };
	a[A_ARENA] = (arr_t){ (void **)&c->arena.buf, c->arena.len, 1 };
	a[A_SSLOTS] = (arr_t){ (void **)&c->strs.slots, c->strs.nslots,
	                       sizeof(*c->strs.slots) };
	a[A_SOFF] = (arr_t){ (void **)&c->strs.off, c->strs.n,
	                     sizeof(*c->strs.off) };
	a[A_ISLOTS] = (arr_t){ (void **)&c->inames.slots, c->inames.nslots,
	                       sizeof(*c->inames.slots) };
	a[A_IOFF] = (arr_t){ (void **)&c->inames.off, c->inames.n,
	                     sizeof(*c->inames.off) };
}

static size_t align_up(size_t v)
{
	return (v + SEG_ALIGN - 1) & ~(size_t)(SEG_ALIGN - 1);
}

/* Points the cohort's arrays into a mapped segment and sets the counts. */
static void bind(plugin_cohort_t *c, const seg_hdr_t *h, char *base)
{
	arr_t a[A_COUNT];
	arrays(c, a);
	for (int i = 0; i < A_COUNT; i++)
		*a[i].p = h->len[i] ? base + h->off[i] : NULL;
	c->ncl = c->capcl = h->len[A_CL];
	c->ncity = c->capcity = h->len[A_CITY];
	c->nind = c->capkey = c->capval = h->len[A_IKEY];
	c->nas = c->capas = h->len[A_AS];
	c->nlab = c->caplab = h->len[A_LAB];
	c->arena.len = c->arena.cap = h->len[A_ARENA];
	c->strs.nslots = h->strs_nslots;
	c->strs.n = c->strs.cap = h->len[A_SOFF];
	c->strs.max_ids = h->max_strs;
	c->inames.nslots = h->inames_nslots;
	c->inames.n = c->inames.cap = h->len[A_IOFF];
	c->inames.max_ids = h->max_inames;
	c->empty = h->empty;
}

int pc_seg_pack(plugin_cohort_t *c, int file, char *err, size_t errlen)
{
	arr_t a[A_COUNT];
	arrays(c, a);
	seg_hdr_t h = { .magic = SEG_MAGIC, .empty = c->empty,
	                .strs_nslots = c->strs.nslots,
	                .inames_nslots = c->inames.nslots,
	                .max_strs = c->strs.max_ids,
	                .max_inames = c->inames.max_ids };
	size_t size = align_up(sizeof(h));
	for (int i = 0; i < A_COUNT; i++) {
		h.off[i] = size;
		h.len[i] = a[i].n;
		size = align_up(size + a[i].n * a[i].elem);
	}
	h.size = size;
	static atomic_uint_fast64_t serials;
	if (!file && size <= PC_SEG_HEAP_MAX) {
		/* Small (an inline evaluation): the same layout in the heap;
		 * a worker gets it inside the request. No file, no mapping to
		 * make and unmake (which costs a TLB shootdown). */
		char *m = aligned_alloc(SEG_ALIGN, size);
		if (!m)
			return cd_fail(err, errlen, CD_ENOMEM, "cohort: out of "
			               "memory");
		memset(m, 0, size);
		memcpy(m, &h, sizeof(h));
		for (int i = 0; i < A_COUNT; i++) {
			if (a[i].n)
				memcpy(m + h.off[i], *a[i].p, a[i].n * a[i].elem);
			free(*a[i].p);
		}
		c->seg = m;
		c->seg_len = size;
		c->seg_heap = 1;
		c->serial = atomic_fetch_add(&serials, 1) + 1;
		bind(c, &h, m);
		return CD_OK;
	}
	int fd = memfd_create("clusterd-cohort", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return cd_fail(err, errlen, CD_EIO, "cohort: cannot create its "
		               "shared segment: %s", strerror(errno));
	char *w = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) != 0 ||
	    (w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	            MAP_FAILED) {
		int e = errno;
		close(fd);
		return cd_fail(err, errlen, e == ENOMEM || e == ENOSPC
		               ? CD_ENOMEM : CD_EIO, "cohort: cannot size its "
		               "shared segment (%zu bytes): %s", size, strerror(e));
	}
	memcpy(w, &h, sizeof(h));
	for (int i = 0; i < A_COUNT; i++)
		if (a[i].n)
			memcpy(w + h.off[i], *a[i].p, a[i].n * a[i].elem);
	munmap(w, size);
	/* F_SEAL_WRITE needs the writable mapping gone, hence the remap. */
	char *r = MAP_FAILED;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	                                   F_SEAL_SEAL) != 0 ||
	    (r = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int e = errno;
		close(fd);
		return cd_fail(err, errlen, CD_EIO, "cohort: cannot seal its "
		               "shared segment: %s", strerror(e));
	}
	for (int i = 0; i < A_COUNT; i++)
		free(*a[i].p);
	c->seg = r;
	c->seg_len = size;
	c->seg_fd = fd;
	c->serial = atomic_fetch_add(&serials, 1) + 1;
	bind(c, &h, r);
	return CD_OK;
}

void pc_seg_release(plugin_cohort_t *c)
{
	if (c->seg && c->seg_heap)
		free(c->seg);
	else if (c->seg)
		munmap(c->seg, c->seg_len);
	if (c->seg_fd >= 0)
		close(c->seg_fd);
	c->seg = NULL;
	c->seg_fd = -1;
}

int plugin_cohort_fd(const plugin_cohort_t *c)
{
	return c->parent ? -1 : c->seg_fd;
}

uint64_t plugin_cohort_serial(const plugin_cohort_t *c)
{
	return c->serial;
}

/* The header's arrays must lie inside the segment, after the header and
 * without overflow; ids and offsets inside them are the server's, whose
 * cohort the worker trusts as it trusts its requests. */
static int check_hdr(const seg_hdr_t *h, size_t size)
{
	static const size_t elem[A_COUNT] = {
		sizeof(pc_cluster_t), sizeof(uint32_t), sizeof(uint32_t),
		sizeof(double), sizeof(pc_assessment_t), sizeof(pc_label_t), 1,
		sizeof(uint32_t), sizeof(uint32_t), sizeof(uint32_t),
		sizeof(uint32_t)
	};
	if (h->magic != SEG_MAGIC || h->size != size)
		return 0;
	for (int i = 0; i < A_COUNT; i++) {
		if (h->off[i] < sizeof(*h) || h->off[i] > size ||
		    h->off[i] % SEG_ALIGN || h->len[i] > UINT32_MAX ||
		    h->len[i] * elem[i] > size - h->off[i])
			return 0;
	}
	return h->len[A_IKEY] == h->len[A_IVAL] &&
	       h->len[A_SSLOTS] == h->strs_nslots &&
	       h->len[A_ISLOTS] == h->inames_nslots &&
	       (!h->strs_nslots || !(h->strs_nslots & (h->strs_nslots - 1))) &&
	       (!h->inames_nslots ||
	        !(h->inames_nslots & (h->inames_nslots - 1))) &&
	       h->empty < h->len[A_SOFF];
}

const void *plugin_cohort_bytes(const plugin_cohort_t *c, size_t *len)
{
	if (c->parent || !c->seg || !c->seg_heap) {
		*len = 0;
		return NULL;
	}
	*len = c->seg_len;
	return c->seg;
}

int plugin_cohort_attach_bytes(plugin_cohort_t **out, const void *buf,
                               size_t len, char *err, size_t errlen)
{
	*out = NULL;
	seg_hdr_t h;
	if (len < sizeof(h))
		return cd_fail(err, errlen, CD_EINVAL, "cohort segment: %zu "
		               "bytes is too short", len);
	memcpy(&h, buf, sizeof(h));
	if (!check_hdr(&h, len))
		return cd_fail(err, errlen, CD_EINVAL, "cohort segment: bad "
		               "header");
	/* A copy of its own, aligned as the layout wants. */
	char *m = aligned_alloc(SEG_ALIGN, align_up(len));
	plugin_cohort_t *c = m ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		free(m);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	memcpy(m, buf, len);
	c->seg = m;
	c->seg_len = len;
	c->seg_heap = 1;
	c->seg_fd = -1;
	bind(c, &h, m);
	c->sealed = 1;
	*out = c;
	return CD_OK;
}

int plugin_cohort_attach(plugin_cohort_t **out, int fd, char *err,
                         size_t errlen)
{
	*out = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return cd_fail(err, errlen, CD_EIO, "cohort segment: %s",
		               strerror(errno));
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_WRITE)) !=
	                         (F_SEAL_SHRINK | F_SEAL_WRITE))
		return cd_fail(err, errlen, CD_EINVAL, "cohort segment: not "
		               "sealed");
	size_t size = (size_t)st.st_size;
	if (size < sizeof(seg_hdr_t))
		return cd_fail(err, errlen, CD_EINVAL, "cohort segment: %zu "
		               "bytes is too short", size);
	char *r = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		return cd_fail(err, errlen, errno == ENOMEM ? CD_ENOMEM : CD_EIO,
		               "cohort segment: cannot map %zu bytes: %s", size,
		               strerror(errno));
	seg_hdr_t h;
	memcpy(&h, r, sizeof(h));
	if (!check_hdr(&h, size)) {
		munmap(r, size);
		return cd_fail(err, errlen, CD_EINVAL, "cohort segment: bad "
		               "header");
	}
	plugin_cohort_t *c = calloc(1, sizeof(*c));
	if (!c) {
		munmap(r, size);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	c->seg = r;
	c->seg_len = size;
	c->seg_fd = -1;   /* the caller keeps (and closes) its descriptor */
	bind(c, &h, r);
	c->sealed = 1;
	*out = c;
	return CD_OK;
}
