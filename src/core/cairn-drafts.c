/* cairn-drafts.c
 *
 * Drafts are written one at a time, in the order they were asked for, so
 * the last one wins; a draft still on its way can be read back from here
 * (the store does not have it yet). Neither a draft nor a message being
 * sent is ever cancelled — what the user typed must reach the store — and
 * while one is being written the application stays alive: closing the last
 * window does not lose it. A send's caller may stop listening (its
 * cancellable) without stopping the send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-drafts"

#include "config.h"

#include "cairn-conversations.h"
#include "cairn-drafts.h"
#include "cairn-workspace.h"

struct _CairnDrafts
{
  GObject         parent_instance;
  CairnWorkspace *workspace;
  GQueue          queue;    /* (element-type Write) drafts waiting, oldest first */
  struct _Write  *saving;   /* (nullable) the draft being written */
};

G_DEFINE_FINAL_TYPE (CairnDrafts, cairn_drafts, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WORKSPACE,
  N_PROPS
};

enum {
  SAVE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Text on its way to the store; the application is held until it is there. */
typedef struct _Write {
  char         *conversation_id;
  char         *text;
  GApplication *application;  /* (nullable) */
} Write;

static Write *
write_new (const char *conversation_id,
           const char *text)
{
  Write *write = g_new0 (Write, 1);
  GApplication *application = g_application_get_default ();

  write->conversation_id = g_strdup (conversation_id);
  write->text = g_strdup (text);
  if (application != NULL)
    {
      write->application = g_object_ref (application);
      g_application_hold (application);
    }

  return write;
}

static void
write_free (Write *write)
{
  if (write->application != NULL)
    {
      g_application_release (write->application);
      g_object_unref (write->application);
    }
  g_free (write->conversation_id);
  g_free (write->text);
  g_free (write);
}

static void save_next (CairnDrafts *self);

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CairnDrafts) self = user_data;
  g_autoptr(GError) error = NULL;
  Write *write = g_steal_pointer (&self->saving);

  if (!cairn_conversations_save_draft_finish (CAIRN_WORKSPACE (object), result, &error))
    g_signal_emit (self, signals[SAVE_FAILED], 0, write->conversation_id, error->message);

  write_free (write);
  save_next (self);
}

static void
save_next (CairnDrafts *self)
{
  if (self->saving != NULL || (self->saving = g_queue_pop_head (&self->queue)) == NULL)
    return;

  cairn_conversations_save_draft_async (self->workspace, self->saving->conversation_id, self->saving->text,
                                        NULL, saved_cb, g_object_ref (self));
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnMessage *message;

  message = cairn_conversations_send_message_finish (CAIRN_WORKSPACE (object), result, &error);
  if (message == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, message, g_object_unref);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_drafts_finalize (GObject *object)
{
  CairnDrafts *self = (CairnDrafts *) object;

  /* nothing can be left: every write holds a reference until it is done */
  g_assert (self->saving == NULL && g_queue_is_empty (&self->queue));
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_drafts_parent_class)->finalize (object);
}

static void
cairn_drafts_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CairnDrafts *self = CAIRN_DRAFTS (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_drafts_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CairnDrafts *self = CAIRN_DRAFTS (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      self->workspace = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_drafts_class_init (CairnDraftsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cairn_drafts_finalize;
  object_class->get_property = cairn_drafts_get_property;
  object_class->set_property = cairn_drafts_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL, CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnDrafts::save-failed:
   * @conversation_id: the conversation whose draft could not be written
   * @message: why, for the user
   *
   * The draft is not in the store; the next one for the conversation may be.
   */
  signals[SAVE_FAILED] =
    g_signal_new ("save-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cairn_drafts_init (CairnDrafts *self)
{
  g_queue_init (&self->queue);
}

/* Public API ----------------------------------------------------------------- */

CairnDrafts *
cairn_drafts_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_DRAFTS, "workspace", workspace, NULL);
}

/**
 * cairn_drafts_save:
 * @text: the draft; empty removes it
 *
 * Writes the draft of @conversation_id after those asked for before it;
 * ::save-failed tells when it could not be.
 */
void
cairn_drafts_save (CairnDrafts *self,
                   const char  *conversation_id,
                   const char  *text)
{
  g_return_if_fail (CAIRN_IS_DRAFTS (self));

  g_queue_push_tail (&self->queue, write_new (conversation_id, text));
  save_next (self);
}

/**
 * cairn_drafts_get_unsaved:
 *
 * Returns: (nullable): the newest draft of @conversation_id still being
 *   written, which loading it from the store would miss
 */
const char *
cairn_drafts_get_unsaved (CairnDrafts *self,
                          const char  *conversation_id)
{
  g_return_val_if_fail (CAIRN_IS_DRAFTS (self), NULL);

  for (GList *l = self->queue.tail; l != NULL; l = l->prev)
    {
      Write *write = l->data;

      if (g_strcmp0 (write->conversation_id, conversation_id) == 0)
        return write->text;
    }

  if (self->saving != NULL && g_strcmp0 (self->saving->conversation_id, conversation_id) == 0)
    return self->saving->text;

  return NULL;
}

/**
 * cairn_drafts_send_async:
 * @cancellable: (nullable): stops the answer, not the send
 *
 * Sends @text as a message of @conversation_id.
 */
void
cairn_drafts_send_async (CairnDrafts         *self,
                         const char          *conversation_id,
                         const char          *text,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_DRAFTS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_drafts_send_async);
  g_task_set_task_data (task, write_new (conversation_id, text), (GDestroyNotify) write_free);

  cairn_conversations_send_message_async (self->workspace, conversation_id, text, NULL, sent_cb, task);
}

/**
 * cairn_drafts_send_finish:
 *
 * Returns: (transfer full): the message as stored (or kept safe, pending)
 */
CairnMessage *
cairn_drafts_send_finish (CairnDrafts   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
