#include "common/compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/log.h"
#include "digest.h"

struct digest_pool {
	struct digest_item *items;
	size_t n;
	atomic_size_t next;
};

static void *
digest_worker(void *arg)
{
	struct digest_pool *p = arg;
	size_t i;

	/* Work stealing by index: big and small files balance themselves. */
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct digest_item *it = &p->items[i];

		it->ok = hash_file(it->path, it->sha256, &it->size) == 0;
	}
	return NULL;
}

int
digest_files(struct digest_item *items, size_t n, int threads)
{
	struct digest_pool pool;
	pthread_t tid[64];
	size_t nt, started = 0, i;
	long cpus;
	int rc = 0;

	pool.items = items;
	pool.n = n;
	atomic_init(&pool.next, 0);
	if (threads <= 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nt = cpus > 0 ? (size_t)cpus : 1;
	} else {
		nt = (size_t)threads;
	}
	if (nt > n)
		nt = n;
	if (nt > ARRAY_SIZE(tid))
		nt = ARRAY_SIZE(tid);
	/* The calling thread is worker 0; start the others. */
	for (i = 1; i < nt; i++) {
		if (pthread_create(&tid[started], NULL, digest_worker, &pool) !=
		    0)
			break;
		started++;
	}
	digest_worker(&pool);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < n; i++)
		if (!items[i].ok)
			rc = -1;
	return rc;
}
