/* cairn-router.c
 *
 * Where every table lives: content on the user's deployment when BYOD is
 * on, app data always in the main store (docs/ARCHITECTURE.md, "Routing").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-router"

#include "cairn-router.h"

typedef struct {
  const char         *table;
  CairnTableLocation  location;
} TableLocation;

#define MAIN(t) { t, CAIRN_TABLE_LOCATION_MAIN }
#define USER(t) { t, CAIRN_TABLE_LOCATION_USER }

static const TableLocation table_locations[] = {
  /* app operations */
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
  /* Cairn's own app data: never leaves this computer */
  MAIN ("drafts"),
  MAIN ("outbox"),
  MAIN ("healthMinutes"),

  /* content */
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

/**
 * cairn_router_get_location:
 * @table: a table name
 *
 * An unknown table is app data (main), with a warning: content must never
 * leave for the user's deployment by accident, and app data never goes there.
 */
CairnTableLocation
cairn_router_get_location (const char *table)
{
  g_return_val_if_fail (table != NULL, CAIRN_TABLE_LOCATION_MAIN);

  for (guint i = 0; i < G_N_ELEMENTS (table_locations); i++)
    if (g_str_equal (table_locations[i].table, table))
      return table_locations[i].location;

  g_warning ("Unknown table: %s, defaulting to main", table);

  return CAIRN_TABLE_LOCATION_MAIN;
}

gboolean
cairn_router_is_user_table (const char *table)
{
  return cairn_router_get_location (table) == CAIRN_TABLE_LOCATION_USER;
}
