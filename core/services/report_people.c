/* The people a report covers (report_internal.h): the active ones, or the one asked for by
 * staff number (a leaver's record is kept), an academy's, or a list's; by academy then name. */
#include "core/services/report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"

static int keep_person(void *ctx, const struct person *p, int badges)
{
    (void)badges;
    struct report_people *ps = ctx;
    const struct report_filter *f = ps->filter;
    /* A leaver's record is kept: asked for by staff number, it is reported like anyone's. */
    bool asked = f && f->staff_no && strcmp(p->staff_no, f->staff_no) == 0;
    if ((!p->active && !asked) || (f && f->staff_no && !asked) ||
        (f && f->academy && strcmp(p->academy, f->academy) != 0))
        return 0;
    bool listed = !f || !f->person_ids;
    for (size_t i = 0; !listed && i < f->n_person_ids; i++)
        listed = f->person_ids[i] == p->id;
    if (!listed)
        return 0;
    struct person *grown = grow(ps->list, &ps->cap, ps->n, sizeof(*grown), 64);
    if (!grown) {
        ps->err = STORE_ENOMEM;
        return CPD_STOP;
    }
    ps->list = grown;
    ps->list[ps->n++] = *p;
    return 0;
}

static int by_academy(const void *a, const void *b)
{
    const struct person *x = a, *y = b;
    int c = strcoll(x->academy, y->academy);
    return c ? c : strcoll(x->name, y->name);
}

void report_told(const struct report_filter *filter, size_t done, size_t total)
{
    if (filter && filter->progress && (done % 64 == 0 || done + 1 == total))
        filter->progress(filter->progress_ctx, done + 1 == total ? total : done, total);
}

int report_people_load(struct store *store, struct report_people *ps)
{
    int err = store_people_each(store, keep_person, ps);
    if (err == CPD_STOP || ps->err)
        err = ps->err;
    if (err == STORE_OK && ps->n)
        qsort(ps->list, ps->n, sizeof(ps->list[0]), by_academy);
    return err;
}
