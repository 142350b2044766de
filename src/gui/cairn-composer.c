/* cairn-composer.c — where a message is written, with its draft kept safe
 *
 * The text is a draft of the shown conversation: it is saved a moment after
 * the last edit, and at once when another conversation is shown or the
 * composer goes away, through CairnDrafts (which never cancels a write and
 * keeps the application alive until it is done).
 *
 * Sending keeps the text until the workspace confirms the message is stored;
 * on failure the text stays and ::failed tells the window what went wrong.
 *
 * Text that could not be stored is refused as it is typed, not when it is
 * sent: text that shows nothing cannot be sent, and text longer than a
 * message can hold cannot either, with a line under it saying why and what
 * to do. Both are checked on every edit, so neither looks at the whole
 * text: the length is counted as it changes, and blank text is found at
 * its first visible character.
 *
 * Text wraps between words, and anywhere in a word too long for a line.
 * Pango takes time growing with the square of a paragraph's length to do
 * that when the paragraph has no break opportunity (100 KB of a pasted
 * hash: over a minute, the window frozen); once text with such a run is
 * in the composer, it wraps at any character instead, until emptied.
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

#include <string.h>

#include <glib/gi18n-lib.h>
#include <adwaita.h>

#include "cairn-composer.h"
#include "cairn-conversation.h"
#include "cairn-conversations.h"
#include "cairn-drafts.h"
#include "cairn-error.h"
#include "cairn-message.h"
#include "cairn-schema.h"
#include "cairn-workspace.h"

/* The longest run of characters without white space that still wraps
 * between words: laid out in a few milliseconds. */
#define MAX_WORD_WRAPPED_RUN 1000

struct _CairnComposer
{
  GtkWidget          parent_instance;

  CairnWorkspace    *workspace;
  CairnConversation *conversation;
  char              *conversation_id;
  CairnDrafts       *drafts;        /* (nullable) the workspace's drafts, as written here */
  GCancellable      *load_cancellable;
  GCancellable      *cancellable;   /* answers to this composer; cancelled on dispose */
  guint              draft_timeout_id;
  /* the conversation of the message being sent */
  char              *sending_id;
  /* Edited since the draft was last saved. */
  gboolean           dirty;
  gboolean           sending;
  /* Text set by the program, not typed: not an edit. */
  gboolean           setting_text;
  /* A new conversation is on its way; the text is for it. */
  gboolean           expecting;
  char              *left_id;       /* the conversation left for it */
  char              *left_text;     /* and its text then */
  /* The UTF-8 bytes in the buffer, counted as they come and go. */
  gsize              n_bytes;
  /* Why the store refused the text last sent, until it is edited. */
  char              *refusal;

  GtkTextView       *text_view;
  GtkWidget         *placeholder_label;
  GtkWidget         *send_button;
  GtkLabel          *refusal_label;
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

/* Whether the text would look empty (cairn_text_is_blank(), the rule the
 * stores apply), looking no further than its first visible character. */
static gboolean
buffer_is_blank (CairnComposer *self)
{
  GtkTextIter iter;

  gtk_text_buffer_get_start_iter (buffer (self), &iter);
  for (; !gtk_text_iter_is_end (&iter); gtk_text_iter_forward_char (&iter))
    if (!cairn_unichar_is_invisible (gtk_text_iter_get_char (&iter)))
      return FALSE;

  return TRUE;
}

/* About the room the text takes in a message document: its bytes, plus one
 * for each line break, which JSON writes as two characters. The line count
 * is kept by the buffer, the bytes by us: nothing here walks the text. */
static gsize
text_size (CairnComposer *self)
{
  return self->n_bytes + (gsize) gtk_text_buffer_get_line_count (buffer (self)) - 1;
}

static char *
too_long_text (gsize size)
{
  g_autofree char *size_text = NULL;
  g_autofree char *limit_text = NULL;

  cairn_schema_format_sizes (size, CAIRN_MAX_MESSAGE_TEXT_SIZE, &size_text, &limit_text);

  /* Translators: the first %s is the text's size, the second the most a message can hold, both like "1.3 MB" */
  return g_strdup_printf (_("This message is too long to send (%s; at most about %s). "
                            "Shorten it or split it into several messages."),
                          size_text, limit_text);
}

static void
set_text_silently (CairnComposer *self,
                   const char    *text)
{
  self->setting_text = TRUE;
  gtk_text_buffer_set_text (buffer (self), text, -1);
  self->setting_text = FALSE;
}

/* Shows why the text cannot go as it is, or nothing. */
static void
show_refusal (CairnComposer *self,
              const char    *refusal)
{
  gboolean shown = gtk_widget_get_visible (GTK_WIDGET (self->refusal_label));

  /* called on every edit: only a change is worth a relayout */
  if (refusal == NULL ? !shown : shown && g_str_equal (refusal, gtk_label_get_label (self->refusal_label)))
    return;

  gtk_label_set_label (self->refusal_label, refusal != NULL ? refusal : "");
  gtk_widget_set_visible (GTK_WIDGET (self->refusal_label), refusal != NULL);
  gtk_widget_set_tooltip_text (self->send_button, refusal != NULL ? refusal : _("Send (Ctrl+Enter)"));
  if (refusal != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, refusal,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->text_view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
update_state (CairnComposer *self)
{
  g_autofree char *too_long = NULL;
  gboolean has_conversation = self->workspace != NULL && self->conversation_id != NULL;
  gsize size = text_size (self);

  if (size > CAIRN_MAX_MESSAGE_TEXT_SIZE)
    too_long = too_long_text (size);

  /* typing on while a new conversation comes: the focus stays */
  gtk_widget_set_sensitive (GTK_WIDGET (self->text_view), has_conversation || self->expecting);
  gtk_widget_set_visible (self->placeholder_label, gtk_text_buffer_get_char_count (buffer (self)) == 0);
  show_refusal (self, too_long != NULL ? too_long : self->refusal);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 has_conversation && !self->sending && too_long == NULL &&
                                 !buffer_is_blank (self));
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
  g_signal_emit (self, signals[FAILED], 0, message);
}

/* Drafts */

static void
on_draft_save_failed (CairnComposer *self,
                      const char    *conversation_id,
                      const char    *message)
{
  /* Translators: %s is the reason */
  fail (self, _("Could not save the draft: %s"), message);
  /* Keep trying with the next edit. */
  if (g_strcmp0 (conversation_id, self->conversation_id) == 0)
    self->dirty = TRUE;
}

/* The drafts of @workspace (nullable) are written through a CairnDrafts of its own. */
static void
use_drafts (CairnComposer  *self,
            CairnWorkspace *workspace)
{
  if (self->drafts != NULL)
    g_signal_handlers_disconnect_by_data (self->drafts, self);
  g_clear_object (&self->drafts);

  if (workspace == NULL)
    return;

  self->drafts = cairn_drafts_new (workspace);
  g_signal_connect_swapped (self->drafts, "save-failed", G_CALLBACK (on_draft_save_failed), self);
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
  cairn_drafts_save (self->drafts, self->conversation_id, text);
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

  text = cairn_conversations_load_draft_finish (CAIRN_WORKSPACE (object), result, &error);

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

  pending = cairn_drafts_get_unsaved (self->drafts, self->conversation_id);
  if (pending != NULL)
    {
      set_text_silently (self, pending);
      return;
    }

  self->load_cancellable = g_cancellable_new ();
  cairn_conversations_load_draft_async (self->workspace, self->conversation_id,
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
  g_autoptr(CairnComposer) self = user_data;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sent_to = NULL;

  message = cairn_drafts_send_finish (CAIRN_DRAFTS (object), result, &error);

  /* Gone meanwhile: its text was saved as the draft, which stays. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  sent_to = g_steal_pointer (&self->sending_id);
  set_sending (self, FALSE);

  if (message == NULL)
    {
      /* what the text itself cannot be (too long once written out): said
       * under it too, until it is edited */
      if (g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT)
          && g_strcmp0 (self->conversation_id, sent_to) == 0)
        {
          g_free (self->refusal);
          self->refusal = g_strdup (error->message);
          update_state (self);
        }
      /* Translators: %s is the reason */
      fail (self, _("Could not save the message: %s"), error->message);
      return;
    }

  /* Only text that was not touched since it was sent goes away, with its
   * draft; anything typed meanwhile stays (a stale draft beats a lost one). */
  text = get_text (self);
  if (g_strcmp0 (self->conversation_id, sent_to) == 0
      && g_strcmp0 (text, cairn_message_get_content (message)) == 0)
    {
      g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
      self->dirty = FALSE;
      set_text_silently (self, "");
      update_state (self);
      cairn_drafts_save (self->drafts, sent_to, "");
    }
}

/* Callbacks */

/* The characters without white space next to @iter, backwards or forwards,
 * up to the most that matters. */
static guint
run_beside (const GtkTextIter *iter,
            gboolean           backwards)
{
  GtkTextIter i = *iter;
  guint n = 0;

  while (n <= MAX_WORD_WRAPPED_RUN)
    {
      if (backwards ? !gtk_text_iter_backward_char (&i) : gtk_text_iter_is_end (&i))
        break;
      if (g_unichar_isspace (gtk_text_iter_get_char (&i)))
        break;
      n++;
      if (!backwards)
        gtk_text_iter_forward_char (&i);
    }

  return n;
}

/* Whether inserting @text at @location makes a run without white space
 * longer than word wrapping copes with. */
static gboolean
makes_long_run (const GtkTextIter *location,
                const char        *text,
                int                length)
{
  const char *end = text + length;
  guint run = run_beside (location, TRUE);

  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      run = g_unichar_isspace (g_utf8_get_char (p)) ? 0 : run + 1;
      if (run > MAX_WORD_WRAPPED_RUN)
        return TRUE;
    }

  return run + run_beside (location, FALSE) > MAX_WORD_WRAPPED_RUN;
}

/* Before the buffer changes (the default handlers run last), so the range
 * deleted is still there to be measured. */
static void
on_insert_text (CairnComposer *self,
                GtkTextIter   *location,
                const char    *text,
                int            length)
{
  self->n_bytes += length;

  if (gtk_text_view_get_wrap_mode (self->text_view) == GTK_WRAP_WORD_CHAR &&
      makes_long_run (location, text, length))
    gtk_text_view_set_wrap_mode (self->text_view, GTK_WRAP_CHAR);
}

static void
on_delete_range (CairnComposer *self,
                 GtkTextIter   *start,
                 GtkTextIter   *end)
{
  g_autofree char *deleted = NULL;

  /* everything (a new draft shown, the text sent): nothing to measure */
  if (gtk_text_iter_is_start (start) && gtk_text_iter_is_end (end))
    {
      self->n_bytes = 0;
      return;
    }

  deleted = gtk_text_iter_get_text (start, end);
  self->n_bytes -= MIN (self->n_bytes, strlen (deleted));
}

static void
on_buffer_changed (CairnComposer *self)
{
  g_clear_pointer (&self->refusal, g_free);
  if (gtk_text_buffer_get_char_count (buffer (self)) == 0)
    gtk_text_view_set_wrap_mode (self->text_view, GTK_WRAP_WORD_CHAR);
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

  /* The last chance to keep what was typed; CairnDrafts writes it after we are gone. */
  flush_draft (self);
  use_drafts (self, NULL);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_cancellable_cancel (self->cancellable);

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

  g_object_unref (self->cancellable);
  g_free (self->conversation_id);
  g_free (self->sending_id);
  g_free (self->left_id);
  g_free (self->left_text);
  g_free (self->refusal);

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
  gtk_widget_class_bind_template_child (widget_class, CairnComposer, send_button);
  gtk_widget_class_bind_template_child (widget_class, CairnComposer, refusal_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-composer");
}

/* Ctrl+Enter means send, and only that: when the text cannot be sent (it
 * is empty, or too long and says so) it does nothing, rather than fall
 * through to the text view and add a line break to the text. */
static gboolean
send_shortcut_cb (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  cairn_composer_send (CAIRN_COMPOSER (widget));

  return TRUE;
}

/* Ctrl+Enter is caught before the text view turns it into a new line. */
static void
add_send_shortcut (CairnComposer *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  GtkShortcutTrigger *trigger =
    gtk_shortcut_trigger_parse_string ("<Control>Return|<Control>KP_Enter|<Control>ISO_Enter");
  GtkShortcutAction *action = gtk_callback_action_new (send_shortcut_cb, NULL, NULL);

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (trigger, action));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
cairn_composer_init (CairnComposer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message"),
                                  GTK_ACCESSIBLE_PROPERTY_MULTI_LINE, TRUE,
                                  -1);

  g_signal_connect_object (buffer (self), "insert-text",
                           G_CALLBACK (on_insert_text), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer (self), "delete-range",
                           G_CALLBACK (on_delete_range), self, G_CONNECT_SWAPPED);
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
  use_drafts (self, workspace);
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

  g_return_if_fail (CAIRN_IS_COMPOSER (self));

  /* what cannot be sent is said under the text already (update_state()) */
  if (self->sending || self->workspace == NULL || self->conversation_id == NULL ||
      text_size (self) > CAIRN_MAX_MESSAGE_TEXT_SIZE || buffer_is_blank (self))
    return;

  text = get_text (self);

  /* Until the message is stored, the draft is what keeps it. */
  flush_draft (self);
  set_sending (self, TRUE);

  self->sending_id = g_strdup (self->conversation_id);
  cairn_drafts_send_async (self->drafts, self->sending_id, text,
                           self->cancellable, send_message_cb, g_object_ref (self));
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
