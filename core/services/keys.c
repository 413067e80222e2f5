#include "core/services/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int keys_resolve(const char *configured, const char *database, const char *file_name, char *out,
                 size_t cap)
{
    int n;
    const char *slash = strrchr(database, '/');
    if (configured && configured[0])
        n = snprintf(out, cap, "%s", configured);
    else if (!slash)
        n = snprintf(out, cap, "%s", file_name);
    else
        n = snprintf(out, cap, "%.*s/%s", (int)(slash - database), database, file_name);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return KEYS_ETOOLONG;
    }
    return KEYS_OK;
}

/* Reads exactly len bytes of hex from a 0600 file. */
static int read_hex_file(const char *path, uint8_t *out, size_t len)
{
    char text[2 * CRYPTO_SIGN_SK_BYTES + 8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? KEYS_ENOENT : KEYS_EIO;
    int err = KEYS_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err = KEYS_EIO;
        goto out;
    }
    if (st.st_mode & 0077) {
        err = KEYS_EMODE;
        goto out;
    }
    ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n < 0) {
        err = KEYS_EIO;
        goto out;
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    text[n] = '\0';
    err = crypto_unhex(out, len, text) == 0 ? KEYS_OK : KEYS_EFORMAT;
out:
    crypto_wipe(text, sizeof(text));
    close(fd);
    return err;
}

/* Writes hex + newline to a new file, 0600, then renames it into place (never half a key). */
static int write_hex_file(const char *path, const uint8_t *bytes, size_t len)
{
    char text[2 * CRYPTO_SIGN_SK_BYTES + 2];
    char tmp[4096];
    crypto_hex(text, bytes, len);
    size_t n = strlen(text);
    text[n++] = '\n';
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int err = KEYS_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    if (write(fd, text, n) == (ssize_t)n && fsync(fd) == 0)
        err = KEYS_OK;
    close(fd);
    if (err == KEYS_OK && link(tmp, path) != 0)
        err = errno == EEXIST ? KEYS_EEXIST : KEYS_EIO;
    unlink(tmp);
out:
    crypto_wipe(text, sizeof(text));
    return err;
}

int keys_init_sign(const char *path, bool *made)
{
    struct kiosk_keys k;
    *made = false;
    int err = keys_load_sign(path, &k);
    if (err == KEYS_ENOENT) {
        crypto_sign_keypair_new(k.sign_pk, k.sign_sk);
        err = write_hex_file(path, k.sign_sk, sizeof(k.sign_sk));
        *made = err == KEYS_OK;
    }
    keys_wipe(&k);
    return err;
}

int keys_init(const char *sign_path, const char *site_path, const char *site_key_hex,
              bool *made_sign, bool *made_site)
{
    struct kiosk_keys k;
    *made_site = false;
    int err = keys_init_sign(sign_path, made_sign);
    if (err != KEYS_OK)
        goto out;
    uint8_t wanted[CRYPTO_SITE_KEY_BYTES];
    if (site_key_hex && crypto_unhex(wanted, sizeof(wanted), site_key_hex) != 0) {
        err = KEYS_EFORMAT;
        goto out;
    }
    err = keys_load_site(site_path, &k);
    if (err == KEYS_OK && site_key_hex && memcmp(wanted, k.site, sizeof(wanted)) != 0)
        err = KEYS_EEXIST;
    if (err == KEYS_ENOENT) {
        if (site_key_hex)
            memcpy(k.site, wanted, sizeof(wanted));
        else
            crypto_random(k.site, sizeof(k.site));
        err = write_hex_file(site_path, k.site, sizeof(k.site));
        *made_site = err == KEYS_OK;
    }
    crypto_wipe(wanted, sizeof(wanted));
out:
    keys_wipe(&k);
    return err;
}

int keys_load_sign(const char *path, struct kiosk_keys *keys)
{
    int err = read_hex_file(path, keys->sign_sk, sizeof(keys->sign_sk));
    if (err == KEYS_OK)
        crypto_sign_public_of(keys->sign_sk, keys->sign_pk);
    return err;
}

int keys_load_site(const char *path, struct kiosk_keys *keys)
{
    return read_hex_file(path, keys->site, sizeof(keys->site));
}

void keys_wipe(struct kiosk_keys *keys)
{
    crypto_wipe(keys, sizeof(*keys));
}
