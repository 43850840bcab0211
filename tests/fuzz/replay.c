/*
 * The ordinary suite's driver of a fuzz harness: feeds it every file of
 * the directories given (its seed corpus and the inputs that once crashed
 * it, tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/),
 * built with the suite's compiler, so that both CI builds (plain and
 * ASan+UBSan) replay them. A directory that does not exist holds nothing;
 * no input at all is a failure (a corpus went missing).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL, *exact;
	size_t size = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (size == cap && !(data = realloc(data, cap = cap ? 2 * cap : 4096)))
			abort();
		n = fread(data + size, 1, cap - size, f);
		size += n;
	} while (n);
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
	/* Exactly `size` bytes, as libFuzzer gives them, so that ASan sees a
	 * read one past the end. */
	if (!(exact = malloc(size ? size : 1)))
		abort();
	memcpy(exact, data, size);
	free(data);
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	return 0;
}

static long replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	long count = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!(names = realloc(names, (n + 1) * sizeof(*names))) ||
		    !(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
			abort();
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (count >= 0 && replay_file(names[i]) == 0)
			count++;
		else
			count = -1;
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		long n = replay_dir(argv[i]);
		if (n < 0) {
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			return 1;
		}
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input in the directories given\n");
		return 1;
	}
	printf("replayed %ld inputs\n", total);
	return 0;
}
