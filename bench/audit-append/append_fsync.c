/*
 * Anchor for durable single appends: the least a CLI can do to append one
 * record durably. open(O_APPEND), one write, fdatasync, close. Run once per
 * entry, like `audit-append append` in a workflow step.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int fd;
	size_t len;

	if (argc != 3)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	len = strlen(argv[2]);
	argv[2][len] = '\n';
	if (write(fd, argv[2], len + 1) != (ssize_t)(len + 1) ||
	    fdatasync(fd) != 0)
		return 1;
	return close(fd) != 0;
}
