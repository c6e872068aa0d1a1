/* cd_utf8.c — one strict UTF-8 sequence (see cd_utf8.h). */
#include "cd_utf8.h"

size_t cd_utf8_len(const unsigned char *p, size_t avail)
{
	if (avail == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
	         : p[0] >= 0xe0 && p[0] <= 0xef ? 3
	         : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	if (n == 0 || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* The second byte's range rules out overlongs (E0, F0), surrogates
	 * (ED) and code points past U+10FFFF (F4). */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}
