// SPDX-License-Identifier: GPL-2.0
/*
 * kcore_read.c - print N bytes of kernel memory at a kernel address, as hex,
 * for guest scripts (the walkthrough's captures: `make doc`). Built
 * statically on the host (tests/guest.mk) and copied into the lab with
 * --file.
 *
 *   kcore_read ADDR N        ADDR in hex (0x optional), N in decimal or 0x hex
 *
 * Prints the bytes as two-digit hex, 16 to a line, and exits 0; exits 1 if
 * the address is not in /proc/kcore or cannot be read, 2 on a usage error.
 *
 * /proc/kcore is the running kernel as an ELF core file: each PT_LOAD
 * program header maps a range of kernel virtual addresses (p_vaddr,
 * p_memsz) to a range of the file (p_offset). The module area is one of
 * them on x86-64 (fs/proc/kcore.c, arch/x86/mm/init_64.c), and reading it
 * works even where the pages are read-only: the kernel copies them out for
 * us. Root only; lockdown (off in the lab) would forbid it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KCORE "/proc/kcore"
#define MAX_BYTES (1 << 20)

/**
 * find_offset() - where in /proc/kcore the bytes of [addr, addr + n) are
 * @fd:   /proc/kcore, open
 * @addr: a kernel virtual address
 * @n:    how many bytes
 *
 * Return: the file offset, or -1 if no PT_LOAD segment holds the range.
 */
static off_t find_offset(int fd, unsigned long addr, unsigned long n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * eh.e_phentsize) !=
		    sizeof(ph))
			return -1;
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
		    addr + n <= ph.p_vaddr + ph.p_memsz)
			return ph.p_offset + (addr - ph.p_vaddr);
	}
	return -1;
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAX_BYTES];
	unsigned long addr, n, i;
	char *end;
	off_t off;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: kcore_read ADDR N\n");
		return 2;
	}
	errno = 0;
	addr = strtoul(argv[1], &end, 16);
	if (errno || *end) {
		fprintf(stderr, "kcore_read: bad address %s\n", argv[1]);
		return 2;
	}
	n = strtoul(argv[2], &end, 0);
	if (errno || *end || !n || n > MAX_BYTES) {
		fprintf(stderr, "kcore_read: bad length %s (1..%d)\n", argv[2], MAX_BYTES);
		return 2;
	}
	fd = open(KCORE, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "kcore_read: %s: %s\n", KCORE, strerror(errno));
		return 1;
	}
	off = find_offset(fd, addr, n);
	if (off < 0) {
		fprintf(stderr, "kcore_read: 0x%lx+%lu is not in %s\n", addr, n, KCORE);
		return 1;
	}
	if (pread(fd, buf, n, off) != (ssize_t)n) {
		fprintf(stderr, "kcore_read: cannot read 0x%lx+%lu: %s\n", addr, n,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%02x%c", buf[i], (i % 16 == 15 || i == n - 1) ? '\n' : ' ');
	return 0;
}
