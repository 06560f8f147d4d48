/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kofile.h - walk the functions of a relocatable ELF64 x86-64 object
 * (.ko): every STT_FUNC symbol of non-zero size that lies in an
 * SHF_EXECINSTR PROGBITS section, aliases (same section, address and
 * size) once, in address order. Host-side test helper; no libelf.
 */
#ifndef KEDR_KOFILE_H
#define KEDR_KOFILE_H

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ko_func {
	const char *name;
	const char *section;
	unsigned long offset;		/* within the section */
	unsigned long size;
	const unsigned char *bytes;
};

struct ko_sym { unsigned int shndx; unsigned long value, size; const char *name; };

static int ko_sym_cmp(const void *a, const void *b)
{
	const struct ko_sym *x = a, *y = b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/**
 * ko_walk() - call @fn for every function of the object file @path
 * Return: number of functions, or -1 if the file is not a usable ELF64.
 */
static long ko_walk(const char *path, void (*fn)(const struct ko_func *, void *), void *arg)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	const unsigned char *map;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr;
	struct ko_sym *syms = NULL;
	size_t nsyms = 0, i, j;
	long count = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	eh = (const Elf64_Ehdr *)map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > (size_t)st.st_size) {
		munmap((void *)map, st.st_size);
		return -1;
	}
	sh = (const Elf64_Shdr *)(map + eh->e_shoff);
	shstr = (const char *)map + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;
		size_t n;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		sym = (const Elf64_Sym *)(map + sh[i].sh_offset);
		str = (const char *)map + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(Elf64_Sym);
		syms = realloc(syms, (nsyms + n) * sizeof(*syms));
		for (j = 0; j < n; j++) {
			const Elf64_Shdr *s;

			if (ELF64_ST_TYPE(sym[j].st_info) != STT_FUNC || !sym[j].st_size ||
			    sym[j].st_shndx == SHN_UNDEF || sym[j].st_shndx >= eh->e_shnum)
				continue;
			s = &sh[sym[j].st_shndx];
			if (s->sh_type != SHT_PROGBITS || !(s->sh_flags & SHF_EXECINSTR) ||
			    sym[j].st_value + sym[j].st_size > s->sh_size)
				continue;
			syms[nsyms].shndx = sym[j].st_shndx;
			syms[nsyms].value = sym[j].st_value;
			syms[nsyms].size = sym[j].st_size;
			syms[nsyms].name = str + sym[j].st_name;
			nsyms++;
		}
	}
	if (nsyms)
		qsort(syms, nsyms, sizeof(*syms), ko_sym_cmp);
	for (i = 0; i < nsyms; i++) {
		struct ko_func f;
		const Elf64_Shdr *s = &sh[syms[i].shndx];

		if (i && syms[i].shndx == syms[i - 1].shndx && syms[i].value == syms[i - 1].value &&
		    syms[i].size == syms[i - 1].size)
			continue;	/* alias */
		f.name = syms[i].name;
		f.section = shstr + s->sh_name;
		f.offset = syms[i].value;
		f.size = syms[i].size;
		f.bytes = map + s->sh_offset + syms[i].value;
		fn(&f, arg);
		count++;
	}
	free(syms);
	munmap((void *)map, st.st_size);
	return count;
}

#endif /* KEDR_KOFILE_H */
