#include "core/domain/payload.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

int payload_write(char *out, size_t cap, const struct payload_field *fields, size_t n)
{
    int rc = PAYLOAD_EINVALID;
    json_t *obj = json_object();
    if (!obj)
        return PAYLOAD_EINVALID;
    for (size_t i = 0; i < n; i++) {
        const struct payload_field *f = &fields[i];
        json_t *v = f->type == PAYLOAD_INT    ? json_integer(f->i)
                    : f->type == PAYLOAD_BOOL ? json_boolean(f->i)
                                              : json_string(f->s ? f->s : "");
        if (!v || json_object_set_new(obj, f->key, v) != 0)
            goto out;
    }
    size_t need = json_dumpb(obj, NULL, 0, CANONICAL_FLAGS);
    if (need == 0 || need + 1 > cap) {
        rc = PAYLOAD_ETOOBIG;
        goto out;
    }
    json_dumpb(obj, out, cap, CANONICAL_FLAGS);
    out[need] = '\0';
    rc = PAYLOAD_OK;
out:
    json_decref(obj);
    return rc;
}

static json_t *load_member(const char *payload, const char *key, json_t **root)
{
    *root = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
    if (!*root || !json_is_object(*root))
        return NULL;
    return json_object_get(*root, key);
}

int payload_get_int(const char *payload, const char *key, int64_t *out)
{
    json_t *root = NULL;
    json_t *v = load_member(payload, key, &root);
    int rc = PAYLOAD_ENOTFOUND;
    if (v && json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        rc = PAYLOAD_OK;
    }
    json_decref(root);
    return rc;
}

int payload_get_bool(const char *payload, const char *key, bool *out)
{
    json_t *root = NULL;
    json_t *v = load_member(payload, key, &root);
    int rc = PAYLOAD_ENOTFOUND;
    if (v && json_is_boolean(v)) {
        *out = json_is_true(v);
        rc = PAYLOAD_OK;
    }
    json_decref(root);
    return rc;
}

int payload_get_str(const char *payload, const char *key, char *out, size_t cap)
{
    json_t *root = NULL;
    json_t *v = load_member(payload, key, &root);
    int rc = PAYLOAD_ENOTFOUND;
    if (v && json_is_string(v)) {
        const char *s = json_string_value(v);
        rc = strlen(s) < cap ? PAYLOAD_OK : PAYLOAD_ETOOBIG;
        if (rc == PAYLOAD_OK)
            memcpy(out, s, strlen(s) + 1);
    }
    json_decref(root);
    return rc;
}

int payload_check_object(const char *payload)
{
    json_t *root = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
    int rc = root && json_is_object(root) ? PAYLOAD_OK : PAYLOAD_EINVALID;
    json_decref(root);
    return rc;
}

int payload_check(const char *payload)
{
    json_t *root = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
    int rc = PAYLOAD_EINVALID;
    if (root && json_is_object(root)) {
        char *again = json_dumps(root, CANONICAL_FLAGS);
        if (again && strcmp(again, payload) == 0)
            rc = PAYLOAD_OK;
        free(again);
    }
    json_decref(root);
    return rc;
}
