/* test-workspace.c — the routing rules, the typed helpers and paged lists
 *
 * Two real CairnLocalStores stand in for the main store and the user's
 * deployment, so every rule is checked by where the data actually lands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include "cairn-error.h"
#include "cairn-local-store.h"
#include "cairn-schema.h"
#include "cairn-workspace.h"
#include "fake-clock.h"
#include "test-util.h"

typedef struct {
  char            *dir;
  CairnLocalStore *main_store;
  CairnLocalStore *user_store;
  FakeClock       *clock;       /* what the workspace stamps documents with */
  CairnWorkspace  *workspace;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *main_path = NULL;
  g_autofree char *user_path = NULL;

  f->dir = g_dir_make_tmp ("cairn-workspace-XXXXXX", &error);
  g_assert_no_error (error);
  main_path = g_build_filename (f->dir, "main.db", NULL);
  user_path = g_build_filename (f->dir, "user.db", NULL);

  f->main_store = cairn_local_store_new (main_path, &error);
  g_assert_no_error (error);
  f->user_store = cairn_local_store_new (user_path, &error);
  g_assert_no_error (error);
  f->clock = fake_clock_new ();
  f->workspace = g_object_new (CAIRN_TYPE_WORKSPACE,
                               "id", "default",
                               "main-store", f->main_store,
                               "clock", f->clock,
                               NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->workspace);
  g_assert_finalize_object (f->clock);
  g_assert_finalize_object (f->main_store);
  g_assert_finalize_object (f->user_store);
  test_util_remove_tree (f->dir);
  g_free (f->dir);
}

static void
wait_until_loaded (CairnPagedList *list)
{
  while (cairn_paged_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (cairn_paged_list_get_error (list));
}

/* Routing ------------------------------------------------------------------ */

static void
test_routing_rules (Fixture       *f,
                    gconstpointer  data)
{
  CairnStore *main_store = CAIRN_STORE (f->main_store);
  CairnStore *user_store = CAIRN_STORE (f->user_store);

  /* rule 1 and 2: BYOD off, everything is local */
  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "conversations") == main_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "messages") == main_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "drafts") == main_store);

  /* rule 3: BYOD on, content goes to the user store, app data stays */
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), user_store);
  g_assert_true (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "conversations") == user_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "messages") == user_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "notes") == user_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "drafts") == main_store);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "userPreferences") == main_store);

  g_test_expect_message ("cairn-router", G_LOG_LEVEL_WARNING, "Unknown table: someTable, defaulting to main");
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "someTable") == main_store);
  g_test_assert_expected_messages ();

  /* off again */
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  g_assert_true (cairn_workspace_store_for_table (f->workspace, "conversations") == main_store);
}

static void
test_routing_data_lands (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CairnConversation) local = NULL;
  g_autoptr(CairnConversation) remote = NULL;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) found = NULL;
  g_autofree char *draft = NULL;
  guint storage_changed = 0;
  guint byod_notified = 0;

  g_signal_connect_swapped (f->workspace, "storage-changed", G_CALLBACK (test_util_count_cb), &storage_changed);
  g_signal_connect_swapped (cairn_workspace_get_byod (f->workspace), "notify::enabled",
                            G_CALLBACK (test_util_count_cb), &byod_notified);

  local = test_util_create_conversation (f->workspace, "On this computer");
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "conversations"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->user_store), "conversations"), ==, 0);

  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), CAIRN_STORE (f->user_store));
  g_assert_cmpuint (storage_changed, ==, 1);
  g_assert_cmpuint (byod_notified, ==, 1);

  remote = test_util_create_conversation (f->workspace, "On my deployment");
  message = test_util_send_message (f->workspace, cairn_conversation_get_client_id (remote), "hello", &error);
  g_assert_no_error (error);
  g_assert_true (test_util_save_draft (f->workspace, cairn_conversation_get_client_id (remote), "half a thought"));

  /* content on the user store only; app data (the draft) on the main store only */
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->user_store), "conversations"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->user_store), "messages"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "conversations"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "messages"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "drafts"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->user_store), "drafts"), ==, 0);

  found = test_util_store_get (CAIRN_STORE (f->user_store), "messages", cairn_message_get_client_id (message), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (found, "content"), ==, "hello");

  draft = test_util_load_draft (f->workspace, cairn_conversation_get_client_id (remote));
  g_assert_cmpstr (draft, ==, "half a thought");

  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  g_assert_cmpuint (storage_changed, ==, 2);
  g_assert_cmpuint (byod_notified, ==, 2);
  /* setting the same value again changes nothing */
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  g_assert_cmpuint (storage_changed, ==, 2);
}

/* Typed helpers -------------------------------------------------------------- */

static void
test_conversation_lifecycle (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *draft = NULL;
  const char *id;
  gint64 created;

  conversation = test_util_create_conversation (f->workspace, NULL);
  id = cairn_conversation_get_client_id (conversation);
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpstr (cairn_conversation_get_title (conversation), ==, "New Conversation");
  g_assert_false (cairn_conversation_get_pinned (conversation));
  created = cairn_conversation_get_updated_at (conversation);
  g_assert_cmpint (created, ==, cairn_clock_get_real_time_ms (CAIRN_CLOCK (f->clock)));

  /* rename: trimmed; blank refused */
  cairn_conversations_rename_async (f->workspace, id, "  Trip plans \n", NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_conversations_rename_finish (f->workspace, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  stored = test_util_store_get (CAIRN_STORE (f->main_store), "conversations", id, &error);
  g_assert_cmpstr (json_object_get_string_member (stored, "title"), ==, "Trip plans");
  g_clear_pointer (&stored, json_object_unref);

  cairn_conversations_rename_async (f->workspace, id, "   ", NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_false (cairn_conversations_rename_finish (f->workspace, result, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_clear_object (&result);

  /* messages: blank refused; a message moves the conversation's time */
  g_assert_null (test_util_send_message (f->workspace, id, " \n\t", &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_null (test_util_send_message (f->workspace, "not-a-conversation", "hi", &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  fake_clock_advance (f->clock, 2);
  message = test_util_send_message (f->workspace, id, "Pack the tent", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cairn_message_get_content (message), ==, "Pack the tent");
  g_assert_cmpstr (cairn_message_get_conversation_id (message), ==, id);
  g_assert_cmpstr (cairn_message_get_role (message), ==, "user");
  stored = test_util_store_get (CAIRN_STORE (f->main_store), "conversations", id, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (stored, "updatedAt"), ==,
                     (double) cairn_message_get_created_at (message));
  g_assert_cmpfloat (json_object_get_double_member (stored, "updatedAt"), ==, (double) created + 2);

  /* delete: the messages and the draft go with it */
  g_assert_true (test_util_save_draft (f->workspace, id, "unsent"));
  cairn_conversations_delete_async (f->workspace, id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_conversations_delete_finish (f->workspace, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "conversations"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "messages"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "drafts"), ==, 0);
}

static void
test_drafts (Fixture       *f,
             gconstpointer  data)
{
  const char *id = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
  g_autofree char *none = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *cleared = NULL;

  none = test_util_load_draft (f->workspace, id);
  g_assert_cmpstr (none, ==, "");

  g_assert_true (test_util_save_draft (f->workspace, id, "first words"));
  first = test_util_load_draft (f->workspace, id);
  g_assert_cmpstr (first, ==, "first words");

  g_assert_true (test_util_save_draft (f->workspace, id, "first words, then more"));
  second = test_util_load_draft (f->workspace, id);
  g_assert_cmpstr (second, ==, "first words, then more");
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "drafts"), ==, 1);

  g_assert_true (test_util_save_draft (f->workspace, id, ""));
  cleared = test_util_load_draft (f->workspace, id);
  g_assert_cmpstr (cleared, ==, "");
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "drafts"), ==, 0);
}

/* What a message can be, whichever store holds it: text that shows
 * something, at most what a deployment accepts. Refused before anything is
 * written, the outbox included. */
static void
test_message_limits (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Limits");
  const char *id = cairn_conversation_get_client_id (conversation);
  g_autofree char *longest = g_strnfill (CAIRN_MAX_MESSAGE_TEXT_SIZE, 'a');
  g_autofree char *too_long = g_strnfill (2 * 1024 * 1024, 'b');
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(CairnConversation) remote = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* only invisible characters: as empty */
  g_assert_null (test_util_send_message (f->workspace, id, "\u200B\u200C\u200D\u2060\uFEFF \n", &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "The message is empty"));
  g_clear_error (&error);

  cairn_conversations_rename_async (f->workspace, id, "\u2060\u200B", NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_false (cairn_conversations_rename_finish (f->workspace, result, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "A conversation needs a title with visible characters.");
  g_clear_error (&error);

  /* as much as the composer lets through goes; 2 MiB does not */
  message = test_util_send_message (f->workspace, id, longest, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (cairn_message_get_content (message)), ==, CAIRN_MAX_MESSAGE_TEXT_SIZE);
  g_clear_object (&message);

  g_assert_null (test_util_send_message (f->workspace, id, too_long, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "This message is too long to store ("));
  g_clear_error (&error);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "messages"), ==, 1);

  /* the same with BYOD on: refused at once, nothing waits in the outbox */
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), CAIRN_STORE (f->user_store));
  remote = test_util_create_conversation (f->workspace, "On my deployment");
  id = cairn_conversation_get_client_id (remote);

  g_assert_null (test_util_send_message (f->workspace, id, too_long, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "This message is too long to store ("));
  g_clear_error (&error);
  g_assert_null (test_util_send_message (f->workspace, id, "\uFEFF", &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  message = test_util_send_message (f->workspace, id, longest, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->user_store), "messages"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->main_store), "outbox"), ==, 0);

  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
}

/* Paged lists ---------------------------------------------------------------- */

static void
test_paged_conversations (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CairnPagedList) list = NULL;
  g_autoptr(CairnConversation) newest = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConversation) first = NULL;
  guint position = G_MAXUINT;
  guint total = 2 * CAIRN_QUERY_DEFAULT_PAGE_SIZE + 20;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *title = g_strdup_printf ("Conversation %03u", i);
      g_autoptr(CairnConversation) c = NULL;

      fake_clock_advance (f->clock, 1); /* distinct millisecond timestamps */
      c = test_util_create_conversation (f->workspace, title);
    }

  list = cairn_conversations_list (f->workspace);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == CAIRN_TYPE_CONVERSATION);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, CAIRN_QUERY_DEFAULT_PAGE_SIZE);
  g_assert_false (cairn_paged_list_get_done (list));

  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (cairn_conversation_get_title (first), ==, "Conversation 119");

  cairn_paged_list_load_more (list);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2 * CAIRN_QUERY_DEFAULT_PAGE_SIZE);
  cairn_paged_list_load_more (list);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total);
  g_assert_true (cairn_paged_list_get_done (list));

  /* newest first, all the way down */
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(CairnConversation) c = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_autofree char *title = g_strdup_printf ("Conversation %03u", total - 1 - i);

      g_assert_cmpstr (cairn_conversation_get_title (c), ==, title);
    }

  /* a new conversation shows on top without a reload */
  fake_clock_advance (f->clock, 1);
  newest = test_util_create_conversation (f->workspace, "Fresh");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total + 1);
  g_assert_true (cairn_paged_list_find (list, cairn_conversation_get_client_id (newest), &position) != NULL);
  g_assert_cmpuint (position, ==, 0);

  /* a message moves an old conversation to the top */
  {
    g_autoptr(CairnConversation) oldest = g_list_model_get_item (G_LIST_MODEL (list), total);
    g_autoptr(CairnMessage) message = NULL;

    g_assert_cmpstr (cairn_conversation_get_title (oldest), ==, "Conversation 000");
    fake_clock_advance (f->clock, 1);
    message = test_util_send_message (f->workspace, cairn_conversation_get_client_id (oldest), "bump", &error);
    g_assert_no_error (error);
    g_assert_true (cairn_paged_list_find (list, cairn_conversation_get_client_id (oldest), &position) != NULL);
    g_assert_cmpuint (position, ==, 0);
  }

  /* rename updates the item in place; delete removes it */
  cairn_conversations_rename_async (f->workspace, cairn_conversation_get_client_id (newest),
                                             "Renamed", NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_conversations_rename_finish (f->workspace, result, &error));
  g_clear_object (&result);
  {
    CairnConversation *shown = cairn_paged_list_find (list, cairn_conversation_get_client_id (newest), &position);

    g_assert_cmpstr (cairn_conversation_get_title (shown), ==, "Renamed");
    g_assert_cmpuint (position, ==, 1);
  }

  cairn_conversations_delete_async (f->workspace, cairn_conversation_get_client_id (newest),
                                             NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_conversations_delete_finish (f->workspace, result, &error));
  g_assert_null (cairn_paged_list_find (list, cairn_conversation_get_client_id (newest), NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total);

  /* switching the storage reloads from the other store (empty) */
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), CAIRN_STORE (f->user_store));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_true (cairn_paged_list_get_done (list));
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, CAIRN_QUERY_DEFAULT_PAGE_SIZE);
}

static void
test_paged_messages_reversed (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Chat");
  g_autoptr(CairnConversation) other = test_util_create_conversation (f->workspace, "Other");
  g_autoptr(CairnPagedList) list = NULL;
  g_autoptr(CairnMessage) latest = NULL;
  g_autoptr(CairnMessage) elsewhere = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = cairn_conversation_get_client_id (conversation);
  guint total = CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE + 10;
  guint position = G_MAXUINT;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %03u", i);
      g_autoptr(CairnMessage) m = NULL;

      fake_clock_advance (f->clock, 1);
      m = test_util_send_message (f->workspace, id, text, &error);
      g_assert_no_error (error);
    }

  list = cairn_conversations_list_messages (f->workspace, id);
  wait_until_loaded (list);

  /* the newest page, shown oldest on top */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);
  {
    g_autoptr(CairnMessage) top = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_autoptr(CairnMessage) bottom = g_list_model_get_item (G_LIST_MODEL (list), CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE - 1);
    g_autofree char *top_text = g_strdup_printf ("message %03u", total - CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);
    g_autofree char *bottom_text = g_strdup_printf ("message %03u", total - 1);

    g_assert_cmpstr (cairn_message_get_content (top), ==, top_text);
    g_assert_cmpstr (cairn_message_get_content (bottom), ==, bottom_text);
  }

  /* an older page is prepended */
  cairn_paged_list_load_more (list);
  wait_until_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total);
  g_assert_true (cairn_paged_list_get_done (list));
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(CairnMessage) m = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_autofree char *text = g_strdup_printf ("message %03u", i);

      g_assert_cmpstr (cairn_message_get_content (m), ==, text);
    }

  /* a new message lands at the bottom; another conversation's does not show */
  fake_clock_advance (f->clock, 1);
  latest = test_util_send_message (f->workspace, id, "the latest", &error);
  g_assert_no_error (error);
  elsewhere = test_util_send_message (f->workspace, cairn_conversation_get_client_id (other), "not here", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total + 1);
  g_assert_nonnull (cairn_paged_list_find (list, cairn_message_get_client_id (latest), &position));
  g_assert_cmpuint (position, ==, total);
  g_assert_null (cairn_paged_list_find (list, cairn_message_get_client_id (elsewhere), NULL));

  /* deleting the conversation empties its message list */
  {
    g_autoptr(GAsyncResult) result = NULL;

    cairn_conversations_delete_async (f->workspace, id, NULL, test_util_result_cb, &result);
    test_util_wait_for_result (&result);
    g_assert_true (cairn_conversations_delete_finish (f->workspace, result, &error));
    wait_until_loaded (list);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/workspace/routing/rules", test_routing_rules);
  ADD ("/workspace/routing/data-lands", test_routing_data_lands);
  ADD ("/workspace/conversation-lifecycle", test_conversation_lifecycle);
  ADD ("/workspace/drafts", test_drafts);
  ADD ("/workspace/message-limits", test_message_limits);
  ADD ("/workspace/paged-list/conversations", test_paged_conversations);
  ADD ("/workspace/paged-list/messages-reversed", test_paged_messages_reversed);
#undef ADD

  return g_test_run ();
}
