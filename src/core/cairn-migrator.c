/* cairn-migrator.c
 *
 * Brings the user's deployment to the functions and the data this app
 * needs, safely, however often it runs and wherever it stopped last time:
 *
 *   1. cairn:ping — which schema version the functions speak, and which
 *      migrations are pending;
 *   2. functions missing or older: push this app's (CairnFunctionsPush),
 *      then ping again; newer ones are never replaced;
 *   3. nothing pending: done. Otherwise the lease (migrations:acquireLease):
 *      one runner per deployment; while another holds it, ask again every
 *      CAIRN_MIGRATOR_LEASE_RETRY_MS; one that crashed stops renewing it and
 *      loses it after CAIRN_MIGRATOR_LEASE_TTL_MS;
 *   4. each pending migration (migrations:status, in order): migrations:step
 *      until done. Each step is one transaction on the deployment that does a
 *      batch from the cursor stored there and stores the new cursor, so a
 *      run that stops anywhere resumes where the last step left off. A step
 *      that hits a transaction limit is tried again with half the batch (down
 *      to one document; it doubles again after a few steps that fit); any
 *      other failure is recorded (migrations:recordFailure) and stops the
 *      chain;
 *   5. the lease released (also after a failure), and a last ping: nothing
 *      may be pending.
 *
 * Transport failures are retried with the connection's backoff a few times,
 * then the run fails with the retryable error; the next run resumes. Every
 * wait is on the CairnClock, and stops when the run is cancelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-migrator"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-backoff.h"
#include "cairn-connection.h"
#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-migrator.h"

/* Transport failures of one call tried again, with the connection's
 * request backoff (100 ms doubling, jittered). */
#define CALL_RETRIES     5
/* A lease lost in the middle (a step that took longer than its time to
 * live) is taken again this often before the run gives up. */
#define MAX_LEASE_LOSSES 3
/* Rounds of migrations before the last ping must find nothing pending. */
#define MAX_ROUNDS       2
/* Steps that fit in a row before a halved batch doubles again: a few heavy
 * documents do not slow the rest of the migration down for good. */
#define STEPS_TO_GROW    4

struct _CairnMigrator
{
  GObject             parent_instance;

  CairnConvexClient  *client;
  CairnClock         *clock;
  char               *owner;
  GBytes             *bundle;
  GRand              *rand;

  CairnMigratorStage  stage;
  CairnPushStage      push_stage;
  char               *message;
  double              fraction;
  gboolean            running;
};

G_DEFINE_FINAL_TYPE (CairnMigrator, cairn_migrator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CLOCK,
  PROP_OWNER,
  PROP_BUNDLE,
  PROP_STAGE,
  PROP_PUSH_STAGE,
  PROP_MESSAGE,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What to do with a call's answer: takes @task; @value or @error is set. */
typedef void (*Then) (GTask        *task,
                      JsonNode     *value,
                      const GError *error);

typedef struct {
  /* the call in flight, kept to be sent again */
  CairnConvexKind  kind;
  const char      *path;
  JsonObject      *args;
  Then             then;
  guint            attempt;

  /* a wait on the clock: it holds the task meanwhile */
  GTask           *waiting;
  guint            timer;
  GSource         *cancelled;
  void           (*resume) (GTask *task);

  gboolean         pushed;
  gboolean         race_retried;
  gboolean         have_lease;
  guint            lease_losses;
  guint            rounds;

  GPtrArray       *pending;      /* migration ids, in order */
  GHashTable      *names;        /* migration id -> name */
  guint            current;      /* index into pending */
  guint            batch_size;
  guint            steps_fitted;  /* in a row, at this batch size */
  char            *step_error;   /* the failed step's reason, while it is recorded */
  GError          *failure;      /* kept while the lease is released */
} Update;

static void
update_free (Update *update)
{
  g_assert (update->waiting == NULL);

  g_clear_pointer (&update->args, json_object_unref);
  g_clear_pointer (&update->pending, g_ptr_array_unref);
  g_clear_pointer (&update->names, g_hash_table_unref);
  g_free (update->step_error);
  g_clear_error (&update->failure);
  g_free (update);
}

static void check (GTask *task);
static void acquire_lease (GTask *task);
static void migrate_next (GTask *task);
static void end (GTask *task, GError *error);

/* State ------------------------------------------------------------------ */

static void
set_progress (CairnMigrator      *self,
              CairnMigratorStage  stage,
              const char         *message,
              double              fraction)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->stage != stage)
    {
      self->stage = stage;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
    }
  if (message != NULL && g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  fraction = CLAMP (fraction, 0, 1);
  if (self->fraction != fraction)
    {
      self->fraction = fraction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* Waits on the clock ---------------------------------------------------------- */

static void
stop_waiting (Update *update)
{
  if (update->timer != 0)
    {
      CairnMigrator *self = g_task_get_source_object (update->waiting);

      cairn_clock_remove (self->clock, update->timer);
      update->timer = 0;
    }
  if (update->cancelled != NULL)
    {
      g_source_destroy (update->cancelled);
      g_clear_pointer (&update->cancelled, g_source_unref);
    }
}

static void
wake (Update *update)
{
  GTask *task = g_steal_pointer (&update->waiting);

  update->resume (task);
}

static gboolean
wait_timer_cb (gpointer user_data)
{
  Update *update = user_data;

  update->timer = 0;
  stop_waiting (update);
  wake (update);

  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  Update *update = user_data;

  stop_waiting (update);
  wake (update);

  return G_SOURCE_REMOVE;
}

/* Takes @task; @resume gets it back after @delay_ms, or at once when the
 * run is cancelled (its next call then fails as cancelled). */
static void
wait_then (GTask  *task,
           guint   delay_ms,
           void  (*resume) (GTask *task))
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (update->waiting == NULL);

  update->waiting = task;
  update->resume = resume;
  update->timer = cairn_clock_add_timeout (self->clock, delay_ms, wait_timer_cb, update, NULL);

  if (cancellable != NULL)
    {
      update->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (update->cancelled, G_SOURCE_FUNC (wait_cancelled_cb), update, NULL);
      g_source_attach (update->cancelled, g_main_context_get_thread_default ());
    }
}

/* Calls, retried ------------------------------------------------------------- */

static void send_call (GTask *task);

static void
called_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);

  if (value == NULL && cairn_error_is_retryable (error) && update->attempt < CALL_RETRIES &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      guint delay = cairn_backoff_delay_ms (self->rand, CAIRN_CONNECTION_REQUEST_BASE_MS, update->attempt++,
                                            G_MAXUINT);

      g_debug ("%s again in %u ms: %s", update->path, delay, error->message);
      wait_then (task, delay, send_call);
      return;
    }

  update->attempt = 0;
  update->then (task, value, error);
}

static void
send_call (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);

  cairn_convex_client_call_async (self->client, update->kind, update->path, update->args,
                                  g_task_get_cancellable (task), called_cb, task);
}

/* Takes @task and @args; @then gets the answer. */
static void
call (GTask           *task,
      CairnConvexKind  kind,
      const char      *path,
      JsonObject      *args,
      Then             then)
{
  Update *update = g_task_get_task_data (task);

  update->kind = kind;
  update->path = path;
  g_clear_pointer (&update->args, json_object_unref);
  update->args = args != NULL ? args : json_object_new ();
  update->then = then;
  update->attempt = 0;
  send_call (task);
}

static JsonObject *
owner_args (CairnMigrator *self)
{
  JsonObject *args = json_object_new ();

  json_object_set_string_member (args, "owner", self->owner);

  return args;
}

static GError *
wrong_shape (const char *function)
{
  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                      _("Your database answered %s with something of the wrong shape."), function);
}

/* The end ---------------------------------------------------------------------- */

static void
finish (GTask  *task,
        GError *error)
{
  g_autoptr(GTask) owned = task;
  CairnMigrator *self = g_task_get_source_object (task);

  self->running = FALSE;

  if (error == NULL)
    {
      set_progress (self, CAIRN_MIGRATOR_DONE, _("Your database is up to date."), 1);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_debug ("update failed: %s", error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_progress (self, CAIRN_MIGRATOR_IDLE, _("The update was stopped."), self->fraction);
  else
    set_progress (self, CAIRN_MIGRATOR_FAILED, error->message, self->fraction);
  g_task_return_error (task, error);
}

static void
released_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Update *update = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);

  /* a lease that stays expires by itself */
  if (value == NULL)
    g_debug ("migrations:releaseLease: %s", error->message);

  finish (task, g_steal_pointer (&update->failure));
}

/* Takes @task and @error: the run ends, its lease released first (even
 * when cancelled: the release itself is not). */
static void
end (GTask  *task,
     GError *error)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);

  if (!update->have_lease)
    {
      finish (task, error);
      return;
    }

  update->have_lease = FALSE;
  update->failure = error;
  cairn_convex_client_call_async (self->client, CAIRN_CONVEX_MUTATION, "migrations:releaseLease",
                                  owner_args (self), NULL, released_cb, task);
}

/* Migrating ------------------------------------------------------------------ */

static const char *
migration_name (Update     *update,
                const char *id)
{
  const char *name = update->names != NULL ? g_hash_table_lookup (update->names, id) : NULL;

  return name != NULL ? name : id;
}

/* The deployment's answer said the transaction grew past Convex's limits:
 * the same batch, smaller, fits. */
static gboolean
hit_transaction_limit (const GError *error)
{
  g_autofree char *text = NULL;

  if (!g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED))
    return FALSE;

  text = g_utf8_strdown (error->message, -1);

  return strstr (text, "too many reads") != NULL || strstr (text, "too many bytes") != NULL ||
         (strstr (text, "transaction") != NULL && strstr (text, "too large") != NULL);
}

static GError *
migration_failed (Update     *update,
                  const char *id,
                  const char *reason)
{
  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_MIGRATION_FAILED,
                      _("The database update “%s” (%s) failed: %s. Nothing was lost; it is recorded on "
                        "your database, and running the update again continues it."),
                      migration_name (update, id), id, reason);
}

static void
failure_recorded (GTask        *task,
                  JsonNode     *value,
                  const GError *error)
{
  Update *update = g_task_get_task_data (task);
  const char *id = g_ptr_array_index (update->pending, update->current);

  /* the failure stops the chain whether or not it could be recorded */
  if (error != NULL)
    g_debug ("migrations:recordFailure: %s", error->message);

  end (task, migration_failed (update, id, update->step_error));
}

static void
record_failure (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  JsonObject *args = owner_args (self);

  json_object_set_string_member (args, "migrationId", g_ptr_array_index (update->pending, update->current));
  json_object_set_string_member (args, "error", update->step_error);
  call (task, CAIRN_CONVEX_MUTATION, "migrations:recordFailure", args, failure_recorded);
}

/* After a step failed: is the lease still ours? Then the migration
 * failed; otherwise the step was refused for the lease, taken again. */
static void
lease_checked (GTask        *task,
               JsonNode     *value,
               const GError *error)
{
  Update *update = g_task_get_task_data (task);
  CairnMigrator *self = g_task_get_source_object (task);
  JsonObject *status = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  JsonObject *lease = cairn_json_get_object (status, "lease");

  if (error != NULL)
    {
      end (task, g_error_copy (error));
      return;
    }

  if (g_strcmp0 (cairn_json_get_string (lease, "owner"), self->owner) == 0 &&
      cairn_json_get_number (lease, "expiresAt") > cairn_json_get_number (status, "now"))
    {
      record_failure (task);
      return;
    }

  update->have_lease = FALSE;
  if (++update->lease_losses > MAX_LEASE_LOSSES)
    {
      end (task, g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_LEASE_HELD,
                                      _("Another computer keeps taking over the update of your database. "
                                        "Try again later.")));
      return;
    }

  g_debug ("lost the lease during %s", (char *) g_ptr_array_index (update->pending, update->current));
  acquire_lease (task);
}

static void step (GTask *task);

static void
set_migrating (CairnMigrator *self,
               Update        *update,
               guint64        processed)
{
  const char *id = g_ptr_array_index (update->pending, update->current);
  g_autofree char *message = NULL;

  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s — %" G_GUINT64_FORMAT " document done",
                                          "%s — %" G_GUINT64_FORMAT " documents done", processed),
                             migration_name (update, id), processed);
  set_progress (self, CAIRN_MIGRATOR_MIGRATING, message, (double) update->current / update->pending->len);
}

static void
stepped (GTask        *task,
         JsonNode     *value,
         const GError *error)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  JsonObject *answer = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  JsonNode *done = answer != NULL ? json_object_get_member (answer, "done") : NULL;

  if (error == NULL && (done == NULL || !JSON_NODE_HOLDS_VALUE (done) ||
                        json_node_get_value_type (done) != G_TYPE_BOOLEAN))
    {
      end (task, wrong_shape ("migrations:step"));
      return;
    }

  if (error != NULL && hit_transaction_limit (error) && update->batch_size > 1)
    {
      update->batch_size /= 2;
      update->steps_fitted = 0;
      g_debug ("a step hit a transaction limit: batches of %u now", update->batch_size);
      step (task);
      return;
    }

  if (error != NULL && (cairn_error_is_retryable (error) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      end (task, g_error_copy (error));
      return;
    }

  if (error != NULL)
    {
      g_free (update->step_error);
      update->step_error = g_strdup (error->message);
      call (task, CAIRN_CONVEX_QUERY, "migrations:status", NULL, lease_checked);
      return;
    }

  set_migrating (self, update, (guint64) MAX (cairn_json_get_number (answer, "processed"), 0));

  if (json_node_get_boolean (done))
    {
      update->current++;
      update->batch_size = CAIRN_MIGRATOR_FIRST_BATCH;
      update->steps_fitted = 0;
      migrate_next (task);
      return;
    }

  if (update->batch_size < CAIRN_MIGRATOR_FIRST_BATCH && ++update->steps_fitted == STEPS_TO_GROW)
    {
      update->batch_size = MIN (update->batch_size * 2, CAIRN_MIGRATOR_FIRST_BATCH);
      update->steps_fitted = 0;
    }

  step (task);
}

static void
step (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  JsonObject *args = owner_args (self);

  json_object_set_string_member (args, "migrationId", g_ptr_array_index (update->pending, update->current));
  json_object_set_int_member (args, "batchSize", update->batch_size);
  json_object_set_string_member (args, "direction", "up");
  call (task, CAIRN_CONVEX_MUTATION, "migrations:step", args, stepped);
}

static void
lease_released (GTask        *task,
                JsonNode     *value,
                const GError *error)
{
  Update *update = g_task_get_task_data (task);

  if (error != NULL)
    {
      end (task, g_error_copy (error));
      return;
    }

  update->have_lease = FALSE;
  update->rounds++;
  check (task);
}

static void
migrate_next (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);

  if (update->current < update->pending->len)
    {
      set_migrating (self, update, 0);
      step (task);
      return;
    }

  /* all done: the lease goes, and a last look says nothing is left */
  call (task, CAIRN_CONVEX_MUTATION, "migrations:releaseLease", owner_args (self), lease_released);
}

/* The ids of @array's strings, in order. */
static GPtrArray *
string_list (JsonArray *array)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_ptr_array_add (list, g_strdup (json_node_get_string (element)));
    }

  return list;
}

/* With the lease: what is pending now, and the names to show. */
static void
status_loaded (GTask        *task,
               JsonNode     *value,
               const GError *error)
{
  Update *update = g_task_get_task_data (task);
  JsonObject *status = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  JsonArray *migrations = cairn_json_get_array (status, "migrations");

  if (error != NULL)
    {
      end (task, g_error_copy (error));
      return;
    }
  if (status == NULL || cairn_json_get_array (status, "pending") == NULL)
    {
      end (task, wrong_shape ("migrations:status"));
      return;
    }

  g_clear_pointer (&update->pending, g_ptr_array_unref);
  update->pending = string_list (cairn_json_get_array (status, "pending"));
  update->current = 0;
  update->batch_size = CAIRN_MIGRATOR_FIRST_BATCH;
  update->steps_fitted = 0;

  g_clear_pointer (&update->names, g_hash_table_unref);
  update->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; migrations != NULL && i < json_array_get_length (migrations); i++)
    {
      JsonNode *element = json_array_get_element (migrations, i);
      JsonObject *record = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *id = cairn_json_get_string (record, "migrationId");
      const char *name = cairn_json_get_string (record, "name");

      if (id != NULL && name != NULL)
        g_hash_table_replace (update->names, g_strdup (id), cairn_convex_server_text (name));
    }

  migrate_next (task);
}

/* The lease ------------------------------------------------------------------- */

/* "host/1b4e…" → "host": the computer, for a person to read. */
static char *
holder_name (const char *owner)
{
  g_autofree char *text = cairn_convex_server_text (owner);
  char *slash = strrchr (text, '/');

  if (slash != NULL && slash != text)
    *slash = '\0';

  return g_steal_pointer (&text);
}

static void
lease_answered (GTask        *task,
                JsonNode     *value,
                const GError *error)
{
  CairnMigrator *self = g_task_get_source_object (task);
  Update *update = g_task_get_task_data (task);
  JsonObject *answer = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  g_autofree char *holder = NULL;
  g_autofree char *message = NULL;

  if (error != NULL)
    {
      end (task, g_error_copy (error));
      return;
    }
  if (answer == NULL)
    {
      end (task, wrong_shape ("migrations:acquireLease"));
      return;
    }

  if (cairn_json_get_boolean (answer, "acquired"))
    {
      update->have_lease = TRUE;
      call (task, CAIRN_CONVEX_QUERY, "migrations:status", NULL, status_loaded);
      return;
    }

  holder = holder_name (cairn_json_get_string (answer, "owner"));
  message = g_strdup_printf (_("Another computer (%s) is updating your database. Cairn waits for it to finish."),
                             *holder != '\0' ? holder : _("unknown"));
  set_progress (self, CAIRN_MIGRATOR_WAITING_FOR_LEASE, message, 0);
  wait_then (task, CAIRN_MIGRATOR_LEASE_RETRY_MS, acquire_lease);
}

static void
acquire_lease (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  JsonObject *args = owner_args (self);

  json_object_set_int_member (args, "ttlMs", CAIRN_MIGRATOR_LEASE_TTL_MS);
  call (task, CAIRN_CONVEX_MUTATION, "migrations:acquireLease", args, lease_answered);
}

/* Installing -------------------------------------------------------------------- */

static void
push_stage_cb (CairnFunctionsPush *push,
               GParamSpec         *pspec,
               CairnMigrator      *self)
{
  CairnPushStage stage = cairn_functions_push_get_stage (push);

  if (self->push_stage != stage)
    {
      self->push_stage = stage;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_STAGE]);
    }
  set_progress (self, CAIRN_MIGRATOR_INSTALLING, cairn_functions_push_stage_title (stage),
                cairn_functions_push_get_fraction (push));
}

static void
pushed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  Update *update = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_signal_handlers_disconnect_by_data (object, g_task_get_source_object (task));

  if (!cairn_functions_push_run_finish (CAIRN_FUNCTIONS_PUSH (object), result, &error))
    {
      /* a push that lost a race: maybe the other one brought these very functions */
      if (g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_PUSH_RACE) && !update->race_retried)
        {
          update->race_retried = TRUE;
          check (task);
          return;
        }
      end (task, g_steal_pointer (&error));
      return;
    }

  update->pushed = TRUE;
  check (task);
}

static void
install (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);
  g_autoptr(CairnFunctionsPush) push = NULL;

  if (self->bundle == NULL)
    {
      end (task, g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                                      _("Your database needs Cairn’s functions, and there are none to install "
                                        "here.")));
      return;
    }

  push = cairn_functions_push_new (self->client, self->bundle);
  g_signal_connect_object (push, "notify::stage", G_CALLBACK (push_stage_cb), self, 0);
  g_signal_connect_object (push, "notify::fraction", G_CALLBACK (push_stage_cb), self, 0);
  cairn_functions_push_run_async (push, g_task_get_cancellable (task), pushed_cb, task);
}

/* Checking ------------------------------------------------------------------ */

static void
pinged (GTask        *task,
        JsonNode     *value,
        const GError *error)
{
  Update *update = g_task_get_task_data (task);
  JsonObject *ping = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  g_autoptr(GPtrArray) pending = NULL;
  gint64 version;

  if (g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP) && !update->pushed)
    {
      install (task);
      return;
    }
  if (error != NULL)
    {
      end (task, g_error_copy (error));
      return;
    }
  if (g_strcmp0 (cairn_json_get_string (ping, "app"), "cairn") != 0)
    {
      /* whatever is there is someone else's: never replaced */
      end (task, g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                                      _("The functions on this deployment are not Cairn’s. Cairn does not replace "
                                        "them: use a deployment of its own.")));
      return;
    }

  version = (gint64) cairn_json_get_number (ping, "schemaVersion");
  if (version > CAIRN_SCHEMA_VERSION)
    {
      end (task, g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_NEWER,
                              _("The Cairn functions on your database are newer (schema %" G_GINT64_FORMAT
                                ") than this version of Cairn (schema %d). Update Cairn."),
                              version, CAIRN_SCHEMA_VERSION));
      return;
    }
  if (version < CAIRN_SCHEMA_VERSION && !update->pushed)
    {
      install (task);
      return;
    }
  if (version < CAIRN_SCHEMA_VERSION)
    {
      end (task, g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                              _("Your database still speaks schema %" G_GINT64_FORMAT " after Cairn installed "
                                "schema %d."), version, CAIRN_SCHEMA_VERSION));
      return;
    }

  pending = string_list (cairn_json_get_array (ping, "pendingMigrations"));
  if (pending->len == 0)
    {
      end (task, NULL);
      return;
    }
  if (update->rounds >= MAX_ROUNDS)
    {
      end (task, g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_MIGRATION_FAILED,
                              _("The database update “%s” is still pending after it ran."),
                              (char *) g_ptr_array_index (pending, 0)));
      return;
    }

  acquire_lease (task);
}

static void
check (GTask *task)
{
  CairnMigrator *self = g_task_get_source_object (task);

  set_progress (self, CAIRN_MIGRATOR_CHECKING, _("Checking your database…"), 0);
  call (task, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, pinged);
}

/* History ------------------------------------------------------------------- */

static void
history_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  g_autoptr(GPtrArray) records = NULL;
  JsonObject *status = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  JsonArray *migrations = cairn_json_get_array (status, "migrations");

  if (value == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (migrations == NULL)
    {
      g_task_return_error (task, wrong_shape ("migrations:status"));
      return;
    }

  records = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (migrations); i++)
    {
      JsonNode *element = json_array_get_element (migrations, i);
      CairnMigrationRecord *record = NULL;

      if (JSON_NODE_HOLDS_OBJECT (element))
        record = cairn_migration_record_new_from_json (json_node_get_object (element));
      if (record != NULL)
        g_ptr_array_add (records, record);
    }

  g_task_return_pointer (task, g_steal_pointer (&records), (GDestroyNotify) g_ptr_array_unref);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_migrator_dispose (GObject *object)
{
  CairnMigrator *self = (CairnMigrator *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_migrator_parent_class)->dispose (object);
}

static void
cairn_migrator_finalize (GObject *object)
{
  CairnMigrator *self = (CairnMigrator *) object;

  g_free (self->owner);
  g_clear_pointer (&self->bundle, g_bytes_unref);
  g_rand_free (self->rand);
  g_free (self->message);

  G_OBJECT_CLASS (cairn_migrator_parent_class)->finalize (object);
}

static void
cairn_migrator_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CairnMigrator *self = CAIRN_MIGRATOR (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_OWNER:
      g_value_set_string (value, self->owner);
      break;
    case PROP_BUNDLE:
      g_value_set_boxed (value, self->bundle);
      break;
    case PROP_STAGE:
      g_value_set_uint (value, self->stage);
      break;
    case PROP_PUSH_STAGE:
      g_value_set_uint (value, self->push_stage);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_migrator_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CairnMigrator *self = CAIRN_MIGRATOR (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_OWNER:
      self->owner = g_value_dup_string (value);
      break;
    case PROP_BUNDLE:
      self->bundle = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_migrator_class_init (CairnMigratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_migrator_dispose;
  object_class->finalize = cairn_migrator_finalize;
  object_class->get_property = cairn_migrator_get_property;
  object_class->set_property = cairn_migrator_set_property;

  /* for the deployment, holding its deploy key */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CAIRN_TYPE_CONVEX_CLIENT, construct);
  /* waits: retries and the lease */
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, CAIRN_TYPE_CLOCK, construct);
  /* who holds the lease while this runs: "host/id", stable per computer and workspace */
  properties[PROP_OWNER] =
    g_param_spec_string ("owner", NULL, NULL, NULL, construct);
  /* the functions to push (cairn_functions_bundle_load()) */
  properties[PROP_BUNDLE] =
    g_param_spec_boxed ("bundle", NULL, NULL, G_TYPE_BYTES, construct);
  /* a CairnMigratorStage */
  properties[PROP_STAGE] =
    g_param_spec_uint ("stage", NULL, NULL, 0, CAIRN_MIGRATOR_FAILED, CAIRN_MIGRATOR_IDLE, ro);
  /* a CairnPushStage, while :stage is INSTALLING */
  properties[PROP_PUSH_STAGE] =
    g_param_spec_uint ("push-stage", NULL, NULL, 0, CAIRN_PUSH_STAGE_FAILED, CAIRN_PUSH_STAGE_IDLE, ro);
  /* what it is doing, in a line for the user; the error once it failed */
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL, ro);
  /* how far the current stage is, 0 to 1 */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_migrator_init (CairnMigrator *self)
{
  self->rand = g_rand_new ();
}

/* Public API ----------------------------------------------------------------- */

/**
 * cairn_migrator_new:
 * @client: a client for the deployment, holding its deploy key
 * @owner: (nullable): who holds the lease: "host/id", stable for this
 *   computer and workspace, so a run after a crash takes its own lease back
 *   at once
 * @bundle: (nullable): the functions to push when the deployment's are
 *   missing or older; without, such a deployment fails the update
 *
 * A migrator that only reads the history needs neither an owner nor a bundle.
 */
CairnMigrator *
cairn_migrator_new (CairnConvexClient *client,
                    CairnClock        *clock,
                    const char        *owner,
                    GBytes            *bundle)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (owner == NULL || *owner != '\0', NULL);

  return g_object_new (CAIRN_TYPE_MIGRATOR,
                       "client", client,
                       "clock", clock,
                       "owner", owner,
                       "bundle", bundle,
                       NULL);
}

CairnMigratorStage
cairn_migrator_get_stage (CairnMigrator *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATOR (self), CAIRN_MIGRATOR_IDLE);

  return self->stage;
}

CairnPushStage
cairn_migrator_get_push_stage (CairnMigrator *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATOR (self), CAIRN_PUSH_STAGE_IDLE);

  return self->push_stage;
}

/**
 * cairn_migrator_get_message:
 *
 * Returns: (nullable): what it is doing, in a line for the user
 */
const char *
cairn_migrator_get_message (CairnMigrator *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATOR (self), NULL);

  return self->message;
}

double
cairn_migrator_get_fraction (CairnMigrator *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATOR (self), 0);

  return self->fraction;
}

/**
 * cairn_migrator_update_async:
 *
 * Brings the deployment to this app's functions and runs its pending
 * migrations (see the top of cairn-migrator.c); :stage, :message and
 * :fraction tell how it goes. Safe to run again after any failure, a
 * cancellation or a crash. One run at a time.
 */
void
cairn_migrator_update_async (CairnMigrator       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_MIGRATOR (self));
  g_return_if_fail (self->owner != NULL);
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_migrator_update_async);
  g_task_set_task_data (task, g_new0 (Update, 1), (GDestroyNotify) update_free);

  self->running = TRUE;
  if (self->push_stage != CAIRN_PUSH_STAGE_IDLE)
    {
      self->push_stage = CAIRN_PUSH_STAGE_IDLE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_STAGE]);
    }
  check (task);
}

gboolean
cairn_migrator_update_finish (CairnMigrator  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_migrator_load_history_async:
 *
 * Reads every registered migration with its record from the deployment
 * (migrations:status). Functions without migrations fail with
 * %CAIRN_CONVEX_ERROR_NOT_SET_UP.
 */
void
cairn_migrator_load_history_async (CairnMigrator       *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_MIGRATOR (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_migrator_load_history_async);
  cairn_convex_client_call_async (self->client, CAIRN_CONVEX_QUERY, "migrations:status", NULL, cancellable,
                                  history_cb, task);
}

/**
 * cairn_migrator_load_history_finish:
 *
 * Returns: (transfer container) (element-type CairnMigrationRecord): the
 *   migrations in order
 */
GPtrArray *
cairn_migrator_load_history_finish (CairnMigrator  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
