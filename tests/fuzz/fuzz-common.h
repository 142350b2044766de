/* fuzz-common.h — what every fuzz target in tests/fuzz shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* A critical or a warning from the code under test means it was handed
 * something it did not check (a g_return_if_fail() tripped): that is a
 * finding too. GLib would raise SIGTRAP for a fatal message, which
 * libFuzzer does not catch; abort() makes it keep the input. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  GLogWriterOutput out = g_log_writer_default (level, fields, n_fields, user_data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();

  return out;
}

static inline void
fuzz_init (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

/* An invariant of the code under test; unlike g_assert() it is never
 * compiled out, and it aborts the way libFuzzer expects. */
#define fuzz_check(expr)                                                        \
  G_STMT_START {                                                                \
    if (G_UNLIKELY (!(expr)))                                                   \
      {                                                                         \
        g_printerr ("%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #expr); \
        abort ();                                                               \
      }                                                                         \
  } G_STMT_END
