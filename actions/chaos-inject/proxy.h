#ifndef CHAOS_PROXY_H
#define CHAOS_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "chaos.h"

/*
 * Internals of the TCP fault proxy (chaos_proxy_run in chaos.h), split by
 * concern: proxy.c the listener, epoll loop and connection lifecycle;
 * proxy_net.c addresses and tuning knobs; proxy_dir.c one direction of a
 * connection and its toxics; proxy_splice.c the zero-copy no-toxic path.
 *
 * Each connection has two directions (upstream = client->server,
 * downstream = server->client). A direction owns its queued chunks and its
 * splice pipe; the connection owns both sockets.
 */

struct proxy_chunk {
	struct proxy_chunk *next;
	uint64_t due;
	size_t len, off;
	char data[];
};

struct proxy_dir {
	int in, out;
	bool readable, writable, eof, shut;
	struct proxy_chunk *head, *tail;
	size_t queued;
	uint64_t sent, nchunks, bw_next, last_due, close_at;
	uint64_t limit; /* limit_data; 0 = none */
	bool blackhole; /* timeout toxic: drop everything */
	const struct chaos_toxic *tox[CHAOS_MAX_TOXICS];
	size_t ntox;
	/* no toxic: bytes move socket -> pipe -> socket with splice(2) */
	int pr, pw;
	size_t in_pipe, pipe_cap;
};

struct proxy_conn {
	struct proxy_conn *next;
	int cfd, ufd;
	struct proxy_dir up, down;
	uint64_t idx, kill_at;
	bool rst, dead;
};

/* Read once per proxy from the environment (benchmark knobs). */
struct proxy_knobs {
	int pipe_size; /* splice pipe, capped by fs.pipe-max-size */
	int sock_buf;  /* fixed loopback socket buffers, 0 = autotuning */
};

/* proxy_net.c */
int chaos_proxy_resolve(
    const char *hostport, struct sockaddr_storage *ss, socklen_t *len);
bool chaos_proxy_is_loopback(const struct sockaddr_storage *ss);
/* Binds and listens on o->listen, reports "host:port\n" to o->ready_fd. */
int chaos_proxy_listen(const struct chaos_proxy_opts *o, int *lfd_out);
void chaos_proxy_load_knobs(struct proxy_knobs *k);

/* proxy_dir.c: d reads from in and writes to out; draws c's toxics for
 * this direction from (seed, connection number). */
void chaos_proxy_dir_setup(struct proxy_dir *d, int in, int out,
    const struct chaos_proxy_opts *o, struct proxy_conn *c, bool upstream,
    uint64_t now, int pipe_size);
/* Moves what it can; buf is scratch of CHAOS_PROXY_READ_SIZE bytes. */
void chaos_proxy_dir_read(struct proxy_dir *d, struct proxy_conn *c,
    const struct chaos_proxy_opts *o, char *buf, uint64_t now, bool upstream);
void chaos_proxy_dir_write(
    struct proxy_dir *d, struct proxy_conn *c, uint64_t now);
/* Half-closes out once in hit EOF and everything was written. */
void chaos_proxy_dir_close(struct proxy_dir *d, uint64_t now);
/* Frees the chunks and the pipe; the sockets belong to the connection. */
void chaos_proxy_dir_free(struct proxy_dir *d);
#define CHAOS_PROXY_READ_SIZE ((size_t)256 << 10)

/* proxy_splice.c: sets d->pr/pw (-1 if no pipe could be made, and the
 * direction then takes the copying path). */
void chaos_proxy_splice_open(struct proxy_dir *d, int pipe_size);
/* Moves bytes in -> pipe -> out until neither side makes progress; a
 * failed socket sets *dead. */
void chaos_proxy_splice(struct proxy_dir *d, bool *dead);

#endif
