/* plugin_cohort_seg: a sealed cohort lives in a sealed memfd that a worker
 * attaches; the attached cohort reads exactly as the original, and attach
 * refuses every file that is not a well-formed sealed segment. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "plugin_cohort_internal.h"
#include "plugin_internal.h"
#include "pt_util.h"

static cp_host_t host;
static plugin_host_ctx_t ctx;

static int setup(void **st)
{
	(void)st;
	plugin_host_setup(&host, &ctx);
	return 0;
}

/* ------------------------------------------------------ the test cohort */

static const char *const economies[] = { "CN", "DE", "US", "BR", "KE" };

/* Everything about cluster i is a function of i, so any cohort (the
 * original, an attached copy, a view) can be checked against it. */
#define N_CITIES(i) ((i) % 4)
#define N_INDS(i) ((i) % 5)
#define N_YEARS(i) (1 + (i) % 3)
#define N_ASM(i) ((i) % 3)
#define N_LABELS(i) ((i) % 3)

static double ind_value(unsigned i, unsigned k, int year)
{
	return i * 1.5 + k * 100 + (year - 2015) * 0.25;
}

static void add_cluster(plugin_cohort_t *c, unsigned i)
{
	char id[32], name[32], region[32], s[32], v[32];
	char err[256];
	snprintf(id, sizeof(id), "c%u", i);
	snprintf(name, sizeof(name), "Cluster %u", i);
	snprintf(region, sizeof(region), "r%u", i % 7);
	assert_int_equal(plugin_cohort_add_cluster(c, id, i % 3 ? name : NULL,
	                                           economies[i % 5], region,
	                                           i % 2 ? "ict" : NULL, err,
	                                           sizeof(err)), CD_OK);
	for (unsigned k = 0; k < N_CITIES(i); k++) {
		snprintf(s, sizeof(s), "city%u", (i + k) % 11);
		assert_int_equal(plugin_cohort_add_city(c, s, err, sizeof(err)),
		                 CD_OK);
	}
	for (unsigned k = 0; k < N_INDS(i); k++) {
		snprintf(s, sizeof(s), "ind%u", k);
		for (unsigned y = 0; y < N_YEARS(i); y++)
			pt_ind(c, s, 2015 + (int)y, ind_value(i, k, 2015 + (int)y));
	}
	for (unsigned k = 0; k < N_ASM(i); k++) {
		snprintf(s, sizeof(s), "j%u", k);
		snprintf(v, sizeof(v), "crit%u", (i + k) % 4);
		pt_asm(c, s, v, i + k * 0.5, (int)k + 1, (int)(k % 2));
	}
	for (unsigned k = 0; k < N_LABELS(i); k++) {
		snprintf(s, sizeof(s), "k%u", k);
		snprintf(v, sizeof(v), "v%u", i % 5);
		pt_label(c, s, v);
	}
}

/* Sealed into a memfd whatever its size (plugin_cohort_seal keeps a
 * small cohort in the heap). */
static void seal_file(plugin_cohort_t *c)
{
	char err[256];
	assert_int_equal(plugin_cohort_seal_file(c, err, sizeof(err)), CD_OK);
}

static plugin_cohort_t *make_cohort(unsigned n)
{
	plugin_cohort_t *c = pt_cohort();
	for (unsigned i = 0; i < n; i++)
		add_cluster(c, i);
	seal_file(c);
	return c;
}

/* Checks cluster j of c against cluster i of the generator. */
static void check_cluster(const plugin_cohort_t *c, size_t j, unsigned i)
{
	char s[32], v[32];
	cp_cluster_t cl = cp_cohort_at(&host, c, j);
	snprintf(s, sizeof(s), "c%u", i);
	assert_string_equal(cp_cluster_id(&host, cl), s);
	assert_string_equal(plugin_cohort_id(c, j), s);
	snprintf(s, sizeof(s), "Cluster %u", i);
	assert_string_equal(cp_cluster_name(&host, cl), i % 3 ? s : "");
	assert_string_equal(cp_cluster_economy(&host, cl), economies[i % 5]);
	snprintf(s, sizeof(s), "r%u", i % 7);
	assert_string_equal(cp_cluster_region(&host, cl), s);
	assert_string_equal(cp_cluster_industry(&host, cl), i % 2 ? "ict" : "");
	assert_null(host.cluster_field(cl, 5));

	assert_int_equal(cp_cluster_city_count(&host, cl), N_CITIES(i));
	for (unsigned k = 0; k < N_CITIES(i); k++) {
		snprintf(s, sizeof(s), "city%u", (i + k) % 11);
		assert_string_equal(cp_cluster_city(&host, cl, k), s);
	}
	assert_null(cp_cluster_city(&host, cl, N_CITIES(i)));

	for (unsigned k = 0; k < 6; k++) {
		snprintf(s, sizeof(s), "ind%u", k);
		int years[8];
		size_t ny = cp_indicator_years(&host, cl, s, years, 8);
		int y;
		double val;
		if (k >= N_INDS(i)) {
			assert_int_equal(ny, 0);
			assert_int_equal(cp_indicator_latest(&host, cl, s, &y, &val),
			                 0);
			continue;
		}
		assert_int_equal(ny, N_YEARS(i));
		for (unsigned t = 0; t < ny; t++) {
			assert_int_equal(years[t], 2015 + (int)t);
			assert_int_equal(cp_indicator(&host, cl, s, years[t], &val),
			                 1);
			assert_true(val == ind_value(i, k, years[t]));
		}
		assert_int_equal(cp_indicator(&host, cl, s, 2014, &val), 0);
		assert_int_equal(cp_indicator_latest(&host, cl, s, &y, &val), 1);
		assert_int_equal(y, 2015 + (int)N_YEARS(i) - 1);
		assert_true(val == ind_value(i, k, y));
	}

	assert_int_equal(cp_assessment_count(&host, cl), N_ASM(i));
	for (unsigned k = 0; k < N_ASM(i); k++) {
		cp_assessment_t as;
		assert_int_equal(cp_assessment_at(&host, cl, k, &as), 1);
		snprintf(s, sizeof(s), "j%u", k);
		snprintf(v, sizeof(v), "crit%u", (i + k) % 4);
		assert_string_equal(as.judge, s);
		assert_string_equal(as.criterion, v);
		assert_true(as.score == i + k * 0.5);
		assert_int_equal(as.round, (int)k + 1);
		assert_int_equal(as.recused, k % 2);
	}
	cp_assessment_t as;
	assert_int_equal(cp_assessment_at(&host, cl, N_ASM(i), &as), 0);

	for (unsigned k = 0; k < 3; k++) {
		snprintf(s, sizeof(s), "k%u", k);
		snprintf(v, sizeof(v), "v%u", i % 5);
		if (k < N_LABELS(i))
			assert_string_equal(cp_label(&host, cl, s), v);
		else
			assert_null(cp_label(&host, cl, s));
	}
}

static void check_all(const plugin_cohort_t *c, unsigned n)
{
	assert_int_equal(plugin_cohort_size(c), n);
	assert_int_equal(cp_cohort_size(&host, c), n);
	for (unsigned i = 0; i < n; i++)
		check_cluster(c, i, i);
	assert_null(plugin_cohort_id(c, n));
}

/* Both cohorts list the same names of every kind, in the same order. */
static void same_names(const plugin_cohort_t *a, const plugin_cohort_t *b)
{
	static const int kinds[] = { CP_NAMES_INDICATOR, CP_NAMES_LABEL,
	                             CP_NAMES_CRITERION };
	for (size_t k = 0; k < 3; k++) {
		const char **na, **nb;
		size_t ca, cb;
		char err[256];
		assert_int_equal(plugin_cohort_names(a, kinds[k], &na, &ca, err,
		                                     sizeof(err)), CD_OK);
		assert_int_equal(plugin_cohort_names(b, kinds[k], &nb, &cb, err,
		                                     sizeof(err)), CD_OK);
		assert_int_equal(ca, cb);
		for (size_t i = 0; i < ca; i++)
			assert_string_equal(na[i], nb[i]);
		free(na);
		free(nb);
	}
}

/* ------------------------------------------------------- crafted files */

static unsigned char *segment_bytes(const plugin_cohort_t *c, size_t *len)
{
	int fd = plugin_cohort_fd(c);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	unsigned char *p = malloc(*len);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, *len, 0), (ssize_t)*len);
	return p;
}

/* A memfd holding len bytes of p with the given seals added. */
static int craft(const void *p, size_t len, int allow_sealing, int seals)
{
	int fd = memfd_create("test-seg", MFD_CLOEXEC |
	                                      (allow_sealing ? MFD_ALLOW_SEALING
	                                                     : 0));
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, p, len), (ssize_t)len);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static void expect_refused(int fd, int code, const char *why)
{
	plugin_cohort_t *a = (plugin_cohort_t *)(uintptr_t)1;
	char err[256] = "";
	assert_int_equal(plugin_cohort_attach(&a, fd, err, sizeof(err)), code);
	assert_null(a);
	if (!strstr(err, why))
		fail_msg("error '%s' lacks '%s'", err, why);
}

/* The segment header, as plugin_cohort_seg.c lays it out. */
enum {
	A_CL, A_CITY, A_IKEY, A_IVAL, A_AS, A_LAB, A_ARENA,
	A_SSLOTS, A_SOFF, A_ISLOTS, A_IOFF, A_COUNT
};

typedef struct seg_hdr {
	uint64_t magic, size;
	uint64_t off[A_COUNT], len[A_COUNT];
	uint64_t strs_nslots, inames_nslots;
	uint32_t empty, max_strs, max_inames, pad;
} seg_hdr_t;

static const size_t elem[A_COUNT] = {
	sizeof(pc_cluster_t), sizeof(uint32_t), sizeof(uint32_t),
	sizeof(double), sizeof(pc_assessment_t), sizeof(pc_label_t), 1,
	sizeof(uint32_t), sizeof(uint32_t), sizeof(uint32_t), sizeof(uint32_t)
};

/* A copy of img with its header changed by fix, sealed; must be refused
 * as a bad header. */
typedef void (*fix_fn)(seg_hdr_t *h, int arg);

static void expect_bad_header(const unsigned char *img, size_t len,
                              fix_fn fix, int arg)
{
	/* Never less than a header: GCC's -O2 stringop-overflow check
	 * cannot see that every image holds one. */
	unsigned char *p = malloc(len < sizeof(seg_hdr_t) ? sizeof(seg_hdr_t)
	                                                  : len);
	assert_non_null(p);
	memcpy(p, img, len);
	seg_hdr_t h;
	memcpy(&h, p, sizeof(h));
	fix(&h, arg);
	memcpy(p, &h, sizeof(h));
	int fd = craft(p, len, 1, ALL_SEALS);
	expect_refused(fd, CD_EINVAL, "bad header");
	close(fd);
	free(p);
}

static void fix_magic(seg_hdr_t *h, int a) { (void)a; h->magic ^= 1; }
static void fix_size(seg_hdr_t *h, int a) { h->size += (uint64_t)a; }
static void fix_off_past(seg_hdr_t *h, int a)
{
	h->off[a] = (h->size + 64) & ~(uint64_t)63;
}
static void fix_off_huge(seg_hdr_t *h, int a)
{
	h->off[a] = UINT64_MAX & ~(uint64_t)63;
}
static void fix_off_misaligned(seg_hdr_t *h, int a) { h->off[a] += 8; }
static void fix_off_in_header(seg_hdr_t *h, int a) { h->off[a] = 0; }
/* One element more than fits between the array's offset and the end. */
static void fix_len_past(seg_hdr_t *h, int a)
{
	h->len[a] = (h->size - h->off[a]) / elem[a] + 1;
	if (a == A_IKEY || a == A_IVAL)
		h->len[A_IKEY] = h->len[A_IVAL] = h->len[a];
	if (a == A_SSLOTS)
		h->strs_nslots = h->len[a];
	if (a == A_ISLOTS)
		h->inames_nslots = h->len[a];
}
/* A length whose byte size wraps around 64 bits to something small. */
static void fix_len_wrap(seg_hdr_t *h, int a)
{
	(void)a;
	h->len[A_IKEY] = (1ull << 62) + 1;   /* × 4 = 4 */
	h->len[A_IVAL] = (1ull << 62) + 1;   /* × 8 = 8 */
}
static void fix_len_above_u32(seg_hdr_t *h, int a)
{
	(void)a;
	h->len[A_ARENA] = (uint64_t)UINT32_MAX + 1;
}
static void fix_ind_mismatch(seg_hdr_t *h, int a)
{
	(void)a;
	h->len[A_IVAL] = h->len[A_IKEY] - 1;
}
static void fix_slots_mismatch(seg_hdr_t *h, int a)
{
	if (a)
		h->inames_nslots *= 2;
	else
		h->strs_nslots *= 2;
}
static void fix_slots_not_pow2(seg_hdr_t *h, int a)
{
	if (a)
		h->inames_nslots = h->len[A_ISLOTS] = 3;
	else
		h->strs_nslots = h->len[A_SSLOTS] = 3;
}
static void fix_empty(seg_hdr_t *h, int a)
{
	(void)a;
	h->empty = (uint32_t)h->len[A_SOFF];
}

/* ---------------------------------------------------------------- tests */

static void test_sealed_fd(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	add_cluster(c, 1);
	/* Not before sealing. */
	assert_int_equal(plugin_cohort_fd(c), -1);
	seal_file(c);
	int fd = plugin_cohort_fd(c);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	int seals = fcntl(fd, F_GET_SEALS);
	assert_int_equal(seals & ALL_SEALS, ALL_SEALS);
	/* Nobody can change, shrink, grow or unseal it. */
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(pwrite(fd, "x", 1, 0), -1);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(ftruncate(fd, sb.st_size + 4096), -1);
	assert_true(mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE,
	                 MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	/* The cohort itself reads through the read-only mapping. */
	assert_int_equal(plugin_cohort_size(c), 1);
	check_cluster(c, 0, 1);
	plugin_cohort_destroy(c);
}

static void test_attach_round_trip(void **st)
{
	(void)st;
	const unsigned n = 300;
	plugin_cohort_t *c = make_cohort(n);
	check_all(c, n);
	int fd = fcntl(plugin_cohort_fd(c), F_DUPFD_CLOEXEC, 0);
	assert_true(fd >= 0);
	plugin_cohort_t *a = NULL;
	char err[256] = "";
	assert_int_equal(plugin_cohort_attach(&a, fd, err, sizeof(err)), CD_OK);
	/* The descriptor is no longer needed. */
	close(fd);
	assert_non_null(a);
	assert_true(plugin_cohort_sealed(a));
	/* The attached cohort is not itself a segment to hand on. */
	assert_int_equal(plugin_cohort_fd(a), -1);
	check_all(a, n);
	same_names(c, a);
	/* Every accessor gives the same strings through either. */
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t x = cp_cohort_at(&host, c, i);
		cp_cluster_t y = cp_cohort_at(&host, a, i);
		for (int f = CP_FIELD_ID; f <= CP_FIELD_INDUSTRY; f++)
			assert_string_equal(host.cluster_field(x, f),
			                    host.cluster_field(y, f));
	}
	/* Lookups by a name the cohort never saw. */
	cp_cluster_t y = cp_cohort_at(&host, a, 4);
	double v;
	assert_int_equal(cp_indicator(&host, y, "unknown", 2015, &v), 0);
	assert_null(cp_label(&host, y, "unknown"));
	/* Out of range reads as absent. */
	assert_null(cp_cluster_id(&host, cp_cohort_at(&host, a, n)));
	assert_int_equal(cp_cluster_city_count(&host, cp_cohort_at(&host, a, n)),
	                 0);
	/* The attached cohort outlives the original (and its descriptor). */
	plugin_cohort_destroy(c);
	check_all(a, n);
	/* Sealed: nothing can be added. */
	assert_int_equal(plugin_cohort_add_cluster(a, "z", NULL, NULL, NULL,
	                                           NULL, err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_seal(a, err, sizeof(err)),
	                 CD_EPRECONDITION);
	plugin_cohort_destroy(a);
}

static void test_attach_views(void **st)
{
	(void)st;
	const unsigned n = 50;
	plugin_cohort_t *c = make_cohort(n);
	plugin_cohort_t *a = NULL;
	char err[256] = "";
	assert_int_equal(plugin_cohort_attach(&a, plugin_cohort_fd(c), err,
	                                      sizeof(err)), CD_OK);
	uint32_t idx[] = { 49, 0, 7, 7, 23 };
	plugin_cohort_t *v = NULL;
	assert_int_equal(plugin_cohort_view(&v, a, idx, 5, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(plugin_cohort_size(v), 5);
	assert_int_equal(plugin_cohort_fd(v), -1);
	for (size_t j = 0; j < 5; j++)
		check_cluster(v, j, idx[j]);
	/* A view's names are its whole cohort's to give. */
	const char **names;
	size_t nn;
	assert_int_equal(plugin_cohort_names(v, CP_NAMES_LABEL, &names, &nn, err,
	                                     sizeof(err)), CD_EINVAL);
	/* Out of range members are refused; a view of a view too. */
	uint32_t bad[] = { 3, 50 };
	plugin_cohort_t *w = NULL;
	assert_int_not_equal(plugin_cohort_view(&w, a, bad, 2, err, sizeof(err)),
	                     CD_OK);
	assert_null(w);
	assert_int_not_equal(plugin_cohort_view(&w, v, idx, 1, err, sizeof(err)),
	                     CD_OK);
	assert_null(w);
	plugin_cohort_destroy(v);
	plugin_cohort_destroy(a);
	plugin_cohort_destroy(c);
}

/* A small cohort sealed the ordinary way stays in the heap, has no file,
 * and crosses as bytes; a large one gets a file. */
static void test_small_in_heap(void **st)
{
	(void)st;
	const unsigned n = 300;
	plugin_cohort_t *c = pt_cohort();
	for (unsigned i = 0; i < n; i++)
		add_cluster(c, i);
	size_t len = 7;
	assert_null(plugin_cohort_bytes(c, &len));   /* not sealed yet */
	assert_int_equal(len, 0);
	pt_seal(c);
	assert_int_equal(plugin_cohort_fd(c), -1);
	const void *b = plugin_cohort_bytes(c, &len);
	assert_non_null(b);
	assert_true(len > 0 && len <= (1u << 20));
	check_all(c, n);
	/* The bytes attach into a copy that outlives them. */
	void *copy = malloc(len + 1);
	memcpy((char *)copy + 1, b, len);   /* misaligned on purpose */
	plugin_cohort_t *a = NULL;
	char err[256] = "";
	assert_int_equal(plugin_cohort_attach_bytes(&a, (char *)copy + 1, len,
	                                            err, sizeof(err)), CD_OK);
	memset(copy, 0, len + 1);
	free(copy);
	check_all(a, n);
	same_names(c, a);
	/* Broken bytes are refused. */
	plugin_cohort_t *bad = NULL;
	assert_int_equal(plugin_cohort_attach_bytes(&bad, b, len - 1, err,
	                                            sizeof(err)), CD_EINVAL);
	assert_null(bad);
	assert_int_equal(plugin_cohort_attach_bytes(&bad, b, 8, err,
	                                            sizeof(err)), CD_EINVAL);
	char *junk = malloc(len);
	memcpy(junk, b, len);
	junk[0] ^= 1;   /* the magic */
	assert_int_equal(plugin_cohort_attach_bytes(&bad, junk, len, err,
	                                            sizeof(err)), CD_EINVAL);
	free(junk);
	/* A view has no bytes of its own. */
	uint32_t idx[2] = { 1, 3 };
	plugin_cohort_t *v = NULL;
	assert_int_equal(plugin_cohort_view(&v, c, idx, 2, err, sizeof(err)),
	                 CD_OK);
	assert_null(plugin_cohort_bytes(v, &len));
	plugin_cohort_destroy(v);
	plugin_cohort_destroy(a);
	plugin_cohort_destroy(c);

	/* Past 1 MiB the same call makes a file. */
	c = pt_cohort();
	for (unsigned i = 0; i < 20000; i++)
		add_cluster(c, i);
	pt_seal(c);
	assert_true(plugin_cohort_fd(c) >= 0);
	assert_null(plugin_cohort_bytes(c, &len));
	plugin_cohort_destroy(c);
}

static void test_empty(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	seal_file(c);
	int fd = plugin_cohort_fd(c);
	assert_true(fd >= 0);
	plugin_cohort_t *a = NULL;
	char err[256] = "";
	assert_int_equal(plugin_cohort_attach(&a, fd, err, sizeof(err)), CD_OK);
	assert_int_equal(plugin_cohort_size(a), 0);
	assert_null(plugin_cohort_id(a, 0));
	assert_null(cp_cluster_id(&host, cp_cohort_at(&host, a, 0)));
	same_names(c, a);
	const char **names;
	size_t nn;
	assert_int_equal(plugin_cohort_names(a, CP_NAMES_INDICATOR, &names, &nn,
	                                     err, sizeof(err)), CD_OK);
	assert_int_equal(nn, 0);
	free(names);
	plugin_cohort_t *v = NULL;
	assert_int_equal(plugin_cohort_view(&v, a, NULL, 0, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(plugin_cohort_size(v), 0);
	plugin_cohort_destroy(v);
	plugin_cohort_destroy(a);
	plugin_cohort_destroy(c);
}

/* Files that are not sealed segments. */
static void test_attach_refuses_files(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(20);
	size_t len;
	unsigned char *img = segment_bytes(c, &len);

	/* The same bytes, unsealed, or sealed only in part. */
	int fd = craft(img, len, 1, 0);
	expect_refused(fd, CD_EINVAL, "not sealed");
	close(fd);
	fd = craft(img, len, 0, 0);   /* sealing not even allowed */
	expect_refused(fd, CD_EINVAL, "not sealed");
	close(fd);
	fd = craft(img, len, 1, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL);
	expect_refused(fd, CD_EINVAL, "not sealed");
	close(fd);
	fd = craft(img, len, 1, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	expect_refused(fd, CD_EINVAL, "not sealed");
	close(fd);
	/* The least seals attach needs. */
	fd = craft(img, len, 1, F_SEAL_WRITE | F_SEAL_SHRINK);
	plugin_cohort_t *a = NULL;
	char err[256];
	assert_int_equal(plugin_cohort_attach(&a, fd, err, sizeof(err)), CD_OK);
	check_all(a, 20);
	plugin_cohort_destroy(a);
	close(fd);

	/* Not a memfd at all: a pipe, a closed descriptor. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	expect_refused(p[0], CD_EINVAL, "not sealed");
	close(p[0]);
	close(p[1]);
	expect_refused(p[0], CD_EIO, "cohort segment");

	/* Too short for a header, empty. */
	fd = craft(img, sizeof(seg_hdr_t) - 1, 1, ALL_SEALS);
	expect_refused(fd, CD_EINVAL, "too short");
	close(fd);
	fd = craft(img, 0, 1, ALL_SEALS);
	expect_refused(fd, CD_EINVAL, "too short");
	close(fd);

	/* Cut short (the header's size says more than the file has) or
	 * padded. */
	fd = craft(img, len - 64, 1, ALL_SEALS);
	expect_refused(fd, CD_EINVAL, "bad header");
	close(fd);
	unsigned char *longer = calloc(1, len + 64);
	assert_non_null(longer);
	memcpy(longer, img, len);
	fd = craft(longer, len + 64, 1, ALL_SEALS);
	expect_refused(fd, CD_EINVAL, "bad header");
	close(fd);
	free(longer);
	free(img);
	plugin_cohort_destroy(c);
}

/* Headers that lie: every check of the header, each on its own. */
static void test_attach_refuses_headers(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(40);
	size_t len;
	unsigned char *img = segment_bytes(c, &len);
	seg_hdr_t h;
	memcpy(&h, img, sizeof(h));
	/* The layout the test assumes is the one sealing wrote. */
	assert_int_equal(h.size, len);
	assert_int_equal(h.len[A_CL], 40);
	assert_true(h.len[A_IKEY] > 0);
	assert_true(h.strs_nslots >= 4 && h.inames_nslots >= 4);
	/* An untouched copy attaches: the refusals below are the fixes'. */
	int fd = craft(img, len, 1, ALL_SEALS);
	plugin_cohort_t *a = NULL;
	char err[256];
	assert_int_equal(plugin_cohort_attach(&a, fd, err, sizeof(err)), CD_OK);
	plugin_cohort_destroy(a);
	close(fd);

	expect_bad_header(img, len, fix_magic, 0);
	expect_bad_header(img, len, fix_size, 64);
	expect_bad_header(img, len, fix_size, -64);
	for (int i = 0; i < A_COUNT; i++) {
		expect_bad_header(img, len, fix_off_past, i);
		expect_bad_header(img, len, fix_off_huge, i);
		expect_bad_header(img, len, fix_off_misaligned, i);
		expect_bad_header(img, len, fix_off_in_header, i);
		expect_bad_header(img, len, fix_len_past, i);
	}
	expect_bad_header(img, len, fix_len_wrap, 0);
	expect_bad_header(img, len, fix_len_above_u32, 0);
	expect_bad_header(img, len, fix_ind_mismatch, 0);
	expect_bad_header(img, len, fix_slots_mismatch, 0);
	expect_bad_header(img, len, fix_slots_mismatch, 1);
	expect_bad_header(img, len, fix_slots_not_pow2, 0);
	expect_bad_header(img, len, fix_slots_not_pow2, 1);
	expect_bad_header(img, len, fix_empty, 0);
	free(img);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sealed_fd),
		cmocka_unit_test(test_attach_round_trip),
		cmocka_unit_test(test_attach_views),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small_in_heap),
		cmocka_unit_test(test_attach_refuses_files),
		cmocka_unit_test(test_attach_refuses_headers),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
