#include "ui/sdl/fontfind.h"

#include <stdio.h>
#include <strings.h>

#include <fontconfig/fontconfig.h>

static int find(const char *family, bool bold, bool exact, char *path, size_t cap, char *family_out,
                size_t family_cap);

int fontfind(const char *family, bool bold, char *path, size_t cap)
{
    return find(family, bold, true, path, cap, NULL, 0);
}

int fontfind_any(bool bold, char *path, size_t cap, char *family_out, size_t family_cap)
{
    return find("sans-serif", bold, false, path, cap, family_out, family_cap);
}

static int find(const char *family, bool bold, bool exact, char *path, size_t cap, char *family_out,
                size_t family_cap)
{
    int rc = -1;
    FcConfig *config = FcInitLoadConfigAndFonts();
    FcPattern *pattern = FcPatternCreate();
    FcPattern *match = NULL;
    if (!config || !pattern)
        goto out;
    FcPatternAddString(pattern, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(pattern, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pattern, FC_SLANT, FC_SLANT_ROMAN);
    FcConfigSubstitute(config, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result;
    match = FcFontMatch(config, pattern, &result);
    FcChar8 *file = NULL, *found_family = NULL;
    if (!match || FcPatternGetString(match, FC_FILE, 0, &file) != FcResultMatch ||
        FcPatternGetString(match, FC_FAMILY, 0, &found_family) != FcResultMatch)
        goto out;
    if (exact && strcasecmp((const char *)found_family, family) != 0)
        goto out;
    snprintf(path, cap, "%s", (const char *)file);
    if (family_out)
        snprintf(family_out, family_cap, "%s", (const char *)found_family);
    rc = 0;
out:
    if (match)
        FcPatternDestroy(match);
    if (pattern)
        FcPatternDestroy(pattern);
    if (config)
        FcConfigDestroy(config);
    return rc;
}
