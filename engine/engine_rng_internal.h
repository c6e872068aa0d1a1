/*
 * engine_rng_internal — a small deterministic PRNG (xoshiro256**, seeded through
 * splitmix64), so a sensitivity run gives the same numbers for the same
 * seed on every platform; rand() promises neither.
 *
 * Thread-safety: a generator belongs to one thread.
 */
#ifndef ENGINE_RNG_INTERNAL_H
#define ENGINE_RNG_INTERNAL_H

#include <stdint.h>

typedef struct engine_rng {
	uint64_t s[4];
} engine_rng_t;

void engine_rng_seed(engine_rng_t *g, uint64_t seed);
uint64_t engine_rng_next(engine_rng_t *g);
/* Uniform in [0, 1) with 53 random bits. */
double engine_rng_unit(engine_rng_t *g);

#endif
