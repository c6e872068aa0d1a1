#include "pm_flow.h"

#include <math.h>
#include <string.h>

/* LSD radix sort: 11-bit digits, six passes over the 64-bit keys. */
#define BITS 11
#define BUCKETS (1u << BITS)
#define PASSES 6
#define TOP ((uint64_t)1 << 63)

/* Flipping the sign bit of a positive double, and every bit of a negative
 * one, orders the bit patterns as the values. -0.0 is made +0.0 first so
 * that equal values have equal keys. */
static uint64_t key_of(double x)
{
	uint64_t u;
	x += 0.0;
	memcpy(&u, &x, sizeof(u));
	return u & TOP ? ~u : u | TOP;
}

static double value_of(uint64_t k)
{
	uint64_t u = k & TOP ? k & ~TOP : ~k;
	double x;
	memcpy(&x, &u, sizeof(x));
	return x;
}

/* Sorts keys k (with their ids ix alongside) into ascending order, using
 * k2 and ix2 as much room again; stable, so equal values keep the order of
 * their ids. A pass whose digit is the same for every key is skipped (the
 * high digits of values of one magnitude, the low ones of integers).
 * cnt: PASSES * BUCKETS counters. */
static void radix_sort(uint64_t *k, uint32_t *ix, uint64_t *k2,
                       uint32_t *ix2, size_t m, uint32_t *cnt)
{
	memset(cnt, 0, PASSES * BUCKETS * sizeof(*cnt));
	for (size_t i = 0; i < m; i++)
		for (unsigned d = 0; d < PASSES; d++)
			cnt[d * BUCKETS + ((k[i] >> (BITS * d)) & (BUCKETS - 1))]++;
	uint64_t *sk = k, *dk = k2;
	uint32_t *si = ix, *di = ix2;
	for (unsigned d = 0; d < PASSES; d++) {
		uint32_t *c = cnt + d * BUCKETS;
		unsigned shift = BITS * d;
		if (c[(sk[0] >> shift) & (BUCKETS - 1)] == m)
			continue;
		uint32_t pos = 0;
		for (unsigned b = 0; b < BUCKETS; b++) {
			uint32_t t = c[b];
			c[b] = pos;
			pos += t;
		}
		for (size_t i = 0; i < m; i++) {
			uint32_t at = c[(sk[i] >> shift) & (BUCKETS - 1)]++;
			dk[at] = sk[i];
			di[at] = si[i];
		}
		uint64_t *tk = sk;
		sk = dk;
		dk = tk;
		uint32_t *ti = si;
		si = di;
		di = ti;
	}
	if (sk != k) {
		memcpy(k, sk, m * sizeof(*k));
		memcpy(ix, si, m * sizeof(*ix));
	}
}

size_t pm_scratch_size(size_t m)
{
	/* The counters, then keys and ids twice (the sort's ping-pong; the
	 * sorted keys become the sorted values in place, the second key
	 * array the gaussian sums). m < 2^32: the cohort's limit. */
	return PASSES * BUCKETS * sizeof(uint32_t) +
	       m * (2 * sizeof(uint64_t) + 2 * sizeof(uint32_t));
}

/* Usual, U-shape and level as P = (1[d > q] + 1[d > p]) / 2 (q = p = 0,
 * and p = q, for the first two); V-shape and linear (ramp) as
 * P = 1[d > p] + 1[q < d <= p] (d - q)/(p - q) (q = 0 for V-shape).
 * For x = sv[g], the sorted values with x - v > t are sv[0..A(t)) and
 * those with v - x > t are sv[B(t)..m); all four boundaries grow with x,
 * so the bands sv[A(p)..A(q)) and sv[B(q)..B(p)) slide right, and a ramp
 * keeps the sum of each band as values enter and leave it. */
static void sweep(const double *sv, const uint32_t *ix, size_t m,
                  double q, double p, int ramp, double w, double *net)
{
	long double ctr = sv[m / 2], width = (long double)p - q;
	long double up_sum = 0, dn_sum = 0;  /* of v - ctr over each band */
	double scale = w / (double)(m - 1);
	size_t aq = 0, ap = 0, bq = 0, bp = 0;
	for (size_t g = 0; g < m;) {
		double x = sv[g];
		size_t e = g + 1;
		while (e < m && sv[e] == x)
			e++;
		/* The same test on the same d = x - v as the pairwise form, so
		 * the counts agree with it exactly, rounding included. Values
		 * enter a band before they leave it. */
		for (; aq < m && x - sv[aq] > q; aq++)
			if (ramp)
				up_sum += sv[aq] - ctr;
		for (; ap < m && x - sv[ap] > p; ap++)
			if (ramp)
				up_sum -= sv[ap] - ctr;
		for (; bp < m && !(sv[bp] - x > p); bp++)
			if (ramp)
				dn_sum += sv[bp] - ctr;
		for (; bq < m && !(sv[bq] - x > q); bq++)
			if (ramp)
				dn_sum -= sv[bq] - ctr;
		double plus, minus;
		if (!ramp) {
			plus = 0.5 * (double)(aq + ap);
			minus = 0.5 * (double)((m - bq) + (m - bp));
		} else {
			/* The bands' sums of (x - v - q) and (v - x - q). */
			long double xc = x - ctr;
			long double up = (long double)(aq - ap) * (xc - q) - up_sum;
			long double dn = dn_sum - (long double)(bp - bq) * (xc + q);
			plus = (double)((long double)ap + up / width);
			minus = (double)((long double)(m - bp) + dn / width);
		}
		double f = scale * (plus - minus);
		for (size_t i = g; i < e; i++)
			net[ix[i]] += f;
		g = e;
	}
}

/* Every pair once: over sorted values d = sv[j] - sv[i] >= 0 for j > i,
 * which is j's preference over i; f gathers S+ - S- of each position.
 * d/s rather than d^2/s^2, and ties skipped, so that no s > 0 makes a
 * 0/0 or an infinite square. */
static void gaussian(const double *sv, const uint32_t *ix, double *f,
                     size_t m, double s, double w, double *net)
{
	double inv = 1 / s;
	memset(f, 0, m * sizeof(*f));
	for (size_t i = 0; i < m; i++) {
		double x = sv[i], acc = 0;
		for (size_t j = i + 1; j < m; j++) {
			double d = sv[j] - x;
			if (!(d > 0))
				continue;
			double z = d * inv, pr = 1 - exp(-0.5 * z * z);
			f[j] += pr;
			acc += pr;
		}
		f[i] -= acc;
	}
	double scale = w / (double)(m - 1);
	for (size_t i = 0; i < m; i++)
		net[ix[i]] += scale * f[i];
}

void pm_flow_add(const pm_crit_t *c, const double *v, const uint32_t *id,
                 size_t m, double w, double *net, void *scratch)
{
	if (m < 2)
		return;
	uint32_t *cnt = scratch;
	uint64_t *k = (uint64_t *)(cnt + PASSES * BUCKETS), *k2 = k + m;
	uint32_t *ix = (uint32_t *)(k2 + m), *ix2 = ix + m;
	for (size_t i = 0; i < m; i++) {
		k[i] = key_of(v[i]);
		ix[i] = id[i];
	}
	radix_sort(k, ix, k2, ix2, m, cnt);
	/* The sorted keys become the sorted values, in place. */
	double *sv = (double *)k;
	for (size_t i = 0; i < m; i++) {
		double x = value_of(k[i]);
		memcpy(&sv[i], &x, sizeof(x));
	}
	switch (c->pref) {
	case PM_USUAL:
		sweep(sv, ix, m, 0, 0, 0, w, net);
		break;
	case PM_USHAPE:
		sweep(sv, ix, m, c->q, c->q, 0, w, net);
		break;
	case PM_LEVEL:
		sweep(sv, ix, m, c->q, c->p, 0, w, net);
		break;
	case PM_VSHAPE:
		sweep(sv, ix, m, 0, c->p, 1, w, net);
		break;
	case PM_LINEAR:
		sweep(sv, ix, m, c->q, c->p, 1, w, net);
		break;
	case PM_GAUSSIAN:
		gaussian(sv, ix, (double *)k2, m, c->s, w, net);
		break;
	}
}
