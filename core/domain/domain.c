#include "core/domain/domain.h"

#include <string.h>

#include "core/base/names.h"

static const char *const kind_codes[KIND_COUNT] = {"single",     "cpi_initial", "mapa_block", "hub",
                                                   "department", "prerecorded", "mandatory"};
static const char *const delivery_codes[DELIVERY_COUNT] = {"face-to-face", "live-teams",
                                                           "prerecorded"};
static const char *const delivery_names[DELIVERY_COUNT] = {"Face to face", "Live Teams",
                                                           "Pre-recorded"};
static const char *const frequency_codes[] = {"", "annual", "2-yearly", "3-yearly",
                                              "initial-then-annual"};
static const char *const source_codes[SOURCE_COUNT] = {"live-teams", "prerecorded", "mandatory"};

const char *domain_kind_code(enum course_kind kind)
{
    return names_of(kind_codes, KIND_COUNT, (int)kind);
}

int domain_kind_parse(const char *code)
{
    return names_parse(kind_codes, KIND_COUNT, code);
}

const char *domain_delivery_code(enum delivery delivery)
{
    return names_of(delivery_codes, DELIVERY_COUNT, (int)delivery);
}

const char *domain_delivery_name(enum delivery delivery)
{
    return names_of(delivery_names, DELIVERY_COUNT, (int)delivery);
}

int domain_delivery_parse(const char *code)
{
    return names_parse(delivery_codes, DELIVERY_COUNT, code);
}

const char *domain_frequency_code(enum frequency frequency)
{
    return names_of(frequency_codes, FREQ_INITIAL_ANNUAL + 1, (int)frequency);
}

int domain_frequency_parse(const char *code)
{
    return names_parse(frequency_codes, FREQ_INITIAL_ANNUAL + 1, code);
}

int domain_frequency_months(enum frequency frequency)
{
    switch (frequency) {
    case FREQ_ANNUAL:
    case FREQ_INITIAL_ANNUAL:
        return 12;
    case FREQ_2_YEARLY:
        return 24;
    case FREQ_3_YEARLY:
        return 36;
    default:
        return 0;
    }
}

const char *domain_source_code(enum external_source source)
{
    return names_of(source_codes, SOURCE_COUNT, (int)source);
}

int domain_source_parse(const char *code)
{
    return names_parse(source_codes, SOURCE_COUNT, code);
}

bool domain_session_recordable(const struct session *session)
{
    return session->delivery == DELIVERY_FACE_TO_FACE && session->kind != KIND_PRERECORDED &&
           session->kind != KIND_MANDATORY;
}

bool domain_kind_zero_credit(enum course_kind kind)
{
    return kind == KIND_HUB || kind == KIND_DEPARTMENT;
}

bool domain_category_repeatable(const char *category)
{
    return strcmp(category, "flexible-online") == 0;
}
