#ifndef BULWARK_STRLIST_H
#define BULWARK_STRLIST_H

#include <stddef.h>

/*
 * A growable list of owned, NUL-terminated strings. items[nr] is always
 * NULL, so `items` can be passed as an argv. strlist_push copies its
 * argument; strlist_release frees every string and the array.
 */
struct strlist {
	char **items;
	size_t nr;
	size_t alloc;
};

#define STRLIST_INIT                                                           \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void strlist_init(struct strlist *l);
void strlist_release(struct strlist *l);
/* Returns the stored copy. */
char *strlist_push(struct strlist *l, const char *s);
/* Takes ownership of s (malloc'd). */
char *strlist_push_owned(struct strlist *l, char *s);
void strlist_sort(struct strlist *l);
/* Removes adjacent duplicates (sort first). */
void strlist_uniq(struct strlist *l);
/* Split s on sep (empty fields kept unless skip_empty). */
void strlist_split(struct strlist *l, const char *s, char sep, int skip_empty);

#endif
