// SPDX-License-Identifier: GPL-2.0
/*
 * fileops.c - system calls on a file that busybox cannot make, for guest
 * scripts. Built statically on the host (tests/guest.mk) and copied into
 * the lab with --file.
 *
 *   fileops seek PATH OFFSET WHENCE    lseek(); WHENCE is set, cur or end
 *   fileops badwrite PATH              write() from an unmapped address
 *   fileops badread PATH               read() into an unmapped address
 *
 * Each prints the result as a number, or "error: NAME" (EINVAL, EFAULT...),
 * and exits 0 either way; 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An address no process has mapped (the first page); volatile, so that the
 * compiler does not see, and reject, the bad access at build time. */
static void *volatile bad_pointer = (void *)16;

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOSPC: return "ENOSPC";
	case EBADF: return "EBADF";
	default: return strerror(e);
	}
}

static void report(long long result)
{
	if (result < 0)
		printf("error: %s\n", errno_name(errno));
	else
		printf("%lld\n", result);
}

static int whence_of(const char *s)
{
	if (!strcmp(s, "set"))
		return SEEK_SET;
	if (!strcmp(s, "cur"))
		return SEEK_CUR;
	if (!strcmp(s, "end"))
		return SEEK_END;
	return -1;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3)
		goto usage;
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "seek") && argc == 5 && whence_of(argv[4]) >= 0)
		report(lseek(fd, strtoll(argv[3], NULL, 0), whence_of(argv[4])));
	else if (!strcmp(argv[1], "badwrite") && argc == 3)
		report(write(fd, bad_pointer, 10));
	else if (!strcmp(argv[1], "badread") && argc == 3)
		report(read(fd, bad_pointer, 10));
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: fileops seek PATH OFFSET set|cur|end | badwrite PATH | badread PATH\n");
	return 2;
}
