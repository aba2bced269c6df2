/**
 * @file err.h
 * @brief The application's error codes and their HTTP statuses.
 *
 * One enum, 0 = success, used by every layer above the libraries. The table in err.c maps each
 * code to the HTTP status and the stable `code` string of the problem+json body.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

enum app_err {
    APP_OK = 0,
    APP_ERR_BAD_REQUEST,        /* 400: unparseable input, bad query parameter */
    APP_ERR_INVALID,            /* 400: a body that parses but breaks a rule */
    APP_ERR_UNAUTHORIZED,       /* 401 */
    APP_ERR_FORBIDDEN,          /* 403 */
    APP_ERR_NOT_FOUND,          /* 404 */
    APP_ERR_METHOD,             /* 405 */
    APP_ERR_NOT_ACCEPTABLE,     /* 406 */
    APP_ERR_CONFLICT,           /* 409 */
    APP_ERR_PRECONDITION,       /* 412 */
    APP_ERR_TOO_LARGE,          /* 413 */
    APP_ERR_MEDIA_TYPE,         /* 415 */
    APP_ERR_UNPROCESSABLE,      /* 422 */
    APP_ERR_PRECONDITION_REQ,   /* 428 */
    APP_ERR_INTERNAL,           /* 500 */
    APP_ERR_UNAVAILABLE,        /* 503 */
    APP_ERR_TIMEOUT,            /* 504 */
    APP_ERR__COUNT
};

/** @return the HTTP status for @a e (500 for an unknown value). */
unsigned app_err_http_status(enum app_err e);

/** @return the stable snake_case code for @a e (borrowed, static). */
const char *app_err_code(enum app_err e);

/** @return the short human title for @a e (borrowed, static). */
const char *app_err_title(enum app_err e);

#endif
