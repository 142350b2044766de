/* failing-store.h — a CairnStore that fails on request (tests only)
 *
 * Wraps a real store and passes everything through, except that inserts
 * into one table fail with CAIRN_STORE_ERROR_DATABASE while that table is set.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-store.h"

G_BEGIN_DECLS

#define TEST_TYPE_FAILING_STORE (test_failing_store_get_type ())

G_DECLARE_FINAL_TYPE (TestFailingStore, test_failing_store, TEST, FAILING_STORE, GObject)

TestFailingStore *test_failing_store_new              (CairnStore       *inner);
/* Inserts into @table fail from now on; NULL lets everything through again. */
void              test_failing_store_fail_inserts_into (TestFailingStore *self,
                                                        const char       *table);

G_END_DECLS
