/* fuzz-json.c — the depth-bounded JSON parser and Convex's value decoder
 *
 * Input: the text, as it would come from the network or a database row.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = cairn_json_parse ((const char *) data, size, &error);
  g_autoptr(JsonNode) decoded = NULL;

  fuzz_check ((root != NULL) != (error != NULL));

  if (root == NULL)
    {
      fuzz_check (error->domain == CAIRN_ERROR && error->code == CAIRN_ERROR_BAD_RESPONSE);
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  decoded = cairn_convex_value_decode (root);
  fuzz_check (decoded != NULL);

  /* the stores sort with this; a value must sort equal to itself */
  fuzz_check (cairn_json_compare (decoded, decoded) == 0);
  fuzz_check (cairn_json_compare (root, root) == 0);

  return 0;
}
