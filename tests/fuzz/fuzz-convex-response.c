/* fuzz-convex-response.c — a deployment's answer, as hostile as it gets
 *
 * Input: two bytes choosing the HTTP status, then the body. A first byte
 * of 0 picks the second from a list of statuses the classifier treats
 * specially (so the fuzzer need not guess them); any other pair is the
 * status itself, big-endian. For a redirect the body doubles as the
 * Location header, the only other thing the server controls. Each input
 * goes through both classifiers: a function call's and a push route's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "fuzz-common.h"

static const guint statuses[] = {
  200, 560, 204, 301, 302, 307, 308, 400, 401, 403, 404, 408, 409, 429,
  500, 502, 503, 504,
  /* the edges of each class, and what no Convex deployment sends */
  0, 1, 100, 101, 199, 201, 299, 300, 303, 399, 402, 418, 499, 501, 505,
  559, 561, 599, 600, 999,
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_one (guint       status,
           const char *body,
           gsize       length,
           const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = cairn_convex_response_parse (status, body, length, location, &error);

  /* the contract every caller relies on: a value or a reason, never both */
  fuzz_check ((node != NULL) != (error != NULL));

  if (node != NULL)
    {
      fuzz_check (status == 200 || status == 560);
      return;
    }

  fuzz_check (error->domain == CAIRN_CONVEX_ERROR || error->domain == CAIRN_STORE_ERROR);
  fuzz_check (error->message != NULL && *error->message != '\0');
  /* server text ends up in the UI: it must have been made valid UTF-8 */
  fuzz_check (g_utf8_validate (error->message, -1, NULL));
  if (status >= 300 && status < 400)
    fuzz_check (error->code == CAIRN_CONVEX_ERROR_REDIRECTED);
}

/* The same answer from a push route (/api/deploy2/…). */
static void
check_admin (guint       status,
             const char *body,
             gsize       length,
             const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = cairn_convex_admin_response_parse (status, body, length, location, &error);

  fuzz_check ((node != NULL) != (error != NULL));

  if (node != NULL)
    {
      fuzz_check (status >= 200 && status < 300);
      return;
    }

  fuzz_check (error->domain == CAIRN_CONVEX_ERROR);
  fuzz_check (error->message != NULL && *error->message != '\0');
  fuzz_check (g_utf8_validate (error->message, -1, NULL));
  if (status >= 300 && status < 400)
    fuzz_check (error->code == CAIRN_CONVEX_ERROR_REDIRECTED);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint status;
  const char *body;
  gsize length;
  g_autofree char *location = NULL;

  if (size < 2)
    return 0;

  if (data[0] == 0)
    status = statuses[data[1] % G_N_ELEMENTS (statuses)];
  else
    status = (guint) data[0] << 8 | data[1];

  /* the body exactly as long as it is, not NUL-terminated, so AddressSanitizer
   * sees any read past its end */
  body = (const char *) data + 2;
  length = size - 2;

  if (status >= 300 && status < 400)
    location = g_strndup (body, length);

  check_one (status, body, length, location);
  check_admin (status, body, length, location);

  /* libsoup hands over an empty body as NULL as well */
  if (length == 0)
    {
      check_one (status, NULL, 0, NULL);
      check_admin (status, NULL, 0, NULL);
    }

  return 0;
}
