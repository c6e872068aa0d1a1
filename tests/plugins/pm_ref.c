#include "pm_ref.h"

#include <math.h>
#include <string.h>

enum { USUAL, USHAPE, VSHAPE, LEVEL, LINEAR, GAUSSIAN };

static int fn_of(const char *f)
{
	static const char *const names[] = { "usual", "ushape", "vshape",
	                                     "level", "linear", "gaussian" };
	int i = 0;
	while (i < GAUSSIAN && strcmp(f, names[i]) != 0)
		i++;
	return i;
}

static double pref(int f, const pm_ref_crit_t *c, double d)
{
	switch (f) {
	case USUAL:
		return d > 0 ? 1 : 0;
	case USHAPE:
		return d > c->q ? 1 : 0;
	case VSHAPE:
		return d <= 0 ? 0 : d <= c->p ? d / c->p : 1;
	case LEVEL:
		return d <= c->q ? 0 : d <= c->p ? 0.5 : 1;
	case LINEAR:
		return d <= c->q ? 0 : d <= c->p ? (d - c->q) / (c->p - c->q) : 1;
	default:
		return d <= 0 ? 0 : 1 - exp(-d * d / (2 * c->s * c->s));
	}
}

double pm_ref_pref(const pm_ref_crit_t *c, double d)
{
	return pref(fn_of(c->pref), c, d);
}

static double pi(const pm_ref_crit_t *c, const int *f, size_t k,
                 const double *x, size_t a, size_t b)
{
	double sum = 0, wsum = 0;
	for (size_t j = 0; j < k; j++) {
		double xa = x[a * k + j], xb = x[b * k + j];
		double d = c[j].cost ? xb - xa : xa - xb;
		sum += c[j].w * pref(f[j], &c[j], d);
		wsum += c[j].w;
	}
	return sum / wsum;
}

/* The functions of c[0..k), looked up once. */
static void fns_of(const pm_ref_crit_t *c, size_t k, int *f)
{
	for (size_t j = 0; j < k; j++)
		f[j] = fn_of(c[j].pref);
}

double pm_ref_pi(const pm_ref_crit_t *c, size_t k, const double *x,
                 size_t a, size_t b)
{
	int f[64];
	fns_of(c, k, f);
	return pi(c, f, k, x, a, b);
}

void pm_ref_flow_of(const pm_ref_crit_t *c, size_t k, const double *x,
                    size_t m, size_t a, double *plus, double *minus)
{
	int f[64];
	fns_of(c, k, f);
	double sp = 0, sm = 0;
	for (size_t b = 0; b < m; b++) {
		if (b == a)
			continue;
		sp += pi(c, f, k, x, a, b);
		sm += pi(c, f, k, x, b, a);
	}
	*plus = m > 1 ? sp / (double)(m - 1) : 0;
	*minus = m > 1 ? sm / (double)(m - 1) : 0;
}

void pm_ref_flows(const pm_ref_crit_t *c, size_t k, const double *x,
                  size_t m, double *plus, double *minus)
{
	int f[64];
	fns_of(c, k, f);
	for (size_t a = 0; a < m; a++)
		plus[a] = minus[a] = 0;
	/* Each pi(a,b) once: a's leaving flow, b's entering flow. */
	for (size_t a = 0; a < m; a++)
		for (size_t b = 0; b < m; b++)
			if (b != a) {
				double v = pi(c, f, k, x, a, b);
				plus[a] += v;
				minus[b] += v;
			}
	for (size_t a = 0; m > 1 && a < m; a++) {
		plus[a] /= (double)(m - 1);
		minus[a] /= (double)(m - 1);
	}
}
