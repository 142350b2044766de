/* store-conformance.h — what every CairnStore must do, whatever it stores in
 *
 * The suite speaks only the CairnStore interface, so the embedded store and
 * the Convex store are held to the same contract. Beyond cairn-store.h it
 * expects:
 *  - rows equal on every index field come in insertion order (reversed when
 *    descending), also across pages;
 *  - a page holds at most page_size documents, has a cursor exactly when it
 *    is not done, and only the last page may be empty;
 *  - a clientId that is not a UUID, an unknown table or index, a value of the
 *    wrong type or a malformed cursor is CAIRN_STORE_ERROR_INVALID_INPUT, and a
 *    missing document is CAIRN_STORE_ERROR_NOT_FOUND (get, patch) — never a write;
 *  - numbers may come back as integers or doubles, with the same value;
 *  - ping's reply has "app": "cairn", "schemaVersion" = CAIRN_SCHEMA_VERSION
 *    and every table of cairn-schema in "tables".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-store.h"

G_BEGIN_DECLS

typedef struct {
  /* Creates a fresh, empty store for one test; *state is handed to teardown. */
  CairnStore *(*create)   (gpointer   user_data,
                           gpointer  *state);
  /* Takes the store (transfer full) and frees what create made (files, servers). */
  void        (*teardown) (CairnStore *store,
                           gpointer    state,
                           gpointer    user_data);
  gpointer      user_data;
} StoreFactory;

/* Adds the suite's tests under @prefix (e.g. "/local-store/conformance"). */
void store_conformance_add_tests (const char   *prefix,
                                  StoreFactory  factory);

G_END_DECLS
