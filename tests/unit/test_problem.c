/* Errors: the status table and the problem+json shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "http/http.h"

#include <string.h>

static void test_status_table(void **state)
{
    (void)state;
    assert_int_equal(app_err_http_status(APP_ERR_NOT_FOUND), 404);
    assert_int_equal(app_err_http_status(APP_ERR_PRECONDITION_REQ), 428);
    assert_int_equal(app_err_http_status(APP_ERR_TOO_LARGE), 413);
    assert_int_equal(app_err_http_status(APP_ERR_UNAVAILABLE), 503);
    assert_int_equal(app_err_http_status((enum app_err)999), 500);
    for (int e = APP_ERR_BAD_REQUEST; e < APP_ERR__COUNT; e++) {
        assert_true(app_err_http_status((enum app_err)e) >= 400);
        assert_true(strlen(app_err_code((enum app_err)e)) > 0);
    }
}

static void test_problem_body(void **state)
{
    (void)state;
    struct http_req req;
    struct http_res res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    strcpy(req.request_id, "abc-1");
    http_problem_field(&req, &res, APP_ERR_INVALID, "bad body", "/title/en", "must not be empty");
    assert_int_equal(res.status, 400);
    assert_string_equal(res.content_type, "application/problem+json");
    json_t *doc = json_loadb(res.body, res.body_len, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "type")),
                        "/problems/validation_failed");
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 400);
    assert_string_equal(json_string_value(json_object_get(doc, "request_id")), "abc-1");
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "bad body");
    json_t *err = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(err, "field")), "/title/en");
    json_decref(doc);
    http_res_cleanup(&res);
}

/* A parser's message that quotes the client's bytes (not UTF-8) still gives one error entry. */
static void test_problem_message_not_utf8(void **state)
{
    (void)state;
    struct http_req req;
    struct http_res res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    http_problem_field(&req, &res, APP_ERR_BAD_REQUEST, "near \xcf\x9d\xdd", "", "near '\xcf\x9d\xdd~'");
    json_t *doc = json_loadb(res.body, res.body_len, 0, NULL);
    assert_non_null(doc);
    json_t *errors = json_object_get(doc, "errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "");
    assert_non_null(json_string_value(json_object_get(json_array_get(errors, 0), "message")));
    json_decref(doc);
    http_res_cleanup(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_problem_body),
        cmocka_unit_test(test_problem_message_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
