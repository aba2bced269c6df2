/* Router: template matching, captures, 404 versus 405 with Allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/router.h"

#include <stdlib.h>
#include <string.h>

static enum app_err h(struct http_req *req, struct http_res *res)
{
    (void)req;
    (void)res;
    return APP_OK;
}

static const struct route table[] = {
    {.method = "GET", .pattern = "/v1/users", .handler = h},
    {.method = "POST", .pattern = "/v1/users", .handler = h},
    {.method = "GET", .pattern = "/v1/users/{id}", .handler = h},
    {.method = "PATCH", .pattern = "/v1/users/{id}", .handler = h},
    {.method = "GET", .pattern = "/v1/resolutions/{id}/recommendations/{code}", .handler = h},
    {.pattern = NULL},
};

static void free_params(char **params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(params[i]);
}

static void test_exact_and_captures(void **state)
{
    (void)state;
    const struct route *r;
    char *params[HTTP_MAX_PARAMS];
    size_t n;
    char allow[64];
    assert_int_equal(router_match(table, "GET", "/v1/users", &r, params, &n, allow, sizeof allow),
                     ROUTE_FOUND);
    assert_ptr_equal(r, &table[0]);
    assert_int_equal(n, 0);
    assert_int_equal(router_match(table, "GET", "/v1/resolutions/abc/recommendations/PS-3", &r,
                                  params, &n, allow, sizeof allow),
                     ROUTE_FOUND);
    assert_int_equal(n, 2);
    assert_string_equal(params[0], "abc");
    assert_string_equal(params[1], "PS-3");
    free_params(params, n);
}

static void test_head_is_get(void **state)
{
    (void)state;
    const struct route *r;
    char *params[HTTP_MAX_PARAMS];
    size_t n;
    char allow[64];
    assert_int_equal(router_match(table, "HEAD", "/v1/users/x", &r, params, &n, allow, sizeof allow),
                     ROUTE_FOUND);
    assert_ptr_equal(r, &table[2]);
    free_params(params, n);
}

static void test_method_not_allowed_lists_methods(void **state)
{
    (void)state;
    const struct route *r;
    char *params[HTTP_MAX_PARAMS];
    size_t n;
    char allow[64];
    assert_int_equal(router_match(table, "DELETE", "/v1/users/x", &r, params, &n, allow, sizeof allow),
                     ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "GET, PATCH");
    assert_null(r);
}

static void test_not_found(void **state)
{
    (void)state;
    const struct route *r;
    char *params[HTTP_MAX_PARAMS];
    size_t n;
    char allow[64];
    const char *paths[] = {"/", "", "/v1", "/v1/users/", "/v1/users//", "/v1/users/x/y",
                           "/v1/usersx", "//v1/users", "/v1/resolutions/a/recommendations/"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(router_match(table, "GET", paths[i], &r, params, &n, allow, sizeof allow),
                         ROUTE_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_captures),
        cmocka_unit_test(test_head_is_get),
        cmocka_unit_test(test_method_not_allowed_lists_methods),
        cmocka_unit_test(test_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
