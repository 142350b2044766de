/* test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "test-util.h"
#include "cairn-local-store.h"
#include "cairn-credentials.h"
#include "cairn-byod-config.h"

/* What meson test sets for every test (tests/meson.build), filled in when
 * a test binary is run on its own, so `_build/tests/test-workspace` works
 * as it is. Runs before main(), before anything reads the environment. */
__attribute__((constructor)) static void
default_environment (void)
{
  g_setenv ("CAIRN_SOURCE_ROOT", CAIRN_TEST_SOURCE_ROOT, FALSE);
  g_setenv ("CAIRN_BUILD_ROOT", CAIRN_TEST_BUILD_ROOT, FALSE);
  g_setenv ("GSETTINGS_SCHEMA_DIR", CAIRN_TEST_BUILD_ROOT "/data", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
}

void
test_util_result_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

void
test_util_wait_for_result (GAsyncResult **result)
{
  GMainContext *context = g_main_context_get_thread_default ();

  while (*result == NULL)
    g_main_context_iteration (context, TRUE);
}

void
test_util_wait_for_zero (guint *count)
{
  GMainContext *context = g_main_context_get_thread_default ();

  while (*count > 0)
    g_main_context_iteration (context, TRUE);
}

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;

  return G_SOURCE_REMOVE;
}

/* A timeout on the thread-default main context, which the loops here iterate. */
static GSource *
timeout_on_thread_default (guint     ms,
                           gboolean *timed_out)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, timed_out_cb, timed_out, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());

  return source;
}

gboolean
test_util_wait_until (gboolean (*condition) (gpointer data),
                      gpointer   data,
                      guint      timeout_ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean timed_out = FALSE;
  GSource *timeout = timeout_on_thread_default (timeout_ms, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);

  return !timed_out;
}

void
test_util_run_for (guint ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean done = FALSE;
  GSource *timeout = timeout_on_thread_default (ms, &done);

  while (!done)
    g_main_context_iteration (context, TRUE);

  g_source_unref (timeout);
}

/* Hands each structured message to g_log(), where the expected messages are
 * matched; g_log() comes back here once, then goes to the default writer.
 * Messages that came from g_log() in the first place went through that
 * matching already. */
static GLogWriterOutput
route_to_g_log (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  static GPrivate rerouting;
  const char *domain = NULL;
  const char *message = NULL;

  if (g_private_get (&rerouting) != NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
      else if (g_str_equal (fields[i].key, "GLIB_OLD_LOG_API"))
        return g_log_writer_default (log_level, fields, n_fields, user_data);
    }

  if (message == NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  g_private_set (&rerouting, GINT_TO_POINTER (TRUE));
  g_log (domain, log_level & G_LOG_LEVEL_MASK, "%s", message);
  g_private_set (&rerouting, NULL);

  return G_LOG_WRITER_HANDLED;
}

void
test_util_route_structured_logs (void)
{
  g_log_set_writer_func (route_to_g_log, NULL, NULL);
}

void
test_util_remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;
  GFile *child;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
    {
      g_autofree char *child_path = g_file_get_path (child);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        test_util_remove_tree (child_path);
      else
        g_unlink (child_path);
    }

  g_rmdir (path);
}

void
test_util_count_cb (guint *count)
{
  (*count)++;
}

JsonObject *
test_util_store_ping (CairnStore  *store,
                      GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_ping_async (store, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_ping_finish (store, result, error);
}

JsonObject *
test_util_store_insert (CairnStore  *store,
                        const char  *table,
                        JsonObject  *document,
                        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_insert_async (store, table, document, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_insert_finish (store, result, error);
}

JsonObject *
test_util_store_get (CairnStore  *store,
                     const char  *table,
                     const char  *client_id,
                     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_get_async (store, table, client_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_get_finish (store, result, error);
}

JsonObject *
test_util_store_patch (CairnStore  *store,
                       const char  *table,
                       const char  *client_id,
                       JsonObject  *fields,
                       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_patch_async (store, table, client_id, fields, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_patch_finish (store, result, error);
}

gboolean
test_util_store_remove (CairnStore  *store,
                        const char  *table,
                        const char  *client_id,
                        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_remove_async (store, table, client_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_remove_finish (store, result, error);
}

CairnPage *
test_util_store_list (CairnStore        *store,
                      const CairnQuery  *query,
                      GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_list_async (store, query, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_list_finish (store, result, error);
}

/* Every document of @table, counted over as many pages as it takes. */
guint
test_util_count (CairnStore *store,
                 const char *table)
{
  g_autoptr(CairnQuery) query = cairn_query_new (table, "by_clientId");
  guint n = 0;
  gboolean done = FALSE;

  cairn_query_set_page_size (query, CAIRN_QUERY_MAX_PAGE_SIZE);
  while (!done)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CairnPage) page = test_util_store_list (store, query, &error);

      g_assert_no_error (error);
      n += page->documents->len;
      done = page->done;
      cairn_query_set_cursor (query, page->cursor);
    }

  return n;
}

void
test_util_insert (CairnStore *store,
                  const char *table,
                  JsonObject *document)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = test_util_store_insert (store, table, document, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stored);
}

CairnConversation *
test_util_create_conversation (CairnWorkspace *workspace,
                               const char     *title)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CairnConversation *conversation;

  cairn_conversations_create_async (workspace, title, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  conversation = cairn_conversations_create_finish (workspace, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);

  return conversation;
}

CairnMessage *
test_util_send_message (CairnWorkspace  *workspace,
                        const char      *conversation_id,
                        const char      *content,
                        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_conversations_send_message_async (workspace, conversation_id, content, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_conversations_send_message_finish (workspace, result, error);
}

gboolean
test_util_save_draft (CairnWorkspace *workspace,
                      const char     *conversation_id,
                      const char     *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  cairn_conversations_save_draft_async (workspace, conversation_id, text, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  ok = cairn_conversations_save_draft_finish (workspace, result, &error);
  g_assert_no_error (error);

  return ok;
}

char *
test_util_load_draft (CairnWorkspace *workspace,
                      const char     *conversation_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  cairn_conversations_load_draft_async (workspace, conversation_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  text = cairn_conversations_load_draft_finish (workspace, result, &error);
  g_assert_no_error (error);

  return text;
}

GBytes *
test_util_load_bundle (const char *path)
{
  g_autofree char *file = g_build_filename (g_getenv ("CAIRN_SOURCE_ROOT"), path, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (file, &contents, &length, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, length);
}

void
test_util_push_functions (CairnConvexClient *client,
                          GBytes            *bundle)
{
  g_autoptr(CairnFunctionsPush) push = cairn_functions_push_new (client, bundle);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_functions_push_run_async (push, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_functions_push_run_finish (push, result, &error));
  g_assert_no_error (error);
}

/* Inserts in flight at once while seeding. */
#define SEED_IN_FLIGHT 32

typedef struct {
  CairnStore *store;
  GPtrArray  *queue;      /* table name, document, table name, document, … */
  guint       next;
  guint       in_flight;
} Seeding;

static void seed_next (Seeding *seeding);

static void
seeded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Seeding *seeding = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);

  g_assert_no_error (error);
  seeding->in_flight--;
  seed_next (seeding);
}

static void
seed_next (Seeding *seeding)
{
  while (seeding->in_flight < SEED_IN_FLIGHT && seeding->next < seeding->queue->len)
    {
      const char *table = g_ptr_array_index (seeding->queue, seeding->next);
      JsonObject *document = g_ptr_array_index (seeding->queue, seeding->next + 1);

      seeding->next += 2;
      seeding->in_flight++;
      cairn_store_insert_async (seeding->store, table, document, NULL, seeded_cb, seeding);
    }
}

void
test_util_seed_conversations (CairnStore *store,
                              guint       conversations,
                              guint       messages)
{
  g_autoptr(GPtrArray) documents = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) queue = g_ptr_array_new ();
  Seeding seeding = { store, queue, 0, 0 };

  for (guint c = 0; c < conversations; c++)
    {
      JsonObject *conversation = json_object_new ();
      g_autofree char *id = g_uuid_string_random ();

      json_object_set_string_member (conversation, "clientId", id);
      json_object_set_string_member (conversation, "title", "A conversation");
      json_object_set_boolean_member (conversation, "pinned", FALSE);
      json_object_set_boolean_member (conversation, "archived", FALSE);
      json_object_set_double_member (conversation, "createdAt", c);
      json_object_set_double_member (conversation, "updatedAt", c);
      g_ptr_array_add (documents, conversation);
      g_ptr_array_add (queue, (gpointer) "conversations");
      g_ptr_array_add (queue, conversation);

      for (guint m = 0; m < messages; m++)
        {
          JsonObject *message = json_object_new ();
          g_autofree char *message_id = g_uuid_string_random ();

          json_object_set_string_member (message, "clientId", message_id);
          json_object_set_string_member (message, "conversationId", id);
          json_object_set_string_member (message, "role", "user");
          json_object_set_string_member (message, "content", "Hello");
          json_object_set_double_member (message, "createdAt", m);
          g_ptr_array_add (documents, message);
          g_ptr_array_add (queue, (gpointer) "messages");
          g_ptr_array_add (queue, message);
        }
    }

  seed_next (&seeding);
  test_util_wait_for_zero (&seeding.in_flight);
}

char *
test_util_make_tmp_dir (const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return dir;
}

CairnWorkspace *
test_util_open_workspace (const char       *path,
                          CairnLocalStore **store)
{
  g_autoptr(GError) error = NULL;

  *store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);
  return cairn_workspace_new ("default", CAIRN_STORE (*store));
}

void
test_util_close_workspace (CairnWorkspace  **workspace,
                           CairnLocalStore **store)
{
  g_clear_object (workspace);
  cairn_local_store_close (*store);
  g_clear_object (store);
}

void
test_util_save_byod_settings (const char *data_dir,
                              const char *url,
                              gboolean    enabled)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (data_dir, "cairn.db", NULL);
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(CairnByodConfig) config = cairn_byod_config_new ();
  g_autoptr(JsonObject) document = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) saved = NULL;

  g_assert_cmpint (g_mkdir_with_parents (data_dir, 0700), ==, 0);
  store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);

  g_free (config->deployment_url);
  config->deployment_url = g_strdup (url);
  config->enabled = enabled;
  document = cairn_byod_config_to_document (config, "default");
  cairn_store_upsert_async (CAIRN_STORE (store), "userDatabaseConfig", document, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  saved = cairn_store_upsert_finish (CAIRN_STORE (store), result, &error);
  g_assert_no_error (error);
  cairn_local_store_close (store);
}

void
test_util_store_key (const char *url,
                     const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_credentials_store_async ("default", url, key, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_credentials_store_finish (result, &error));
  g_assert_no_error (error);
}
