/* test-convex-response.c — every answer a deployment (or anything at its
 * address) may send, classified without a crash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-page-walk.h"

#define OK (-1)

static const struct {
  guint       status;
  const char *body;
  GQuark    (*domain) (void); /* NULL for OK */
  int         expected;   /* a code of that domain, or OK */
} cases[] = {
  /* what a deployment sends */
  { 200, "{\"status\":\"success\",\"value\":{\"app\":\"cairn\"}}", NULL, OK },
  { 200, "{\"status\":\"success\",\"value\":null,\"logLines\":[]}", NULL, OK },
  { 560, "{\"status\":\"success\",\"value\":1}", NULL, OK },
  { 200, "{\"status\":\"error\",\"errorMessage\":\"[Request ID: 0123456789abcdef] Server Error\\nUncaught Error: boom\\n    at x\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_FUNCTION_FAILED },
  { 200, "{\"status\":\"error\",\"errorMessage\":\"Could not find public function for 'cairn:ping'.\\n\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_NOT_SET_UP },
  { 200, "{\"status\":\"error\",\"errorMessage\":\"[Request ID: 0123456789abcdef] Server Error\\nUncaught Error: Value is too large (1.1 MiB > maximum size 1 MiB)\\n\"}", cairn_store_error_quark, CAIRN_STORE_ERROR_INVALID_INPUT },
  { 200, "{\"status\":\"error\",\"errorMessage\":\"x\",\"errorData\":{\"code\":\"NotFound\",\"message\":\"gone\"}}", cairn_store_error_quark, CAIRN_STORE_ERROR_NOT_FOUND },
  { 200, "{\"status\":\"error\",\"errorMessage\":\"x\",\"errorData\":{\"code\":\"InvalidDocument\",\"message\":\"bad\"}}", cairn_store_error_quark, CAIRN_STORE_ERROR_INVALID_INPUT },
  { 401, "{\"code\":\"BadAdminKey\",\"message\":\"The provided admin key was invalid for this instance\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
  { 403, "{\"code\":\"OperationNotPermitted\",\"message\":\"no\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_READ_ONLY },
  { 400, "{\"code\":\"BadJsonBody\",\"message\":\"too big\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_REQUEST },
  { 429, "{\"code\":\"RateLimited\",\"message\":\"slow down\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_SERVER },
  { 503, "{\"code\":\"ServiceUnavailable\",\"message\":\"later\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_SERVER },
  /* empty bodies, any status */
  { 200, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 404, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_NOT_CONVEX },
  { 408, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_TIMEOUT },
  { 502, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_SERVER },
  { 401, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
  { 418, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_REQUEST },
  { 204, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 100, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  /* redirects are never followed */
  { 301, "", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_REDIRECTED },
  { 308, "<html>moved</html>", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_REDIRECTED },
  /* wrong types */
  { 200, "{\"status\":1}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "{\"status\":\"success\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "{\"status\":\"error\",\"errorMessage\":5,\"errorData\":{\"code\":5,\"message\":\"x\"}}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_FUNCTION_FAILED },
  { 200, "{\"status\":\"error\",\"errorMessage\":5,\"errorData\":{\"code\":5,\"message\":[]}}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_FUNCTION_FAILED },
  { 200, "{\"status\":\"error\",\"errorData\":5}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_FUNCTION_FAILED },
  { 503, "{\"code\":null,\"message\":5}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_SERVER },
  { 401, "{\"code\":7}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
  { 403, "{\"code\":[\"OperationNotPermitted\"]}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
  { 200, "[]", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "\"success\"", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "null", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  /* not JSON at all */
  { 200, "<html><body>Welcome to nginx!</body></html>", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "{\"status\":\"success\",\"value\":{\"page\":[", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "{\"status\":\"success\",\"value\":\"\xff\xfe\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 502, "<html>Bad Gateway</html>", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_SERVER },
  /* json-glib would cut this string at the NUL: refused instead */
  { 200, "{\"status\":\"success\",\"value\":\"x\\u0000y\"}", cairn_convex_error_quark, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
  { 200, "{\"status\":\"success\",\"value\":\"x\\\\u0000y\"}", NULL, OK },
  /* Convex's encoded values, well and badly formed */
  { 200, "{\"status\":\"success\",\"value\":{\"$integer\":\"AQAAAAAAAAA=\"}}", NULL, OK },
  { 200, "{\"status\":\"success\",\"value\":{\"$integer\":\"AAAA\"}}", NULL, OK },
  { 200, "{\"status\":\"success\",\"value\":{\"$float\":5}}", NULL, OK },
  { 200, "{\"status\":\"success\",\"value\":{\"$bytes\":[]}}", NULL, OK },
  { 200, "{\"status\":\"success\",\"value\":1e999}", NULL, OK },
};

static void
test_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) value = NULL;

      value = cairn_convex_response_parse (cases[i].status, cases[i].body, strlen (cases[i].body),
                                           NULL, &error);
      g_test_message ("%u %s -> %s", cases[i].status, cases[i].body, error != NULL ? error->message : "value");
      if (cases[i].expected == OK)
        {
          g_assert_no_error (error);
          g_assert_nonnull (value);
        }
      else
        {
          g_assert_null (value);
          g_assert_error (error, cases[i].domain (), cases[i].expected);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }
}

/* What the push routes (/api/deploy2/…) answer: plain JSON, or why not. */
static const struct {
  guint       status;
  const char *body;
  int         expected;      /* a CAIRN_CONVEX_ERROR code, or OK */
  const char *message_part;  /* (nullable) in the error's text */
} admin_cases[] = {
  { 200, "{\"schemaChange\":{\"schemaIds\":{}}}", OK, NULL },
  { 200, "{\"type\":\"complete\"}", OK, NULL },
  { 200, "null", OK, NULL },
  { 200, "", CAIRN_CONVEX_ERROR_BAD_RESPONSE, NULL },
  { 200, "<html>nginx</html>", CAIRN_CONVEX_ERROR_BAD_RESPONSE, NULL },
  { 400, "{\"code\":\"InvalidConfig\",\"message\":\"Invalid udfServerVersion 9\"}",
    CAIRN_CONVEX_ERROR_PUSH_REFUSED, "Invalid udfServerVersion 9" },
  { 400, "{\"code\":\"StartPushFailed\",\"message\":\"Hit an error while pushing:\nUncaught Error: boom\"}",
    CAIRN_CONVEX_ERROR_PUSH_REFUSED, "Hit an error while pushing" },
  { 400, "{\"code\":\"ConcurrentPush\",\"message\":\"another push\"}", CAIRN_CONVEX_ERROR_PUSH_RACE, NULL },
  { 400, "{\"code\":\"RaceDetected\",\"message\":\"env changed\"}", CAIRN_CONVEX_ERROR_PUSH_RACE, NULL },
  { 400, "{\"code\":\"BadJsonBody\",\"message\":\"missing field\"}", CAIRN_CONVEX_ERROR_BAD_REQUEST, NULL },
  { 400, "", CAIRN_CONVEX_ERROR_PUSH_REFUSED, "Bad Request" },
  { 409, "{\"code\":\"MissingExistingModule\",\"message\":\"no module with hash 12\"}",
    CAIRN_CONVEX_ERROR_PUSH_REFUSED, "no module with hash 12" },
  { 401, "{\"code\":\"BadAdminKey\",\"message\":\"The provided admin key was invalid for this instance\"}",
    CAIRN_CONVEX_ERROR_UNAUTHORIZED, NULL },
  { 403, "{\"code\":\"OperationNotPermitted\",\"message\":\"no\"}", CAIRN_CONVEX_ERROR_READ_ONLY, "may not change" },
  { 403, "", CAIRN_CONVEX_ERROR_READ_ONLY, NULL },
  { 404, "", CAIRN_CONVEX_ERROR_NOT_CONVEX, NULL },
  { 500, "{\"code\":\"InternalServerError\",\"message\":\"oops\"}", CAIRN_CONVEX_ERROR_SERVER, NULL },
  { 302, "", CAIRN_CONVEX_ERROR_REDIRECTED, NULL },
  { 400, "{\"code\":5,\"message\":[]}", CAIRN_CONVEX_ERROR_PUSH_REFUSED, NULL },
};

static void
test_admin_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (admin_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) value = NULL;

      value = cairn_convex_admin_response_parse (admin_cases[i].status, admin_cases[i].body,
                                                 strlen (admin_cases[i].body), NULL, &error);
      g_test_message ("%u %s -> %s", admin_cases[i].status, admin_cases[i].body,
                      error != NULL ? error->message : "value");
      if (admin_cases[i].expected == OK)
        {
          g_assert_no_error (error);
          g_assert_nonnull (value);
          continue;
        }

      g_assert_null (value);
      g_assert_error (error, CAIRN_CONVEX_ERROR, admin_cases[i].expected);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      if (admin_cases[i].message_part != NULL)
        g_assert_nonnull (strstr (error->message, admin_cases[i].message_part));
    }
}

/* A refused push names the server's reason, bounded. */
static void
test_admin_text_bounded (void)
{
  g_autofree char *reason = g_strnfill (100000, 'x');
  g_autofree char *body = g_strdup_printf ("{\"code\":\"InvalidConfig\",\"message\":\"%s\"}", reason);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_admin_response_parse (400, body, strlen (body), NULL, &error);

  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_PUSH_REFUSED);
  g_assert_cmpuint (strlen (error->message), <, CAIRN_CONVEX_MAX_SERVER_TEXT + 200);
}

static char *
nested (guint depth)
{
  GString *text = g_string_new ("{\"status\":\"success\",\"value\":");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');

  return g_string_free (text, FALSE);
}

/* 100 000 levels would overflow the stack of a recursive parser. */
static void
test_depth (void)
{
  g_autofree char *deep = nested (100000);
  g_autofree char *limit = nested (CAIRN_JSON_MAX_DEPTH - 1);
  g_autofree char *over = nested (CAIRN_JSON_MAX_DEPTH);
  g_autofree char *in_string = g_strdup_printf ("{\"status\":\"success\",\"value\":\"%s\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  value = cairn_convex_response_parse (200, deep, strlen (deep), NULL, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* the outer object counts as a level */
  value = cairn_convex_response_parse (200, over, strlen (over), NULL, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  value = cairn_convex_response_parse (200, limit, strlen (limit), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (value));
  g_clear_pointer (&value, json_node_unref);

  /* brackets inside a string are text */
  value = cairn_convex_response_parse (200, in_string, strlen (in_string), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (value), ==,
                   "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"");
}

static void
test_redirect_names_host (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_response_parse (302, "", 0, "https://login.example.net/portal?x=1", &error);

  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_REDIRECTED);
  g_assert_nonnull (strstr (error->message, "login.example.net"));
  g_assert_null (strstr (error->message, "portal"));
}

/* Server text in an error: no control characters, bounded. */
static void
test_server_text_bounded (void)
{
  g_autoptr(GString) body = g_string_new ("{\"code\":\"ServiceUnavailable\",\"message\":\"a\\u0007b\\u001b[31m");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  for (guint i = 0; i < 10000; i++)
    g_string_append (body, "long ");
  g_string_append (body, "\"}");

  value = cairn_convex_response_parse (503, body->str, body->len, NULL, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER);
  g_assert_null (strchr (error->message, '\007'));
  g_assert_null (strchr (error->message, '\033'));
  g_assert_cmpuint (strlen (error->message), <, CAIRN_CONVEX_MAX_SERVER_TEXT + 200);
}

static void
test_decode (void)
{
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = "{\"status\":\"success\",\"value\":{\"n\":{\"$integer\":\"KgAAAAAAAAA=\"},"
                     "\"f\":{\"$float\":\"AAAAAAAA8H8=\"},\"b\":{\"$bytes\":\"AQI=\"},\"s\":\"x\"}}";

  value = cairn_convex_response_parse (200, body, strlen (body), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (value), "n"), ==, 42);
  g_assert_true (isinf (json_object_get_double_member (json_node_get_object (value), "f")));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (value), "b"), ==, "AQI=");
}

/* Page walks ------------------------------------------------------------------ */

static CairnPage *
page_of (const char *cursor,
         gboolean    done,
         ...)
{
  CairnPage *page = cairn_page_new ();
  const char *client_id;
  va_list args;

  va_start (args, done);
  while ((client_id = va_arg (args, const char *)) != NULL)
    {
      JsonObject *document = json_object_new ();

      json_object_set_string_member (document, "clientId", client_id);
      g_ptr_array_add (page->documents, document);
    }
  va_end (args);
  page->cursor = g_strdup (cursor);
  page->done = done;

  return page;
}

static void
test_walk (void)
{
  g_autoptr(CairnPageWalk) walk = cairn_page_walk_new ("notes");
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) first = page_of ("c1", FALSE, "a", "b", NULL);
  g_autoptr(CairnPage) second = page_of ("c2", FALSE, "c", NULL);
  g_autoptr(CairnPage) last = page_of (NULL, TRUE, "d", NULL);
  g_autoptr(CairnPage) same_cursor = page_of ("c1", FALSE, "e", NULL);
  g_autoptr(CairnPage) same_documents = page_of ("c9", FALSE, "a", "b", NULL);
  g_autoptr(CairnPage) empty = page_of ("c10", FALSE, NULL);

  /* an ordinary walk, then the same walk again from the start */
  for (guint round = 0; round < 2; round++)
    {
      g_assert_true (cairn_page_walk_step (walk, NULL, first, &error));
      g_assert_true (cairn_page_walk_step (walk, "c1", second, &error));
      g_assert_true (cairn_page_walk_step (walk, "c2", last, &error));
      g_assert_no_error (error);
    }

  /* the cursor comes back */
  g_assert_true (cairn_page_walk_step (walk, NULL, first, &error));
  g_assert_false (cairn_page_walk_step (walk, "c1", same_cursor, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* a new cursor, nothing new behind it */
  g_assert_true (cairn_page_walk_step (walk, NULL, first, &error));
  g_assert_false (cairn_page_walk_step (walk, "c1", same_documents, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* empty pages are allowed for a while, not for ever */
  g_assert_true (cairn_page_walk_step (walk, NULL, first, &error));
  for (guint i = 0; i < CAIRN_PAGE_WALK_MAX_EMPTY_PAGES; i++)
    {
      g_free (empty->cursor);
      empty->cursor = g_strdup_printf ("empty-%u", i);
      g_assert_true (cairn_page_walk_step (walk, i == 0 ? "c1" : "x", empty, &error));
    }
  g_free (empty->cursor);
  empty->cursor = g_strdup ("one-more");
  g_assert_false (cairn_page_walk_step (walk, "y", empty, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/convex-response/cases", test_cases);
  g_test_add_func ("/convex-response/admin-cases", test_admin_cases);
  g_test_add_func ("/convex-response/admin-text-bounded", test_admin_text_bounded);
  g_test_add_func ("/convex-response/depth", test_depth);
  g_test_add_func ("/convex-response/redirect-names-host", test_redirect_names_host);
  g_test_add_func ("/convex-response/server-text-bounded", test_server_text_bounded);
  g_test_add_func ("/convex-response/decode", test_decode);
  g_test_add_func ("/page-walk/endless", test_walk);

  return g_test_run ();
}
