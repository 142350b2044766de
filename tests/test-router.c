/* test-router.c — every table lands where the routing map says
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-router.h"
#include "test-util.h"

typedef struct {
  const char         *table;
  CairnTableLocation  location;
} Expected;

#define MAIN(t) { t, CAIRN_TABLE_LOCATION_MAIN }
#define USER(t) { t, CAIRN_TABLE_LOCATION_USER }

/* Written out again from the seed, not taken from the router, so a change
 * to either shows here. */
static const Expected seed_locations[] = {
  MAIN ("users"),
  MAIN ("userPreferences"),
  MAIN ("userOnboarding"),
  MAIN ("userStats"),
  MAIN ("templates"),
  MAIN ("adminSettings"),
  MAIN ("feedback"),
  MAIN ("shares"),
  MAIN ("notifications"),
  MAIN ("migrations"),
  MAIN ("emailAlerts"),
  MAIN ("jobs"),
  MAIN ("userDatabaseConfig"),
  MAIN ("byodMigrations"),

  USER ("conversations"),
  USER ("conversationParticipants"),
  USER ("messages"),
  USER ("toolCalls"),
  USER ("sources"),
  USER ("attachments"),
  USER ("memories"),
  USER ("files"),
  USER ("fileChunks"),
  USER ("projects"),
  USER ("projectConversations"),
  USER ("projectNotes"),
  USER ("projectFiles"),
  USER ("notes"),
  USER ("bookmarks"),
  USER ("snippets"),
  USER ("tasks"),
  USER ("tags"),
  USER ("conversationTags"),
  USER ("noteTags"),
  USER ("taskTags"),
  USER ("usageRecords"),
  USER ("ttsCache"),
  USER ("presentations"),
  USER ("slides"),
  USER ("outlineItems"),
  USER ("designTemplates"),
  USER ("presentationSessions"),
  USER ("activityEvents"),
};

static void
test_seed_map (void)
{
  guint n_user = 0;

  for (guint i = 0; i < G_N_ELEMENTS (seed_locations); i++)
    {
      const Expected *expected = &seed_locations[i];

      g_test_message ("table %s", expected->table);
      g_assert_cmpint (cairn_router_get_location (expected->table), ==, expected->location);
      g_assert_cmpint (cairn_router_is_user_table (expected->table), ==,
                       expected->location == CAIRN_TABLE_LOCATION_USER);
      n_user += expected->location == CAIRN_TABLE_LOCATION_USER;
    }

  /* the seed's counts: 14 app tables, 29 content tables */
  g_assert_cmpuint (G_N_ELEMENTS (seed_locations), ==, 43);
  g_assert_cmpuint (n_user, ==, 29);
}

/* Cairn's own app data never leaves this computer. */
static void
test_app_tables (void)
{
  g_assert_cmpint (cairn_router_get_location ("drafts"), ==, CAIRN_TABLE_LOCATION_MAIN);
  g_assert_cmpint (cairn_router_get_location ("outbox"), ==, CAIRN_TABLE_LOCATION_MAIN);
  g_assert_false (cairn_router_is_user_table ("drafts"));
  g_assert_false (cairn_router_is_user_table ("outbox"));
}

static void
test_unknown_table (void)
{
  g_test_expect_message ("cairn-router", G_LOG_LEVEL_WARNING, "*Unknown table*holograms*main*");
  g_assert_cmpint (cairn_router_get_location ("holograms"), ==, CAIRN_TABLE_LOCATION_MAIN);
  g_test_assert_expected_messages ();

  /* names are exact: no case folding */
  g_test_expect_message ("cairn-router", G_LOG_LEVEL_WARNING, "*Unknown table*Conversations*");
  g_assert_false (cairn_router_is_user_table ("Conversations"));
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_util_route_structured_logs ();

  g_test_add_func ("/router/seed-map", test_seed_map);
  g_test_add_func ("/router/app-tables", test_app_tables);
  g_test_add_func ("/router/unknown-table", test_unknown_table);

  return g_test_run ();
}
