/* cairn-content-mover.c
 *
 * Moves every content table from one store to another, so nobody is
 * stranded when Bring Your Own Database is switched on or off:
 *
 *   counting  → how many documents there are, for the progress bar
 *   copying   → page by page, the documents inserted into the destination in
 *               batches (cairn_store_apply_async(): one request carries
 *               MOVE_BATCH_WRITES of them), MOVE_ROUND_PAGES pages read ahead
 *               and their batches in flight together (inserts of one table
 *               do not depend on each other's order); idempotent by
 *               clientId, so a round copied twice is harmless
 *   verifying → every source clientId must be in the destination
 *   removing  → only then, and only towards the deployment, the source copies go
 *
 * Where it stands is written to a journal row in the main store after every
 * page (copying: every round, once all of its batches were acknowledged), so
 * a move that fails or is interrupted resumes where it stopped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-content-mover"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-clock.h"
#include "cairn-content-mover.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-page-walk.h"
#include "cairn-router.h"
#include "cairn-schema.h"
#include "cairn-store.h"

#define JOURNAL_TABLE   "byodMigrations"
#define COPY_PAGE_SIZE     250
#define SCAN_PAGE_SIZE     1000
#define MOVE_BATCH_WRITES  250   /* documents per batch request */
#define MOVE_ROUND_PAGES   8     /* pages (and so batches) in flight at once */

struct _CairnContentMover
{
  GObject                    parent_instance;

  CairnStore                *journal;
  CairnStore                *from;
  CairnStore                *to;
  char                      *workspace_id;
  char                      *deployment_url;
  CairnContentMoveDirection  direction;
  CairnClock                *clock;        /* stamps the journal */

  GPtrArray                 *tables;       /* (element-type utf8) the content tables, parents first */
  CairnContentMovePhase      phase;
  guint                      table_index;
  char                      *cursor;
  CairnPageWalk             *walk;      /* the listing self->cursor walks */
  guint                      copied;
  guint                      total;

  GHashTable                *present;      /* verifying: clientIds in the destination */
  gboolean                   scanned;      /* verifying: all of the destination is in present */
  guint                      missing;
  guint                      in_flight;    /* writes (removing) or batches (copying) of the current page */
  GError                    *page_error;
  GPtrArray                 *round;        /* copying: (element-type GPtrArray of CairnStoreWrite) the batches read ahead */
};

G_DEFINE_FINAL_TYPE (CairnContentMover, cairn_content_mover, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PHASE,
  PROP_COPIED,
  PROP_TOTAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void step (GTask *task);

/* Helpers ------------------------------------------------------------------ */

static const char *phase_names[] = { "counting", "copying", "verifying", "removing", "done" };

static CairnContentMovePhase
phase_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (phase_names); i++)
    if (g_strcmp0 (phase_names[i], name) == 0)
      return i;

  return CAIRN_CONTENT_MOVE_COUNTING;
}

static const char *
current_table (CairnContentMover *self)
{
  return self->table_index < self->tables->len ? g_ptr_array_index (self->tables, self->table_index) : NULL;
}

static char *
journal_id (CairnContentMover *self)
{
  g_autofree char *name = g_strdup_printf ("cairn-content-move:%s:%s:%d", self->workspace_id,
                                           self->deployment_url, self->direction);

  return cairn_client_id_for_name (name);
}

static void
set_phase (CairnContentMover     *self,
           CairnContentMovePhase  phase)
{
  self->phase = phase;
  self->table_index = 0;
  g_clear_pointer (&self->cursor, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
}

static void
set_copied (CairnContentMover *self,
            guint              copied)
{
  self->copied = copied;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COPIED]);
}

static CairnQuery *
scan_query (const char *table,
            const char *cursor,
            guint       page_size)
{
  CairnQuery *query = cairn_query_new (table, "by_clientId");

  cairn_query_set_page_size (query, page_size);
  cairn_query_set_cursor (query, cursor);

  return query;
}

/* Moves on to the next table, or the next phase after the last one. */
static void
next_table (CairnContentMover     *self,
            CairnContentMovePhase  next_phase)
{
  g_clear_pointer (&self->cursor, g_free);
  g_clear_pointer (&self->present, g_hash_table_unref);
  if (++self->table_index >= self->tables->len)
    set_phase (self, next_phase);
}

static gboolean
fail_if (GTask   *task,
         GError **error)
{
  if (*error == NULL)
    return FALSE;

  g_task_return_error (task, g_steal_pointer (error));
  return TRUE;
}

/* Journal ------------------------------------------------------------------ */

static void
journal_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);

  if (fail_if (task, &error))
    return;

  if (self->phase == CAIRN_CONTENT_MOVE_DONE)
    g_task_return_boolean (task, TRUE);
  else
    step (g_steal_pointer (&task));
}

/* Writes where the move stands, then takes the next step. */
static void
save_and_step (GTask *task)
{
  CairnContentMover *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) row = json_object_new ();
  g_autofree char *id = journal_id (self);

  json_object_set_string_member (row, "clientId", id);
  json_object_set_string_member (row, "workspace", self->workspace_id);
  json_object_set_string_member (row, "deploymentUrl", self->deployment_url);
  json_object_set_string_member (row, "direction",
                                 self->direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT ? "to-deployment" : "to-local");
  json_object_set_string_member (row, "phase", phase_names[self->phase]);
  json_object_set_double_member (row, "tableIndex", self->table_index);
  json_object_set_string_member (row, "cursor", self->cursor != NULL ? self->cursor : "");
  json_object_set_double_member (row, "copied", self->copied);
  json_object_set_double_member (row, "total", self->total);
  json_object_set_double_member (row, "updatedAt", cairn_clock_get_real_time_ms (self->clock));

  cairn_store_upsert_async (self->journal, JOURNAL_TABLE, row, g_task_get_cancellable (task),
                            journal_saved_cb, task);
}

static void
journal_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) row = cairn_store_get_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);
  CairnContentMovePhase phase;
  const char *cursor;

  if (row == NULL && !g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  phase = row != NULL ? phase_from_name (cairn_json_get_string (row, "phase")) : CAIRN_CONTENT_MOVE_DONE;

  /* A finished move (or none) starts over; an unfinished one resumes. */
  if (phase == CAIRN_CONTENT_MOVE_DONE)
    {
      set_phase (self, CAIRN_CONTENT_MOVE_COUNTING);
      set_copied (self, 0);
    }
  else
    {
      set_phase (self, phase);
      self->table_index = (guint) cairn_json_get_number (row, "tableIndex");
      cursor = cairn_json_get_string (row, "cursor");
      self->cursor = cursor != NULL && *cursor != '\0' ? g_strdup (cursor) : NULL;
      self->total = (guint) cairn_json_get_number (row, "total");
      set_copied (self, (guint) cairn_json_get_number (row, "copied"));
      g_debug ("Resuming a content move at %s, table %u", phase_names[phase], self->table_index);
    }

  step (g_steal_pointer (&task));
}

/* Counting ----------------------------------------------------------------- */

/* Whether @page (asked for with self->cursor; %NULL when listing failed with
 * @error) moves the walk on: a source or destination that keeps handing out
 * the same pages fails the move. */
static gboolean
walk_on (CairnContentMover  *self,
         const CairnPage    *page,
         GError            **error)
{
  if (page == NULL)
    return FALSE;

  if (self->walk == NULL || self->cursor == NULL)
    {
      g_clear_pointer (&self->walk, cairn_page_walk_free);
      self->walk = cairn_page_walk_new (current_table (self));
    }

  return cairn_page_walk_step (self->walk, self->cursor, page, error);
}

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);

  if (!walk_on (self, page, &error) && fail_if (task, &error))
    return;

  self->total += page->documents->len;
  g_free (self->cursor);
  self->cursor = g_strdup (page->cursor);
  if (page->done)
    {
      next_table (self, CAIRN_CONTENT_MOVE_COPYING);
      if (self->phase == CAIRN_CONTENT_MOVE_COPYING)
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
          save_and_step (g_steal_pointer (&task));
          return;
        }
    }

  step (g_steal_pointer (&task));
}

/* Copying and removing: every document of a page at once ------------------- */

static void
page_written (GTask *task)
{
  CairnContentMover *self = g_task_get_source_object (task);

  if (--self->in_flight > 0)
    return;

  if (self->page_error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&self->page_error));
      g_object_unref (task);
      return;
    }

  save_and_step (task);
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  CairnContentMover *self = g_task_get_source_object (task);

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error) && self->page_error == NULL)
    self->page_error = g_steal_pointer (&error);

  page_written (task);
}

/* A batch of the round, acknowledged or not. */
typedef struct {
  GTask     *task;
  GPtrArray *writes;
} RoundBatch;

static void
batch_written_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  RoundBatch *batch = user_data;
  GTask *task = batch->task;
  g_autoptr(GError) error = NULL;
  CairnContentMover *self = g_task_get_source_object (task);
  guint copied = 0;

  if (!cairn_store_apply_finish (CAIRN_STORE (object), result, &error))
    {
      if (self->page_error == NULL)
        self->page_error = g_steal_pointer (&error);
    }
  else
    for (guint i = 0; i < batch->writes->len; i++)
      {
        CairnStoreWrite *write = g_ptr_array_index (batch->writes, i);

        if (write->error == NULL)
          copied++;
        else if (self->page_error == NULL)
          self->page_error = g_error_copy (write->error);
      }

  if (copied > 0)
    set_copied (self, self->copied + copied);

  g_ptr_array_unref (batch->writes);
  g_free (batch);
  page_written (task);
}

/* Sends every batch of the round at once; the journal moves on when all are in. */
static void
send_round (GTask *task)
{
  CairnContentMover *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GPtrArray) round = g_steal_pointer (&self->round);

  if (round == NULL || round->len == 0)
    {
      save_and_step (task);
      return;
    }

  self->in_flight = round->len;
  for (guint i = 0; i < round->len; i++)
    {
      RoundBatch *batch = g_new0 (RoundBatch, 1);

      batch->task = task;
      batch->writes = g_ptr_array_ref (g_ptr_array_index (round, i));
      cairn_store_apply_async (self->to, batch->writes, cancellable, batch_written_cb, batch);
    }
}

static void
copy_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);
  const char *table = current_table (self);
  gboolean round_full;

  if (!walk_on (self, page, &error) && fail_if (task, &error))
    {
      g_clear_pointer (&self->round, g_ptr_array_unref);
      return;
    }

  if (self->round == NULL)
    self->round = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < page->documents->len; i++)
    {
      GPtrArray *batch = self->round->len > 0 ? g_ptr_array_index (self->round, self->round->len - 1) : NULL;

      if (batch == NULL || batch->len >= MOVE_BATCH_WRITES)
        {
          batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_store_write_free);
          g_ptr_array_add (self->round, batch);
        }
      g_ptr_array_add (batch, cairn_store_write_new (CAIRN_STORE_WRITE_INSERT, table, NULL,
                                                     g_ptr_array_index (page->documents, i)));
    }
  round_full = self->round->len >= MOVE_ROUND_PAGES * COPY_PAGE_SIZE / MOVE_BATCH_WRITES;

  /* the journal moves past these pages only once all of them have been written */
  g_free (self->cursor);
  self->cursor = g_strdup (page->cursor);
  if (page->done)
    next_table (self, CAIRN_CONTENT_MOVE_VERIFYING);

  /* read ahead within the table: its next page joins the round */
  if (!page->done && !round_full)
    {
      step (g_steal_pointer (&task));
      return;
    }

  send_round (g_steal_pointer (&task));
}

/* Removing always lists the first page again: what it removed is gone. */
static void
remove_page_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  const char *table = current_table (self);

  if (fail_if (task, &error))
    return;

  if (page->documents->len == 0)
    {
      next_table (self, CAIRN_CONTENT_MOVE_DONE);
      save_and_step (g_steal_pointer (&task));
      return;
    }

  self->in_flight = page->documents->len;
  for (guint i = 0; i < page->documents->len; i++)
    cairn_store_remove_async (self->from, table,
                              cairn_json_get_string (g_ptr_array_index (page->documents, i), "clientId"),
                              cancellable, removed_cb, task);
  g_steal_pointer (&task);
}

/* Verifying: first what the destination has, then whether the source is in it */

static void
destination_scanned_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);

  if (!walk_on (self, page, &error) && fail_if (task, &error))
    return;

  for (guint i = 0; i < page->documents->len; i++)
    g_hash_table_add (self->present,
                      g_strdup (cairn_json_get_string (g_ptr_array_index (page->documents, i), "clientId")));

  g_free (self->cursor);
  self->cursor = g_strdup (page->cursor);
  if (page->done)
    {
      /* from now on the cursor walks the source */
      g_clear_pointer (&self->cursor, g_free);
      self->missing = 0;
      self->scanned = TRUE;
    }

  step (g_steal_pointer (&task));
}

static void
source_checked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnContentMover *self = g_task_get_source_object (task);
  const char *table = current_table (self);

  if (!walk_on (self, page, &error) && fail_if (task, &error))
    return;

  for (guint i = 0; i < page->documents->len; i++)
    if (!g_hash_table_contains (self->present,
                                cairn_json_get_string (g_ptr_array_index (page->documents, i), "clientId")))
      self->missing++;

  g_free (self->cursor);
  self->cursor = g_strdup (page->cursor);
  if (!page->done)
    {
      step (g_steal_pointer (&task));
      return;
    }

  if (self->missing > 0)
    {
      guint missing = self->missing;

      /* copying again is harmless: start it over, and say what went wrong */
      set_phase (self, CAIRN_CONTENT_MOVE_COPYING);
      set_copied (self, 0);
      g_clear_pointer (&self->present, g_hash_table_unref);
      g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED,
                               ngettext ("%u document of %s did not arrive. Nothing was removed; resume the move to copy it again.",
                                         "%u documents of %s did not arrive. Nothing was removed; resume the move to copy them again.",
                                         missing),
                               missing, table);
      return;
    }

  next_table (self, self->direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT ? CAIRN_CONTENT_MOVE_REMOVING
                                                                        : CAIRN_CONTENT_MOVE_DONE);
  save_and_step (g_steal_pointer (&task));
}

static void
verify (GTask *task)
{
  CairnContentMover *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(CairnQuery) query = scan_query (current_table (self), self->cursor, SCAN_PAGE_SIZE);

  if (self->present == NULL)
    {
      self->present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      self->scanned = FALSE;
      g_clear_pointer (&self->cursor, g_free);
      cairn_query_set_cursor (query, NULL);
    }

  if (!self->scanned)
    cairn_store_list_async (self->to, query, cancellable, destination_scanned_cb, task);
  else
    cairn_store_list_async (self->from, query, cancellable, source_checked_cb, task);
}

/* The next thing to do, whatever the phase. */
static void
step (GTask *task)
{
  CairnContentMover *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(CairnQuery) query = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  switch (self->phase)
    {
    case CAIRN_CONTENT_MOVE_COUNTING:
      query = scan_query (current_table (self), self->cursor, SCAN_PAGE_SIZE);
      cairn_store_list_async (self->from, query, cancellable, counted_cb, task);
      break;

    case CAIRN_CONTENT_MOVE_COPYING:
      query = scan_query (current_table (self), self->cursor, COPY_PAGE_SIZE);
      cairn_store_list_async (self->from, query, cancellable, copy_page_cb, task);
      break;

    case CAIRN_CONTENT_MOVE_VERIFYING:
      verify (task);
      break;

    case CAIRN_CONTENT_MOVE_REMOVING:
      query = scan_query (current_table (self), NULL, COPY_PAGE_SIZE);
      cairn_store_list_async (self->from, query, cancellable, remove_page_cb, task);
      break;

    case CAIRN_CONTENT_MOVE_DONE:
    default:
      save_and_step (task);
      break;
    }
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_content_mover_dispose (GObject *object)
{
  CairnContentMover *self = (CairnContentMover *) object;

  g_clear_object (&self->journal);
  g_clear_object (&self->from);
  g_clear_object (&self->to);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_content_mover_parent_class)->dispose (object);
}

static void
cairn_content_mover_finalize (GObject *object)
{
  CairnContentMover *self = (CairnContentMover *) object;

  g_free (self->workspace_id);
  g_free (self->deployment_url);
  g_free (self->cursor);
  g_clear_pointer (&self->walk, cairn_page_walk_free);
  g_clear_pointer (&self->tables, g_ptr_array_unref);
  g_clear_pointer (&self->present, g_hash_table_unref);
  g_clear_pointer (&self->round, g_ptr_array_unref);
  g_clear_error (&self->page_error);

  G_OBJECT_CLASS (cairn_content_mover_parent_class)->finalize (object);
}

static void
cairn_content_mover_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnContentMover *self = CAIRN_CONTENT_MOVER (object);

  switch (prop_id)
    {
    case PROP_PHASE:
      g_value_set_uint (value, self->phase);
      break;
    case PROP_COPIED:
      g_value_set_uint (value, self->copied);
      break;
    case PROP_TOTAL:
      g_value_set_uint (value, self->total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_content_mover_class_init (CairnContentMoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_content_mover_dispose;
  object_class->finalize = cairn_content_mover_finalize;
  object_class->get_property = cairn_content_mover_get_property;

  properties[PROP_PHASE] = g_param_spec_uint ("phase", NULL, NULL, 0, CAIRN_CONTENT_MOVE_DONE, 0, ro);
  properties[PROP_COPIED] = g_param_spec_uint ("copied", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_TOTAL] = g_param_spec_uint ("total", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_content_mover_init (CairnContentMover *self)
{
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);

  /* the schema lists parents before their children */
  self->tables = g_ptr_array_new ();
  for (guint i = 0; i < n_tables; i++)
    if (cairn_router_is_user_table (tables[i]->name))
      g_ptr_array_add (self->tables, (gpointer) tables[i]->name);
}

/* Public API ----------------------------------------------------------------- */

/**
 * cairn_content_mover_new:
 * @journal: where the move keeps its progress (the main store)
 * @from: where the content is
 * @to: where it goes
 * @clock: the time the journal is stamped with
 */
CairnContentMover *
cairn_content_mover_new (CairnStore                *journal,
                         const char                *workspace_id,
                         const char                *deployment_url,
                         CairnStore                *from,
                         CairnStore                *to,
                         CairnContentMoveDirection  direction,
                         CairnClock                *clock)
{
  CairnContentMover *self;

  g_return_val_if_fail (CAIRN_IS_STORE (journal), NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (from), NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (to), NULL);
  g_return_val_if_fail (from != to, NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = g_object_new (CAIRN_TYPE_CONTENT_MOVER, NULL);
  self->journal = g_object_ref (journal);
  self->from = g_object_ref (from);
  self->to = g_object_ref (to);
  self->workspace_id = g_strdup (workspace_id);
  self->deployment_url = g_strdup (deployment_url);
  self->direction = direction;
  self->clock = g_object_ref (clock);

  return self;
}

/**
 * cairn_content_mover_run_async:
 *
 * Runs the move from where the journal says it stopped, or from the start.
 * Running it again after a failure is the way to resume.
 */
void
cairn_content_mover_run_async (CairnContentMover   *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *id = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_CONTENT_MOVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_content_mover_run_async);

  g_clear_pointer (&self->present, g_hash_table_unref);
  g_clear_pointer (&self->round, g_ptr_array_unref);
  g_clear_error (&self->page_error);
  self->total = 0;

  id = journal_id (self);
  cairn_store_get_async (self->journal, JOURNAL_TABLE, id, cancellable, journal_loaded_cb, task);
}

gboolean
cairn_content_mover_run_finish (CairnContentMover  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

CairnContentMoveDirection
cairn_content_mover_get_direction (CairnContentMover *self)
{
  g_return_val_if_fail (CAIRN_IS_CONTENT_MOVER (self), CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);

  return self->direction;
}

CairnContentMovePhase
cairn_content_mover_get_phase (CairnContentMover *self)
{
  g_return_val_if_fail (CAIRN_IS_CONTENT_MOVER (self), CAIRN_CONTENT_MOVE_COUNTING);

  return self->phase;
}

guint
cairn_content_mover_get_copied (CairnContentMover *self)
{
  g_return_val_if_fail (CAIRN_IS_CONTENT_MOVER (self), 0);

  return self->copied;
}

guint
cairn_content_mover_get_total (CairnContentMover *self)
{
  g_return_val_if_fail (CAIRN_IS_CONTENT_MOVER (self), 0);

  return self->total;
}

double
cairn_content_mover_get_fraction (CairnContentMover *self)
{
  g_return_val_if_fail (CAIRN_IS_CONTENT_MOVER (self), 0);

  if (self->phase == CAIRN_CONTENT_MOVE_DONE)
    return 1.0;
  if (self->total == 0)
    return 0.0;

  return MIN (1.0, (double) self->copied / self->total);
}
