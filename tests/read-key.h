/* read-key.h — the admin key a test tool reads on its standard input
 *
 * The tools (migrate-tool, soak-writer) take the key on stdin, not on the
 * command line, where any process could read it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Reads one line of stdin into @key (@size bytes), without its line end;
 * FALSE if there is none. */
static inline gboolean
read_key (char  *key,
          gsize  size)
{
  if (fgets (key, (int) size, stdin) == NULL)
    return FALSE;
  key[strcspn (key, "\r\n")] = '\0';
  return TRUE;
}
