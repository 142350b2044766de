/* test-convex-store.c — the store conformance suite, against the Convex test peer
 *
 * The same suite the embedded store passes, run through CairnConvexStore,
 * the Convex HTTP API and the Cairn functions hosted by tests/peer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-convex-store.h"
#include "convex-peer.h"
#include "store-conformance.h"

#define ADMIN_KEY "dev:cairn-test|conformance-secret"

static CairnStore *
create_store (gpointer  user_data,
              gpointer *state)
{
  ConvexPeer *peer = user_data;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GError) error = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);

  *state = NULL;
  return CAIRN_STORE (cairn_convex_store_new (client));
}

static void
teardown_store (CairnStore *store,
                gpointer    state,
                gpointer    user_data)
{
  g_assert_finalize_object (store);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConvexPeer) peer = NULL;
  StoreFactory factory = { create_store, teardown_store, NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);

  peer = convex_peer_start (ADMIN_KEY, NULL);
  factory.user_data = peer;
  store_conformance_add_tests ("/convex-store/conformance", factory);

  ret = g_test_run ();

  return ret;
}
