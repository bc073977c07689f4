#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/strlist.h"
#include "common/xalloc.h"

void
strlist_init(struct strlist *l)
{
	l->items = NULL;
	l->nr = 0;
	l->alloc = 0;
}

void
strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	strlist_init(l);
}

char *
strlist_push_owned(struct strlist *l, char *s)
{
	xgrow((void **)&l->items, &l->alloc, l->nr + 2, sizeof(*l->items));
	l->items[l->nr++] = s;
	l->items[l->nr] = NULL;
	return s;
}

char *
strlist_push(struct strlist *l, const char *s)
{
	return strlist_push_owned(l, xstrdup(s));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strlist_sort(struct strlist *l)
{
	if (l->nr > 1)
		qsort(l->items, l->nr, sizeof(*l->items), cmp_str);
}

void
strlist_uniq(struct strlist *l)
{
	size_t i, j = 0;

	for (i = 0; i < l->nr; i++) {
		if (j > 0 && strcmp(l->items[j - 1], l->items[i]) == 0) {
			free(l->items[i]);
			continue;
		}
		l->items[j++] = l->items[i];
	}
	l->nr = j;
	if (l->items)
		l->items[j] = NULL;
}

void
strlist_split(struct strlist *l, const char *s, char sep, int skip_empty)
{
	const char *p = s, *e;

	for (;;) {
		e = strchr(p, sep);
		if (e == NULL)
			e = p + strlen(p);
		if (!(skip_empty && e == p))
			strlist_push_owned(l, xstrndup(p, (size_t)(e - p)));
		if (*e == '\0')
			break;
		p = e + 1;
	}
}
