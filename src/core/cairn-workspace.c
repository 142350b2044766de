/* cairn-workspace.c
 *
 * The workspace owns the stores of one set of content and applies the
 * routing rules (docs/ARCHITECTURE.md, "Routing") to every call:
 *
 *  1. a table whose location is "main" always goes to the main store;
 *  2. a "user" table goes to the main store while BYOD is off;
 *  3. a "user" table goes to the user store while BYOD is on, whatever the
 *     health of that store: there is no fallback to the main store.
 *
 * Every successful write is announced with ::document-changed or
 * ::document-removed, so lists on screen can follow without reloading.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-workspace"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-router.h"
#include "cairn-schema.h"
#include "cairn-system-clock.h"
#include "cairn-workspace-private.h"


G_DEFINE_FINAL_TYPE (CairnWorkspace, cairn_workspace, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_MAIN_STORE,
  PROP_USER_STORE,
  PROP_BYOD_ENABLED,
  PROP_BYOD_CONFIG,
  PROP_CLOCK,
  PROP_NETWORK_MONITOR,
  PROP_OUTBOX_COUNT,
  N_PROPS
};

enum {
  DOCUMENT_CHANGED,
  DOCUMENT_REMOVED,
  STORAGE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What a routed call remembers until its store answers. */
typedef struct {
  CairnStore *store;
  char       *table;
  char       *client_id;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->store);
  g_free (call->table);
  g_free (call->client_id);
  g_free (call);
}

static GTask *
routed_task_new (CairnWorkspace      *self,
                 const char          *table,
                 const char          *client_id,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->store = g_object_ref (cairn_workspace_store_for_table (self, table));
  call->table = g_strdup (table);
  call->client_id = g_strdup (client_id);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  return task;
}

/* With BYOD on, content writes wait in the outbox until the deployment has them. */
static gboolean
goes_through_outbox (CairnWorkspace *self,
                     const char     *table)
{
  return self->user_store != NULL && cairn_router_get_location (table) == CAIRN_TABLE_LOCATION_USER;
}

static char *
new_client_id (void)
{
  return g_uuid_string_random ();
}

/* Generic routed calls ---------------------------------------------------- */

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnPage *page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);

  if (page == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, page, (GDestroyNotify) cairn_page_free);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *document = cairn_store_get_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

/* insert and patch both answer with the stored document */
static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  JsonObject *document;

  if (g_task_get_source_tag (task) == cairn_workspace_insert_async)
    document = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);
  else
    document = cairn_store_patch_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, call->table, document);
  g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, call->table, call->client_id);
  g_task_return_boolean (task, TRUE);
}

/* Typed helpers ------------------------------------------------------------ */

static JsonObject *
conversation_document (const char *title)
{
  JsonObject *document = json_object_new ();
  g_autofree char *client_id = new_client_id ();
  double now = cairn_json_now_ms ();

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "title", title);
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", now);
  json_object_set_double_member (document, "updatedAt", now);

  return document;
}

static JsonObject *
message_document (const char *conversation_id,
                  const char *content)
{
  JsonObject *document = json_object_new ();
  g_autofree char *client_id = new_client_id ();

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "conversationId", conversation_id);
  json_object_set_string_member (document, "role", "user");
  json_object_set_string_member (document, "content", content);
  json_object_set_double_member (document, "createdAt", cairn_json_now_ms ());

  return document;
}

static void
create_conversation_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_workspace_insert_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, cairn_conversation_new (document), g_object_unref);
}

static void
draft_removed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The conversation is gone either way; a stale draft only costs a row. */
  if (!cairn_workspace_remove_finish (CAIRN_WORKSPACE (object), result, &error))
    g_debug ("Could not remove the draft of a deleted conversation: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
conversation_removed_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  if (!cairn_workspace_remove_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The draft of a deleted conversation has nothing left to belong to. */
  cairn_workspace_remove_async (self, "drafts", g_task_get_task_data (task),
                                NULL, draft_removed_cb, g_object_ref (task));
}

static void
renamed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_workspace_patch_finish (CAIRN_WORKSPACE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
touch_conversation_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  /* The message itself is saved; a conversation that could not be moved to
   * the top of the list is not worth failing the send for. */
  document = cairn_workspace_patch_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document == NULL)
    g_debug ("Could not update the conversation's time: %s", error->message);

  g_task_return_pointer (task, g_object_ref (g_task_get_task_data (task)), g_object_unref);
}

static void
send_message_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;
  g_autoptr(JsonObject) touch = NULL;
  CairnWorkspace *self = CAIRN_WORKSPACE (object);
  CairnMessage *message;

  document = cairn_workspace_insert_finish (self, result, &error);
  if (document == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  message = cairn_message_new (document);
  g_task_set_task_data (task, message, g_object_unref);

  touch = json_object_new ();
  json_object_set_double_member (touch, "updatedAt", cairn_json_get_number (document, "createdAt"));
  cairn_workspace_patch_async (self, "conversations", cairn_message_get_conversation_id (message), touch,
                               g_task_get_cancellable (task), touch_conversation_cb, g_object_ref (task));
}

static void
draft_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
remove_to_boolean_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!cairn_workspace_remove_finish (CAIRN_WORKSPACE (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
load_draft_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_workspace_get_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document != NULL)
    g_task_return_pointer (task, g_strdup (cairn_json_get_string (document, "content")), g_free);
  else if (g_error_matches (error, CAIRN_ERROR, CAIRN_ERROR_NOT_FOUND))
    g_task_return_pointer (task, g_strdup (""), g_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_workspace_dispose (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;

  g_clear_object (&self->main_store);
  g_clear_object (&self->user_store);
  g_hash_table_remove_all (self->clients);
  g_clear_object (&self->clock);
  g_clear_object (&self->network_monitor);
  g_clear_object (&self->outbox);
  g_hash_table_remove_all (self->waiting);

  G_OBJECT_CLASS (cairn_workspace_parent_class)->dispose (object);
}

static void
cairn_workspace_finalize (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;

  g_free (self->id);
  g_clear_pointer (&self->byod_config, cairn_byod_config_free);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->waiting, g_hash_table_unref);

  G_OBJECT_CLASS (cairn_workspace_parent_class)->finalize (object);
}

static void
cairn_workspace_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_MAIN_STORE:
      g_value_set_object (value, self->main_store);
      break;
    case PROP_USER_STORE:
      g_value_set_object (value, self->user_store);
      break;
    case PROP_BYOD_ENABLED:
      g_value_set_boolean (value, cairn_workspace_get_byod_enabled (self));
      break;
    case PROP_BYOD_CONFIG:
      g_value_set_boxed (value, self->byod_config);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->network_monitor);
      break;
    case PROP_OUTBOX_COUNT:
      g_value_set_uint (value, cairn_workspace_get_outbox_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_workspace_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_MAIN_STORE:
      self->main_store = g_value_dup_object (value);
      break;
    case PROP_USER_STORE:
      cairn_workspace_set_user_store (self, g_value_get_object (value));
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_NETWORK_MONITOR:
      self->network_monitor = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
outbox_count_cb (CairnWorkspace *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTBOX_COUNT]);
}

static void
cairn_workspace_constructed (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;

  G_OBJECT_CLASS (cairn_workspace_parent_class)->constructed (object);

  g_assert (self->id != NULL && *self->id != '\0');
  g_assert (CAIRN_IS_STORE (self->main_store));

  if (self->clock == NULL)
    self->clock = cairn_system_clock_new ();

  self->outbox = cairn_outbox_new (self->main_store, self->id);
  g_signal_connect_object (self->outbox, "notify::count", G_CALLBACK (outbox_count_cb), self, G_CONNECT_SWAPPED);
}

static void
cairn_workspace_class_init (CairnWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cairn_workspace_constructed;
  object_class->dispose = cairn_workspace_dispose;
  object_class->finalize = cairn_workspace_finalize;
  object_class->get_property = cairn_workspace_get_property;
  object_class->set_property = cairn_workspace_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, "default",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAIN_STORE] =
    g_param_spec_object ("main-store", NULL, NULL, CAIRN_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_STORE] =
    g_param_spec_object ("user-store", NULL, NULL, CAIRN_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYOD_ENABLED] =
    g_param_spec_boolean ("byod-enabled", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* time for the connection's retries and checks; the system clock unless a test brings its own */
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, CAIRN_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* network changes make a blocked connection try again; NULL: none */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* writes waiting in the outbox for the user's deployment */
  properties[PROP_OUTBOX_COUNT] =
    g_param_spec_uint ("outbox-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* what the main store keeps about the user's deployment (never the key) */
  properties[PROP_BYOD_CONFIG] =
    g_param_spec_boxed ("byod-config", NULL, NULL, CAIRN_TYPE_BYOD_CONFIG,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnWorkspace::document-changed:
   * @table: the table
   * @document: the document as stored now
   *
   * A document was inserted or changed through this workspace.
   */
  signals[DOCUMENT_CHANGED] =
    g_signal_new ("document-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);

  signals[DOCUMENT_REMOVED] =
    g_signal_new ("document-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * CairnWorkspace::storage-changed:
   *
   * Content moved to another store (BYOD switched on or off): every list
   * must load again.
   */
  signals[STORAGE_CHANGED] =
    g_signal_new ("storage-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cairn_workspace_init (CairnWorkspace *self)
{
  self->byod_config = cairn_byod_config_new ();
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->health_check_interval = CAIRN_CONNECTION_DEFAULT_INTERVAL_S;
  self->waiting = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
}

/* Public API ----------------------------------------------------------------- */

CairnWorkspace *
cairn_workspace_new (const char *id,
                     CairnStore *main_store)
{
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (main_store), NULL);

  return g_object_new (CAIRN_TYPE_WORKSPACE, "id", id, "main-store", main_store, NULL);
}

const char *
cairn_workspace_get_id (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->id;
}

CairnStore *
cairn_workspace_get_main_store (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->main_store;
}

/**
 * cairn_workspace_get_user_store:
 *
 * Returns: (nullable) (transfer none): the user's deployment while BYOD is on
 */
CairnStore *
cairn_workspace_get_user_store (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->user_store;
}

/**
 * cairn_workspace_set_user_store:
 * @user_store: (nullable): the user's deployment, or %NULL to turn BYOD off
 */
void
cairn_workspace_set_user_store (CairnWorkspace *self,
                                CairnStore     *user_store)
{
  gboolean was_enabled;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (user_store == NULL || CAIRN_IS_STORE (user_store));

  if (self->user_store == user_store)
    return;

  was_enabled = cairn_workspace_get_byod_enabled (self);
  g_set_object (&self->user_store, user_store);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_STORE]);
  if (was_enabled != cairn_workspace_get_byod_enabled (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYOD_ENABLED]);
  g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

gboolean
cairn_workspace_get_byod_enabled (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), FALSE);

  return self->user_store != NULL;
}

/**
 * cairn_workspace_store_for_table:
 *
 * Returns: (transfer none): the store @table lives in right now
 */
CairnStore *
cairn_workspace_store_for_table (CairnWorkspace *self,
                                 const char     *table)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (table != NULL, NULL);

  if (cairn_router_get_location (table) == CAIRN_TABLE_LOCATION_USER && self->user_store != NULL)
    return self->user_store;

  return self->main_store;
}

void
cairn_workspace_list_async (CairnWorkspace      *self,
                            const CairnQuery    *query,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (query != NULL);

  task = routed_task_new (self, query->table, NULL, cancellable, callback, user_data,
                          cairn_workspace_list_async);
  cairn_store_list_async (((Call *) g_task_get_task_data (task))->store, query, cancellable, list_cb, task);
}

CairnPage *
cairn_workspace_list_finish (CairnWorkspace  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_get_async (CairnWorkspace      *self,
                           const char          *table,
                           const char          *client_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_get_async);
  cairn_store_get_async (((Call *) g_task_get_task_data (task))->store, table, client_id,
                         cancellable, get_cb, task);
}

JsonObject *
cairn_workspace_get_finish (CairnWorkspace  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_insert_async (CairnWorkspace      *self,
                              const char          *table,
                              JsonObject          *document,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, NULL, cancellable, callback, user_data,
                          cairn_workspace_insert_async);
  if (goes_through_outbox (self, table))
    {
      cairn_workspace_queue_write (self, task, CAIRN_OUTBOX_INSERT, table, NULL, document);
      return;
    }
  cairn_store_insert_async (((Call *) g_task_get_task_data (task))->store, table, document,
                            cancellable, write_cb, task);
}

JsonObject *
cairn_workspace_insert_finish (CairnWorkspace  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_patch_async (CairnWorkspace      *self,
                             const char          *table,
                             const char          *client_id,
                             JsonObject          *fields,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_patch_async);
  if (goes_through_outbox (self, table))
    {
      cairn_workspace_queue_write (self, task, CAIRN_OUTBOX_PATCH, table, client_id, fields);
      return;
    }
  cairn_store_patch_async (((Call *) g_task_get_task_data (task))->store, table, client_id, fields,
                           cancellable, write_cb, task);
}

JsonObject *
cairn_workspace_patch_finish (CairnWorkspace  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_remove_async (CairnWorkspace      *self,
                              const char          *table,
                              const char          *client_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_remove_async);
  if (goes_through_outbox (self, table))
    {
      cairn_workspace_queue_write (self, task, CAIRN_OUTBOX_REMOVE, table, client_id, NULL);
      return;
    }
  cairn_store_remove_async (((Call *) g_task_get_task_data (task))->store, table, client_id,
                            cancellable, remove_cb, task);
}

gboolean
cairn_workspace_remove_finish (CairnWorkspace  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_workspace_list_conversations:
 *
 * Returns: (transfer full): the conversations that are not archived, most
 *   recently updated first
 */
CairnPagedList *
cairn_workspace_list_conversations (CairnWorkspace *self)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(JsonNode) not_archived = json_node_init_boolean (json_node_alloc (), FALSE);

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  cairn_query_add_equal (query, not_archived);
  cairn_query_set_descending (query, TRUE);

  return cairn_paged_list_new (self, query, CAIRN_TYPE_CONVERSATION, FALSE);
}

/**
 * cairn_workspace_list_messages:
 *
 * Returns: (transfer full): the messages of a conversation, oldest on top,
 *   loaded from the newest backwards
 */
CairnPagedList *
cairn_workspace_list_messages (CairnWorkspace *self,
                               const char     *conversation_id)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("messages", "by_conversation");

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  cairn_query_add_equal_string (query, conversation_id);
  cairn_query_set_descending (query, TRUE);
  /* a screenful: every row of a page is measured before the view can show it */
  cairn_query_set_page_size (query, CAIRN_WORKSPACE_MESSAGES_PAGE_SIZE);

  return cairn_paged_list_new (self, query, CAIRN_TYPE_MESSAGE, TRUE);
}

void
cairn_workspace_create_conversation_async (CairnWorkspace      *self,
                                           const char          *title,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) document = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_create_conversation_async);

  document = conversation_document (title != NULL ? title : _("New Conversation"));
  cairn_workspace_insert_async (self, "conversations", document, cancellable,
                                create_conversation_cb, g_steal_pointer (&task));
}

CairnConversation *
cairn_workspace_create_conversation_finish (CairnWorkspace  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_rename_conversation_async (CairnWorkspace      *self,
                                           const char          *conversation_id,
                                           const char          *title,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (title != NULL ? title : ""));

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_rename_conversation_async);

  /* a blank title is refused by the stores (cairn_schema_validate_patch()) */
  fields = json_object_new ();
  json_object_set_string_member (fields, "title", stripped);
  cairn_workspace_patch_async (self, "conversations", conversation_id, fields, cancellable,
                               renamed_cb, g_steal_pointer (&task));
}

gboolean
cairn_workspace_rename_conversation_finish (CairnWorkspace  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Removing a conversation removes its messages with it (the stores cascade). */
void
cairn_workspace_delete_conversation_async (CairnWorkspace      *self,
                                           const char          *conversation_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_delete_conversation_async);
  g_task_set_task_data (task, g_strdup (conversation_id), g_free);

  cairn_workspace_remove_async (self, "conversations", conversation_id, cancellable,
                                conversation_removed_cb, task);
}

gboolean
cairn_workspace_delete_conversation_finish (CairnWorkspace  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cairn_workspace_send_message_async (CairnWorkspace      *self,
                                    const char          *conversation_id,
                                    const char          *content,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) document = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_send_message_async);

  if (!cairn_is_client_id (conversation_id))
    {
      g_task_return_new_error (task, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                               _("Choose a conversation first."));
      return;
    }

  /* empty or too long, the stores refuse it (cairn_schema_validate_document()) */
  document = message_document (conversation_id, content != NULL ? content : "");
  cairn_workspace_insert_async (self, "messages", document, cancellable,
                                send_message_cb, g_steal_pointer (&task));
}

CairnMessage *
cairn_workspace_send_message_finish (CairnWorkspace  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * cairn_workspace_save_draft_async:
 * @text: what the composer holds; empty removes the draft
 */
void
cairn_workspace_save_draft_async (CairnWorkspace      *self,
                                  const char          *conversation_id,
                                  const char          *text,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) draft = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_save_draft_async);

  if (text == NULL || *text == '\0')
    {
      cairn_workspace_remove_async (self, "drafts", conversation_id, cancellable,
                                    remove_to_boolean_cb, g_steal_pointer (&task));
      return;
    }

  draft = json_object_new ();
  json_object_set_string_member (draft, "clientId", conversation_id);
  json_object_set_string_member (draft, "content", text);
  json_object_set_double_member (draft, "updatedAt", cairn_json_now_ms ());
  cairn_store_upsert_async (cairn_workspace_store_for_table (self, "drafts"), "drafts", draft, cancellable,
                            draft_saved_cb, g_steal_pointer (&task));
}

gboolean
cairn_workspace_save_draft_finish (CairnWorkspace  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cairn_workspace_load_draft_async (CairnWorkspace      *self,
                                  const char          *conversation_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_load_draft_async);

  cairn_workspace_get_async (self, "drafts", conversation_id, cancellable, load_draft_cb, task);
}

/**
 * cairn_workspace_load_draft_finish:
 *
 * Returns: (transfer full): the draft, "" when there is none
 */
char *
cairn_workspace_load_draft_finish (CairnWorkspace  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_emit_storage_changed (CairnWorkspace *self)
{
  g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

void
cairn_workspace_notify_byod_config (CairnWorkspace *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYOD_CONFIG]);
}

/**
 * cairn_workspace_set_health_check_interval:
 *
 * Seconds between checks of the user's deployment while it is connected
 * (the health-check-interval setting).
 */
void
cairn_workspace_set_health_check_interval (CairnWorkspace *self,
                                           guint           seconds)
{
  CairnConnection *connection;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (seconds > 0);

  self->health_check_interval = seconds;
  connection = cairn_workspace_get_connection (self);
  if (connection != NULL)
    cairn_connection_set_health_check_interval (connection, seconds);
}
