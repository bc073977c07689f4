/*
 * The TCP fault proxy on loopback with real sockets: bytes pass intact with
 * no toxic (splice path) and through the toxic path, and each toxic does
 * what Toxiproxy's does. Time checks are lower bounds only (a toxic cannot
 * make things faster), so a slow machine cannot make them fail.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "chaos.h"
#include "chaos_testutil.h"
#include "proxy_testutil.h"

static struct chaos_echo echo = { -1, 0 };

static struct proxy
proxy_start(uint64_t seed, const char *t1, const char *t2)
{
	return proxy_start_to(echo.port, seed, t1, t2);
}

static int
setup(void **s)
{
	(void)s;
	signal(SIGPIPE, SIG_IGN);
	return chaos_echo_start(&echo);
}

static int
teardown(void **s)
{
	(void)s;
	chaos_echo_stop(&echo);
	return 0;
}

/* Sends len bytes and reads until len came back or EOF/error. */
static size_t
roundtrip(int fd, const char *data, size_t len, char *back)
{
	size_t got = 0, sent = 0;

	while (sent < len || got < len) {
		struct pollfd pf = { fd, POLLIN | (sent < len ? POLLOUT : 0),
			0 };
		if (poll(&pf, 1, 10000) <= 0)
			break;
		if ((pf.revents & POLLOUT) && sent < len) {
			ssize_t k = write(fd, data + sent,
			    len - sent > 65536 ? 65536 : len - sent);
			if (k > 0)
				sent += (size_t)k;
		}
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(fd, back + got, len - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
	}
	return got;
}

static void
test_no_toxic_bytes_intact(void **s)
{
	struct proxy px = proxy_start(1, NULL, NULL);
	size_t len = 4 << 20, i;
	char *data = malloc(len), *back = malloc(len);
	int fd = dial(px.port);

	(void)s;
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);
	assert_int_equal(roundtrip(fd, data, len, back), len);
	assert_memory_equal(data, back, len);
	close(fd);
	free(data);
	free(back);
	proxy_stop(&px);
}

static void
test_slicer_and_latency_keep_bytes_in_order(void **s)
{
	struct proxy px = proxy_start(1,
	    "slicer:average_size=100,size_variation=50,delay=10us",
	    "latency:latency=5ms,jitter=5ms,stream=upstream");
	size_t len = 200000, i;
	char *data = malloc(len), *back = malloc(len);
	int fd = dial(px.port);

	(void)s;
	for (i = 0; i < len; i++)
		data[i] = (char)(i % 253);
	assert_int_equal(roundtrip(fd, data, len, back), len);
	assert_memory_equal(data, back, len);
	close(fd);
	free(data);
	free(back);
	proxy_stop(&px);
}

static void
test_latency_lower_bound(void **s)
{
	struct proxy px = proxy_start(1, "latency:latency=150ms", NULL);
	int fd = dial(px.port);
	char c = 'x';
	double t;

	(void)s;
	t = now_s();
	assert_int_equal(roundtrip(fd, &c, 1, &c), 1);
	assert_true(now_s() - t >= 0.149);
	close(fd);
	proxy_stop(&px);
}

static void
test_bandwidth_lower_bound(void **s)
{
	/* 50 KB/s each way: 20000 bytes take >= 0.4 s down */
	struct proxy px = proxy_start(1, "bandwidth:rate=50", NULL);
	static char data[20000], back[20000];
	int fd = dial(px.port);
	double t = now_s();

	(void)s;
	assert_int_equal(roundtrip(fd, data, sizeof(data), back), sizeof(data));
	assert_true(now_s() - t >= 0.39);
	close(fd);
	proxy_stop(&px);
}

static void
test_limit_data_closes_after_n_bytes(void **s)
{
	struct proxy px = proxy_start(1, "limit_data:bytes=10", NULL);
	char back[64];
	int fd = dial(px.port);
	size_t got;

	(void)s;
	got = roundtrip(fd, "0123456789abcdefghij", 20, back);
	assert_int_equal(got, 10);
	assert_memory_equal(back, "0123456789", 10);
	assert_int_equal(read(fd, back, sizeof(back)), 0); /* closed */
	close(fd);
	proxy_stop(&px);
}

static void
test_timeout_blackholes_then_closes(void **s)
{
	struct proxy px = proxy_start(1, "timeout:timeout=300ms", NULL);
	struct pollfd pf;
	char back[8];
	int fd = dial(px.port);
	double t = now_s();

	(void)s;
	assert_int_equal(write(fd, "ping", 4), 4);
	/* nothing comes back; then the connection is closed */
	pf.fd = fd;
	pf.events = POLLIN;
	assert_int_equal(poll(&pf, 1, 10000), 1);
	assert_int_equal(read(fd, back, sizeof(back)), 0);
	assert_true(now_s() - t >= 0.29);
	close(fd);
	proxy_stop(&px);
}

static void
test_reset_peer_sends_rst(void **s)
{
	struct proxy px = proxy_start(1, "reset_peer:timeout=100ms", NULL);
	struct pollfd pf;
	char back[8];
	int fd = dial(px.port);

	(void)s;
	pf.fd = fd;
	pf.events = POLLIN;
	assert_int_equal(poll(&pf, 1, 10000), 1);
	assert_int_equal(read(fd, back, sizeof(back)), -1);
	assert_int_equal(errno, ECONNRESET);
	close(fd);
	proxy_stop(&px);
}

static void
test_slow_close_lower_bound(void **s)
{
	struct proxy px =
	    proxy_start(1, "slow_close:delay=300ms,stream=upstream", NULL);
	char back[8];
	int fd = dial(px.port);
	double t;

	(void)s;
	assert_int_equal(roundtrip(fd, "abc", 3, back), 3);
	t = now_s();
	/* our FIN reaches the server only after the delay; its FIN follows */
	shutdown(fd, SHUT_WR);
	assert_int_equal(read(fd, back, sizeof(back)), 0);
	assert_true(now_s() - t >= 0.29);
	close(fd);
	proxy_stop(&px);
}

/* Per-connection toxicity from the seed: which of 24 connections get the
 * toxic ('x') replays exactly, and differs with another seed. */
static void
toxicity_pattern(uint64_t seed, char *pat)
{
	struct proxy px =
	    proxy_start(seed, "limit_data:bytes=1,toxicity=0.5", NULL);
	int i;

	for (i = 0; i < 24; i++) {
		char back[8];
		int fd = dial(px.port);
		size_t got = roundtrip(fd, "hello", 5, back);
		pat[i] = got == 5 ? '.' : got == 1 ? 'x' : '?';
		close(fd);
	}
	pat[24] = '\0';
	proxy_stop(&px);
}

static void
test_toxicity_is_seeded(void **s)
{
	char a[32], b[32], c[32];

	(void)s;
	toxicity_pattern(7, a);
	toxicity_pattern(7, b);
	toxicity_pattern(8, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strchr(a, 'x'));
	assert_non_null(strchr(a, '.'));
	assert_null(strchr(a, '?'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_toxic_bytes_intact),
		cmocka_unit_test(test_slicer_and_latency_keep_bytes_in_order),
		cmocka_unit_test(test_latency_lower_bound),
		cmocka_unit_test(test_bandwidth_lower_bound),
		cmocka_unit_test(test_limit_data_closes_after_n_bytes),
		cmocka_unit_test(test_timeout_blackholes_then_closes),
		cmocka_unit_test(test_reset_peer_sends_rst),
		cmocka_unit_test(test_slow_close_lower_bound),
		cmocka_unit_test(test_toxicity_is_seeded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
