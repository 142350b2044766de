/* cairn-live-query.c
 *
 * One listing's first page on the user's deployment, kept up to date: a
 * subscription to `documents:list` over the sync socket (the same arguments
 * the HTTP listing sends), or, while the socket is refused, the same listing
 * asked for over HTTP every CAIRN_LIVE_QUERY_POLL_MS.
 *
 * Each new result is compared with the one before, and only the difference
 * is told: ::document-changed for a document that is new or differs,
 * ::document-removed for one that is gone. A document missing from the new
 * page is gone only if it would sort inside it (or the page is the whole
 * listing): one that merely slid past the end of a full page, because newer
 * ones came in front, is still there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-live-query"

#include "cairn-convex-store.h"
#include "cairn-json.h"
#include "cairn-live-query.h"
#include "cairn-query.h"

struct _CairnLiveQuery
{
  GObject          parent_instance;

  CairnSyncClient *sync;
  CairnStore      *store;     /* where polling asks */
  CairnClock      *clock;
  CairnQuery      *query;     /* the first page */
  guint            query_id;
  gboolean         subscribed;
  GHashTable      *shown;     /* clientId -> JsonObject: the last result */
  guint            poll_timer;
  GCancellable    *poll;      /* the poll under way, if any */
  gboolean         polling;
};

G_DEFINE_FINAL_TYPE (CairnLiveQuery, cairn_live_query, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SYNC,
  PROP_STORE,
  PROP_CLOCK,
  PROP_QUERY,
  PROP_POLLING,
  N_PROPS
};

enum {
  DOCUMENT_CHANGED,
  DOCUMENT_REMOVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Results -------------------------------------------------------------------- */

static void
take_page (CairnLiveQuery *self,
           CairnPage      *page)
{
  /* a handler may let go of the list, and of this with it, while it is told */
  g_autoptr(CairnLiveQuery) hold = g_object_ref (self);
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) json_object_unref);
  JsonObject *last = page->documents->len > 0 ? g_ptr_array_index (page->documents, page->documents->len - 1) : NULL;
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < page->documents->len; i++)
    {
      JsonObject *document = g_ptr_array_index (page->documents, i);
      const char *client_id = cairn_json_get_string (document, "clientId");
      JsonObject *before;

      if (client_id == NULL || g_hash_table_contains (shown, client_id))
        continue;

      g_hash_table_insert (shown, (gpointer) client_id, json_object_ref (document));
      before = g_hash_table_lookup (self->shown, client_id);
      if (before == NULL || !json_object_equal (before, document))
        g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, self->query->table, document);
    }

  g_hash_table_iter_init (&iter, self->shown);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_hash_table_contains (shown, key))
        continue;
      if (page->done || (last != NULL && cairn_query_compare (self->query, value, last) < 0))
        g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, self->query->table, key);
    }

  /* the keys are the documents' own strings */
  g_hash_table_unref (self->shown);
  self->shown = g_steal_pointer (&shown);
}

static void
take_value (CairnLiveQuery *self,
            JsonNode       *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_convex_store_read_page (self->query->table, value, &error);

  if (page == NULL)
    {
      g_message ("A live listing of %s was not usable: %s", self->query->table, error->message);
      return;
    }

  take_page (self, page);
}

static void
query_updated_cb (CairnLiveQuery  *self,
                  guint            query_id,
                  JsonNode        *value,
                  CairnSyncClient *sync)
{
  if (self->subscribed && query_id == self->query_id)
    take_value (self, value);
}

static void
query_failed_cb (CairnLiveQuery  *self,
                 guint            query_id,
                 const char      *message,
                 CairnSyncClient *sync)
{
  if (self->subscribed && query_id == self->query_id)
    g_message ("The live listing of %s failed on the deployment: %s", self->query->table, message);
}

/* Polling -------------------------------------------------------------------- */

static void schedule_poll (CairnLiveQuery *self);

static void
polled_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CairnLiveQuery) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->poll);
  /* a failure is the connection's to tell (it blocks); the next poll tries again */
  if (page != NULL)
    take_page (self, page);
  else
    g_debug ("Polling %s: %s", self->query->table, error->message);

  schedule_poll (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  CairnLiveQuery *self = user_data;

  self->poll_timer = 0;
  self->poll = g_cancellable_new ();
  cairn_store_list_async (self->store, self->query, self->poll, polled_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static void
schedule_poll (CairnLiveQuery *self)
{
  if (self->polling && self->poll_timer == 0 && self->poll == NULL)
    self->poll_timer = cairn_clock_add_timeout (self->clock, CAIRN_LIVE_QUERY_POLL_MS, poll_cb, self, NULL);
}

static void
stop_polling (CairnLiveQuery *self)
{
  cairn_clock_remove (self->clock, self->poll_timer);
  self->poll_timer = 0;
  g_cancellable_cancel (self->poll);
  g_clear_object (&self->poll);
}

/* Polls while the deployment refuses the socket, and only then. */
static void
sync_state_cb (CairnLiveQuery *self)
{
  gboolean polling = cairn_sync_client_get_state (self->sync) == CAIRN_SYNC_REFUSED;

  if (polling == self->polling)
    return;

  self->polling = polling;
  if (polling)
    schedule_poll (self);
  else
    stop_polling (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POLLING]);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_live_query_constructed (GObject *object)
{
  CairnLiveQuery *self = (CairnLiveQuery *) object;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;

  G_OBJECT_CLASS (cairn_live_query_parent_class)->constructed (object);

  g_assert (CAIRN_IS_SYNC_CLIENT (self->sync));
  g_assert (CAIRN_IS_STORE (self->store));
  g_assert (CAIRN_IS_CLOCK (self->clock));
  g_assert (self->query != NULL);

  args = cairn_convex_store_list_args (self->query, &error);
  if (args == NULL)
    {
      g_warning ("Cannot follow %s live: %s", self->query->table, error->message);
      return;
    }

  g_signal_connect_object (self->sync, "query-updated", G_CALLBACK (query_updated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync, "query-failed", G_CALLBACK (query_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync, "notify::state", G_CALLBACK (sync_state_cb), self, G_CONNECT_SWAPPED);
  self->query_id = cairn_sync_client_subscribe (self->sync, "documents:list", args);
  self->subscribed = TRUE;
  sync_state_cb (self);
}

static void
cairn_live_query_dispose (GObject *object)
{
  CairnLiveQuery *self = (CairnLiveQuery *) object;

  stop_polling (self);
  if (self->subscribed)
    cairn_sync_client_unsubscribe (self->sync, self->query_id);
  self->subscribed = FALSE;
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->store);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_live_query_parent_class)->dispose (object);
}

static void
cairn_live_query_finalize (GObject *object)
{
  CairnLiveQuery *self = (CairnLiveQuery *) object;

  g_clear_pointer (&self->query, cairn_query_free);
  g_clear_pointer (&self->shown, g_hash_table_unref);

  G_OBJECT_CLASS (cairn_live_query_parent_class)->finalize (object);
}

static void
cairn_live_query_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CairnLiveQuery *self = CAIRN_LIVE_QUERY (object);

  switch (prop_id)
    {
    case PROP_POLLING:
      g_value_set_boolean (value, self->polling);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_live_query_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CairnLiveQuery *self = CAIRN_LIVE_QUERY (object);

  switch (prop_id)
    {
    case PROP_SYNC:
      self->sync = g_value_dup_object (value);
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_QUERY:
      self->query = g_value_dup_boxed (value);
      if (self->query != NULL)
        cairn_query_set_cursor (self->query, NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_live_query_class_init (CairnLiveQueryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cairn_live_query_constructed;
  object_class->dispose = cairn_live_query_dispose;
  object_class->finalize = cairn_live_query_finalize;
  object_class->get_property = cairn_live_query_get_property;
  object_class->set_property = cairn_live_query_set_property;

  properties[PROP_SYNC] =
    g_param_spec_object ("sync", NULL, NULL, CAIRN_TYPE_SYNC_CLIENT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, CAIRN_TYPE_STORE,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, CAIRN_TYPE_CLOCK,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_QUERY] =
    g_param_spec_boxed ("query", NULL, NULL, CAIRN_TYPE_QUERY,
                        G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * CairnLiveQuery:polling:
   *
   * Whether the listing is asked for over HTTP every few seconds because the
   * deployment (or something on the way) refuses the sync socket.
   */
  properties[PROP_POLLING] =
    g_param_spec_boolean ("polling", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnLiveQuery::document-changed:
   * @table: the query's table
   * @document: a document of the first page that is new or differs from the last result
   */
  signals[DOCUMENT_CHANGED] =
    g_signal_new ("document-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);

  /**
   * CairnLiveQuery::document-removed:
   * @table: the query's table
   * @client_id: a document of the last result that is gone from the listing
   */
  signals[DOCUMENT_REMOVED] =
    g_signal_new ("document-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cairn_live_query_init (CairnLiveQuery *self)
{
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) json_object_unref);
}

/**
 * cairn_live_query_new:
 * @sync: the deployment's sync client
 * @store: where the listing is asked for while polling (the connection)
 * @query: the listing; its first page is followed
 *
 * Returns: (transfer full): the live listing, subscribed
 */
CairnLiveQuery *
cairn_live_query_new (CairnSyncClient  *sync,
                      CairnStore       *store,
                      CairnClock       *clock,
                      const CairnQuery *query)
{
  return g_object_new (CAIRN_TYPE_LIVE_QUERY, "sync", sync, "store", store, "clock", clock,
                       "query", query, NULL);
}

gboolean
cairn_live_query_get_polling (CairnLiveQuery *self)
{
  g_return_val_if_fail (CAIRN_IS_LIVE_QUERY (self), FALSE);

  return self->polling;
}
