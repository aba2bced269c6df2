/*
 * Helpers shared by the libFuzzer harnesses (tests/fuzz): checks that abort with a message,
 * so that libFuzzer keeps the input as a crash, and the shape checks of field errors.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a failure is a finding, kept by libFuzzer. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* @return a new NUL-terminated copy of @a size bytes (an embedded NUL cuts it, as in C). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/*
 * Every entry of a field-error array is {field, message: text}; with @a prefix, the field is a
 * JSON Pointer at or under it.
 */
static inline void fuzz_check_errors(json_t *errors, const char *prefix)
{
    FUZZ_CHECK(json_is_array(errors));
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        FUZZ_CHECK(json_is_object(e) && json_object_size(e) == 2);
        const char *field = json_string_value(json_object_get(e, "field"));
        const char *message = json_string_value(json_object_get(e, "message"));
        FUZZ_CHECK(field != NULL && message != NULL && message[0] != '\0');
        if (prefix == NULL)
            continue;
        FUZZ_CHECK(strncmp(field, prefix, strlen(prefix)) == 0);
        FUZZ_CHECK(field[strlen(prefix)] == '\0' || field[strlen(prefix)] == '/');
    }
}

/* @a field is "" or an RFC 6901 JSON Pointer: "/" tokens, each "~" followed by 0 or 1. */
static inline void fuzz_check_pointer(const char *field)
{
    FUZZ_CHECK(field != NULL && (field[0] == '\0' || field[0] == '/'));
    for (const char *p = field; *p; p++)
        if (*p == '~')
            FUZZ_CHECK(p[1] == '0' || p[1] == '1');
    json_t *text = json_string(field); /* NULL unless valid UTF-8 */
    FUZZ_CHECK(text != NULL);
    json_decref(text);
}

/* A problem written into @a res is application/problem+json whose status is the response's. */
static inline void fuzz_check_problem(const struct http_res *res)
{
    FUZZ_CHECK(res->status >= 400 && res->status < 600 && res->body != NULL);
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    FUZZ_CHECK(json_is_object(doc));
    FUZZ_CHECK(json_integer_value(json_object_get(doc, "status")) == (json_int_t)res->status);
    json_t *errors = json_object_get(doc, "errors");
    if (errors != NULL)
        fuzz_check_errors(errors, NULL);
    json_decref(doc);
}

#endif
