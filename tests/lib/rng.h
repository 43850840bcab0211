/*
 * A small seeded generator (splitmix64) for random tests and generated
 * rooms: the same seed gives the same DAG on every machine, so a failure
 * can be replayed from the seed it prints.
 */
#ifndef GITCHAT_TEST_RNG_H
#define GITCHAT_TEST_RNG_H

#include <stdint.h>

typedef struct {
	uint64_t s;
} t_rng;

static inline uint64_t t_rng_next(t_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
