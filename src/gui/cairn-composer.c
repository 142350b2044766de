/* cairn-composer.c — where a message is written, with its draft kept safe
 *
 * The text is a draft of the shown conversation: it is saved a moment after
 * the last edit, and at once when another conversation is shown or the
 * composer goes away. Saving is never cancelled (what the user typed must
 * reach the store) and keeps the application alive until it is done.
 *
 * Sending keeps the text until the workspace confirms the message is stored;
 * on failure the text stays and ::failed tells the window what went wrong.
 *
 * A new conversation takes a moment to exist (a durable write; with BYOD on,
 * the deployment's answer). From the moment it is asked for, the composer is
 * for it: the draft shown is put away, and what is typed meanwhile goes to
 * the next conversation shown instead of the one still on screen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-composer"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <adwaita.h>

#include "cairn-composer.h"

typedef struct _Operation Operation;

struct _CairnComposer
{
  GtkWidget          parent_instance;

  CairnWorkspace    *workspace;
  CairnConversation *conversation;
  char              *conversation_id;
  GCancellable      *load_cancellable;
  guint              draft_timeout_id;
  /* Draft writes run one at a time, in order: the last one wins. */
  GQueue             draft_queue;
  Operation         *draft_saving;  /* (nullable) (unowned) the write running */
  /* Edited since the draft was last saved. */
  gboolean           dirty;
  gboolean           sending;
  /* Text set by the program, not typed: not an edit. */
  gboolean           setting_text;
  /* A new conversation is on its way; the text is for it. */
  gboolean           expecting;
  char              *left_id;       /* the conversation left for it */
  char              *left_text;     /* and its text then */

  GtkTextView       *text_view;
  GtkWidget         *placeholder_label;
};

G_DEFINE_FINAL_TYPE (CairnComposer, cairn_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_CONVERSATION,
  PROP_SENDING,
  N_PROPS
};

enum {
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What an operation needs once it is done, whatever happened to the composer. */
struct _Operation {
  CairnComposer  *composer;
  CairnWorkspace *workspace;
  GApplication   *application;  /* (nullable) held while the write runs */
  char          *conversation_id;
  char          *text;
};

static Operation *
operation_new (CairnComposer *self,
               const char    *conversation_id,
               const char    *text)
{
  Operation *op = g_new0 (Operation, 1);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  op->composer = g_object_ref (self);
  op->workspace = g_object_ref (self->workspace);
  op->conversation_id = g_strdup (conversation_id);
  op->text = g_strdup (text);

  if (GTK_IS_WINDOW (root) && gtk_window_get_application (GTK_WINDOW (root)) != NULL)
    {
      op->application = G_APPLICATION (g_object_ref (gtk_window_get_application (GTK_WINDOW (root))));
      g_application_hold (op->application);
    }

  return op;
}

static void
operation_free (Operation *op)
{
  if (op->application != NULL)
    {
      g_application_release (op->application);
      g_object_unref (op->application);
    }
  g_object_unref (op->composer);
  g_object_unref (op->workspace);
  g_free (op->conversation_id);
  g_free (op->text);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Operation, operation_free)

/* Helpers */

static GtkTextBuffer *
buffer (CairnComposer *self)
{
  return gtk_text_view_get_buffer (self->text_view);
}

static char *
get_text (CairnComposer *self)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer (self), &start, &end);
  return gtk_text_buffer_get_text (buffer (self), &start, &end, FALSE);
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;

  return TRUE;
}

static void
set_text_silently (CairnComposer *self,
                   const char    *text)
{
  self->setting_text = TRUE;
  gtk_text_buffer_set_text (buffer (self), text, -1);
  self->setting_text = FALSE;
}

static void
update_state (CairnComposer *self)
{
  g_autofree char *text = get_text (self);
  gboolean has_conversation = self->workspace != NULL && self->conversation_id != NULL;

  /* typing on while a new conversation comes: the focus stays */
  gtk_widget_set_sensitive (GTK_WIDGET (self->text_view), has_conversation || self->expecting);
  gtk_widget_set_visible (self->placeholder_label, *text == '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 has_conversation && !self->sending && !is_blank (text));
}

static void
set_sending (CairnComposer *self,
             gboolean       sending)
{
  if (self->sending == sending)
    return;

  self->sending = sending;
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENDING]);
}

static void fail (CairnComposer *self,
                  const char    *format,
                  ...) G_GNUC_PRINTF (2, 3);

static void
fail (CairnComposer *self,
      const char    *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s", message);

  /* Nobody is left to tell once the composer is disposed. */
  if (self->text_view != NULL)
    g_signal_emit (self, signals[FAILED], 0, message);
}

/* Drafts */

static void save_next_draft (CairnComposer *self);

static void
save_draft_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Operation) op = user_data;
  CairnComposer *self = op->composer;
  g_autoptr(GError) error = NULL;

  if (!cairn_workspace_save_draft_finish (CAIRN_WORKSPACE (object), result, &error))
    {
      /* Translators: %s is the reason */
      fail (self, _("Could not save the draft: %s"), error->message);
      /* Keep trying with the next edit. */
      if (self->text_view != NULL && g_strcmp0 (op->conversation_id, self->conversation_id) == 0)
        self->dirty = TRUE;
    }

  self->draft_saving = NULL;
  save_next_draft (self);
}

static void
save_next_draft (CairnComposer *self)
{
  Operation *op;

  if (self->draft_saving || (op = g_queue_pop_head (&self->draft_queue)) == NULL)
    return;

  self->draft_saving = op;
  cairn_workspace_save_draft_async (op->workspace, op->conversation_id, op->text,
                                    NULL, save_draft_cb, op);
}

static void
save_draft_text (CairnComposer *self,
                 const char    *conversation_id,
                 const char    *text)
{
  g_queue_push_tail (&self->draft_queue, operation_new (self, conversation_id, text));
  save_next_draft (self);
}

/* The text of the newest draft of @conversation_id still being written, if
 * any: the store does not have it yet, so loading it would miss it. */
static const char *
pending_draft (CairnComposer *self,
               const char    *conversation_id)
{
  for (GList *l = self->draft_queue.tail; l != NULL; l = l->prev)
    {
      Operation *op = l->data;

      if (g_strcmp0 (op->conversation_id, conversation_id) == 0)
        return op->text;
    }

  if (self->draft_saving != NULL && g_strcmp0 (self->draft_saving->conversation_id, conversation_id) == 0)
    return self->draft_saving->text;

  return NULL;
}

/* Saves now if there is anything unsaved. */
static void
flush_draft (CairnComposer *self)
{
  g_autofree char *text = NULL;

  g_clear_handle_id (&self->draft_timeout_id, g_source_remove);

  if (!self->dirty || self->workspace == NULL || self->conversation_id == NULL)
    return;

  self->dirty = FALSE;
  text = get_text (self);
  save_draft_text (self, self->conversation_id, text);
}

static gboolean
draft_timeout_cb (gpointer user_data)
{
  CairnComposer *self = user_data;

  self->draft_timeout_id = 0;
  flush_draft (self);

  return G_SOURCE_REMOVE;
}

static void
load_draft_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CairnComposer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = cairn_workspace_load_draft_finish (CAIRN_WORKSPACE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->load_cancellable);

  if (error != NULL)
    {
      /* Translators: %s is the reason */
      fail (self, _("Could not load the draft: %s"), error->message);
      return;
    }

  /* Whatever was typed while the draft loaded wins. */
  if (text != NULL && !self->dirty && gtk_text_buffer_get_char_count (buffer (self)) == 0)
    set_text_silently (self, text);

  update_state (self);
}

static void
load_draft (CairnComposer *self)
{
  const char *pending;

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);

  if (self->workspace == NULL || self->conversation_id == NULL)
    return;

  pending = pending_draft (self, self->conversation_id);
  if (pending != NULL)
    {
      set_text_silently (self, pending);
      return;
    }

  self->load_cancellable = g_cancellable_new ();
  cairn_workspace_load_draft_async (self->workspace, self->conversation_id,
                                    self->load_cancellable, load_draft_cb,
                                    g_object_ref (self));
}

static void
stop_expecting (CairnComposer *self)
{
  self->expecting = FALSE;
  g_clear_pointer (&self->left_id, g_free);
  g_clear_pointer (&self->left_text, g_free);
}

/* Shows the draft of @conversation_id after saving the one shown; what was
 * typed while a new conversation was on its way is its text instead. */
static void
switch_conversation (CairnComposer *self,
                     const char    *conversation_id)
{
  gboolean typed_for_it = self->expecting && self->dirty && conversation_id != NULL;

  flush_draft (self);

  g_free (self->conversation_id);
  self->conversation_id = g_strdup (conversation_id);
  if (conversation_id != NULL)
    stop_expecting (self);

  if (typed_for_it)
    flush_draft (self);
  else
    {
      self->dirty = FALSE;
      set_text_silently (self, "");
      load_draft (self);
    }
  update_state (self);
}

/* Sending */

static void
send_message_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Operation) op = user_data;
  CairnComposer *self = op->composer;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  message = cairn_workspace_send_message_finish (CAIRN_WORKSPACE (object), result, &error);

  /* Gone meanwhile: its text was saved as the draft, which stays. */
  if (self->text_view == NULL)
    return;

  set_sending (self, FALSE);

  if (message == NULL)
    {
      /* Translators: %s is the reason */
      fail (self, _("Could not save the message: %s"), error->message);
      return;
    }

  /* Only text that was not touched since it was sent goes away, with its
   * draft; anything typed meanwhile stays (a stale draft beats a lost one). */
  text = get_text (self);
  if (g_strcmp0 (self->conversation_id, op->conversation_id) == 0
      && g_strcmp0 (text, op->text) == 0)
    {
      g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
      self->dirty = FALSE;
      set_text_silently (self, "");
      update_state (self);
      save_draft_text (self, op->conversation_id, "");
    }
}

/* Callbacks */

static void
on_buffer_changed (CairnComposer *self)
{
  update_state (self);

  if (self->setting_text)
    return;

  self->dirty = TRUE;
  g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
  self->draft_timeout_id = g_timeout_add (CAIRN_COMPOSER_DRAFT_DELAY_MS, draft_timeout_cb, self);
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  cairn_composer_send (CAIRN_COMPOSER (widget));
}

/* GObject and GtkWidget */

static gboolean
cairn_composer_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (CAIRN_COMPOSER (widget)->text_view));
}

static void
cairn_composer_dispose (GObject *object)
{
  CairnComposer *self = CAIRN_COMPOSER (object);
  GtkWidget *child;

  /* The last chance to keep what was typed. */
  flush_draft (self);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_COMPOSER);
  /* The clamp is not a bound template child: unparent it by hand. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->conversation);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_composer_parent_class)->dispose (object);
}

static void
cairn_composer_finalize (GObject *object)
{
  CairnComposer *self = CAIRN_COMPOSER (object);

  g_free (self->conversation_id);
  g_free (self->left_id);
  g_free (self->left_text);

  G_OBJECT_CLASS (cairn_composer_parent_class)->finalize (object);
}

static void
cairn_composer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CairnComposer *self = CAIRN_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    case PROP_SENDING:
      g_value_set_boolean (value, self->sending);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_composer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CairnComposer *self = CAIRN_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cairn_composer_set_workspace (self, g_value_get_object (value));
      break;

    case PROP_CONVERSATION:
      cairn_composer_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_composer_class_init (CairnComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_composer_dispose;
  object_class->finalize = cairn_composer_finalize;
  object_class->get_property = cairn_composer_get_property;
  object_class->set_property = cairn_composer_set_property;

  widget_class->grab_focus = cairn_composer_grab_focus;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         CAIRN_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_SENDING] =
    g_param_spec_boolean ("sending", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnComposer::failed:
   * @message: what went wrong, for the user
   *
   * A message or a draft could not be saved; the text is still in the composer.
   */
  signals[FAILED] =
    g_signal_new ("failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, CairnComposer, placeholder_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-composer");
}

/* Ctrl+Enter is caught before the text view turns it into a new line. */
static void
add_send_shortcut (CairnComposer *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  GtkShortcutTrigger *trigger =
    gtk_shortcut_trigger_parse_string ("<Control>Return|<Control>KP_Enter|<Control>ISO_Enter");
  GtkShortcutAction *action = gtk_named_action_new ("composer.send");

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (trigger, action));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
cairn_composer_init (CairnComposer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message"),
                                  GTK_ACCESSIBLE_PROPERTY_MULTI_LINE, TRUE,
                                  -1);

  g_signal_connect_object (buffer (self), "changed",
                           G_CALLBACK (on_buffer_changed), self, G_CONNECT_SWAPPED);
  add_send_shortcut (self);
  update_state (self);
}

/* Public API */

GtkWidget *
cairn_composer_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_COMPOSER, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_composer_get_workspace (CairnComposer *self)
{
  g_return_val_if_fail (CAIRN_IS_COMPOSER (self), NULL);

  return self->workspace;
}

void
cairn_composer_set_workspace (CairnComposer  *self,
                              CairnWorkspace *workspace)
{
  g_return_if_fail (CAIRN_IS_COMPOSER (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (self->workspace == workspace)
    return;

  flush_draft (self);
  g_set_object (&self->workspace, workspace);
  switch_conversation (self, self->conversation_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

CairnConversation *
cairn_composer_get_conversation (CairnComposer *self)
{
  g_return_val_if_fail (CAIRN_IS_COMPOSER (self), NULL);

  return self->conversation;
}

void
cairn_composer_set_conversation (CairnComposer     *self,
                                 CairnConversation *conversation)
{
  const char *id = NULL;

  g_return_if_fail (CAIRN_IS_COMPOSER (self));
  g_return_if_fail (conversation == NULL || CAIRN_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    id = cairn_conversation_get_client_id (conversation);
  /* the one left for a new conversation, updated meanwhile, is not the new one */
  if (g_strcmp0 (id, self->conversation_id) != 0
      && !(self->expecting && g_strcmp0 (id, self->left_id) == 0))
    switch_conversation (self, id);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

char *
cairn_composer_get_text (CairnComposer *self)
{
  g_return_val_if_fail (CAIRN_IS_COMPOSER (self), NULL);

  return get_text (self);
}

/* As if typed: it becomes the draft. */
void
cairn_composer_set_text (CairnComposer *self,
                         const char    *text)
{
  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  gtk_text_buffer_set_text (buffer (self), text != NULL ? text : "", -1);
}

gboolean
cairn_composer_get_sending (CairnComposer *self)
{
  g_return_val_if_fail (CAIRN_IS_COMPOSER (self), FALSE);

  return self->sending;
}

void
cairn_composer_send (CairnComposer *self)
{
  g_autofree char *text = NULL;
  Operation *op;

  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  text = get_text (self);
  if (self->sending || self->workspace == NULL || self->conversation_id == NULL || is_blank (text))
    return;

  /* Until the message is stored, the draft is what keeps it. */
  flush_draft (self);
  set_sending (self, TRUE);

  op = operation_new (self, self->conversation_id, text);
  cairn_workspace_send_message_async (self->workspace, op->conversation_id, text,
                                      NULL, send_message_cb, op);
}

/**
 * cairn_composer_expect_conversation:
 *
 * A new conversation was asked for and is on its way: the text shown is
 * saved as its conversation's draft and the composer emptied; what is typed
 * from now on is for the next conversation shown (the new one, once it
 * exists), not for the one still on screen. Until then nothing can be sent.
 */
void
cairn_composer_expect_conversation (CairnComposer *self)
{
  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  /* asked twice: what was typed after the first time stays for it */
  if (self->expecting)
    return;

  flush_draft (self);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);

  self->expecting = TRUE;
  self->left_id = g_steal_pointer (&self->conversation_id);
  self->left_text = get_text (self);
  self->dirty = FALSE;
  set_text_silently (self, "");
  update_state (self);
}

/**
 * cairn_composer_cancel_expected:
 *
 * The new conversation will not come (it could not be made): back to the
 * conversation shown, with its text as it was and what was typed meanwhile
 * after it.
 */
void
cairn_composer_cancel_expected (CairnComposer *self)
{
  g_autofree char *typed = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  if (!self->expecting)
    return;

  g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
  typed = get_text (self);
  text = g_strconcat (self->left_text, typed, NULL);
  g_free (self->conversation_id);
  self->conversation_id = g_strdup (self->conversation != NULL
                                    ? cairn_conversation_get_client_id (self->conversation) : NULL);
  stop_expecting (self);

  if (*typed == '\0')
    {
      /* its draft, as saved when it was left */
      self->dirty = FALSE;
      load_draft (self);
    }
  else
    {
      set_text_silently (self, text);
      self->dirty = TRUE;
      flush_draft (self);
    }
  update_state (self);
}

/* Saves the draft now instead of after the delay (the window is closing). */
void
cairn_composer_save_draft (CairnComposer *self)
{
  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  flush_draft (self);
}
