#include "cd_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_error.h"

static int refuse(int fd, char *buf, size_t n, int rc)
{
	if (buf) {
		explicit_bzero(buf, n);
		free(buf);
	}
	close(fd);
	return rc;
}

int cd_file_read(const char *what, const char *path, size_t max,
                 unsigned flags, char **out, size_t *len, char *err,
                 size_t errlen)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cd_fail(err, errlen, CD_EINVAL, "%s: cannot open %s: %s",
		               what, path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return refuse(fd, NULL, 0, cd_fail(err, errlen, CD_EINVAL,
		              "%s: %s: %s", what, path, strerror(errno)));
	if (!S_ISREG(sb.st_mode))
		return refuse(fd, NULL, 0, cd_fail(err, errlen, CD_EINVAL,
		              "%s: %s is not a regular file", what, path));
	/* A key, or hashes that let whoever reads them try guesses
	 * offline; a writer could swap in its own. */
	if ((flags & CD_FILE_PRIVATE) && (sb.st_mode & 077))
		return refuse(fd, NULL, 0, cd_fail(err, errlen, CD_EINVAL,
		              "%s: %s has mode %04o: group or others may read "
		              "or write it (chmod 600 %s)", what, path,
		              (unsigned)(sb.st_mode & 07777), path));
	if ((unsigned long long)sb.st_size > max)
		return refuse(fd, NULL, 0, cd_fail(err, errlen, CD_EINVAL,
		              "%s: %s is larger than %zu bytes", what, path,
		              max));
	/* One byte more than fstat said: reading it means the file grew. */
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return refuse(fd, NULL, 0, cd_fail(err, errlen, CD_ENOMEM,
		              "out of memory"));
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return refuse(fd, buf, n, cd_fail(err, errlen,
			              CD_EINVAL, "%s: cannot read %s: %s", what,
			              path, strerror(errno)));
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			return refuse(fd, buf, n, cd_fail(err, errlen,
			              CD_EINVAL, "%s: %s changed while being "
			              "read", what, path));
	}
	if (n != (size_t)sb.st_size)
		return refuse(fd, buf, n, cd_fail(err, errlen, CD_EINVAL,
		              "%s: %s changed while being read", what, path));
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return CD_OK;
}
