/* cairn-message-window.c — the whole text of one message, read-only
 *
 * A message row shows a bounded beginning of a long message; this window
 * shows all of it, in a GtkTextView, which lays its text out paragraph by
 * paragraph: what is on screen first, the rest while idle.
 *
 * That only helps when there are paragraphs. Pango lays a paragraph out as
 * a whole, and wrapping one long run of text without a space (a pasted key,
 * a blob) takes time that grows with the square of its length: a paragraph
 * of 100 000 such characters alone takes minutes. So the buffer gets "soft
 * breaks": a line break after every RUN_CHARS characters without a space,
 * and after the first space once a paragraph is PARAGRAPH_CHARS long. They
 * are tagged, and left out of whatever is copied, so what leaves the window
 * is the message's own text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-message-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-message.h"
#include "cairn-message-window.h"

/* Laid out in a few milliseconds each, even without a space in them. */
#define RUN_CHARS       1000
#define PARAGRAPH_CHARS 4000

struct _CairnMessageWindow
{
  AdwWindow      parent_instance;

  CairnMessage  *message;
  GtkTextTag    *soft_break;

  GtkTextView   *text_view;
};

G_DEFINE_FINAL_TYPE (CairnMessageWindow, cairn_message_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Text ------------------------------------------------------------------------ */

static gboolean
is_paragraph_end (gunichar c)
{
  return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

static void
append (GtkTextBuffer *buffer,
        const char    *text,
        gsize          length)
{
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, length);
}

static void
append_soft_break (CairnMessageWindow *self,
                   GtkTextBuffer      *buffer)
{
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags (buffer, &end, "\n", 1, self->soft_break, NULL);
}

static void
set_text (CairnMessageWindow *self,
          const char         *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  const char *piece = valid;
  const char *p = valid;
  guint since_space = 0;
  guint since_break = 0;

  gtk_text_buffer_set_text (buffer, "", 0);

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (is_paragraph_end (c))
        {
          since_space = since_break = 0;
        }
      else if (g_unichar_isspace (c))
        {
          since_space = 0;
          if (++since_break >= PARAGRAPH_CHARS)
            {
              append (buffer, piece, next - piece);
              append_soft_break (self, buffer);
              piece = next;
              since_break = 0;
            }
        }
      else
        {
          if (since_space >= RUN_CHARS)
            {
              append (buffer, piece, p - piece);
              append_soft_break (self, buffer);
              piece = p;
              since_space = since_break = 0;
            }
          since_space++;
          since_break++;
        }

      p = next;
    }

  append (buffer, piece, p - piece);
}

/* The text between @start and @end without the soft breaks. */
static char *
dup_text (CairnMessageWindow *self,
          const GtkTextIter  *start,
          const GtkTextIter  *end)
{
  GString *text = g_string_new (NULL);
  GtkTextIter iter = *start;

  while (gtk_text_iter_compare (&iter, end) < 0)
    {
      GtkTextIter stop = iter;
      g_autofree char *slice = NULL;

      if (gtk_text_iter_has_tag (&iter, self->soft_break))
        {
          gtk_text_iter_forward_to_tag_toggle (&iter, self->soft_break);
          continue;
        }

      gtk_text_iter_forward_to_tag_toggle (&stop, self->soft_break);
      if (gtk_text_iter_compare (&stop, end) > 0)
        stop = *end;

      slice = gtk_text_iter_get_text (&iter, &stop);
      g_string_append (text, slice);
      iter = stop;
    }

  return g_string_free (text, FALSE);
}

/* Callbacks -------------------------------------------------------------------- */

/* Ctrl+C and the context menu's Copy: the selection as the message has it. */
static void
on_copy_clipboard (CairnMessageWindow *self,
                   GtkTextView        *text_view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (text_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  g_signal_stop_emission_by_name (text_view, "copy-clipboard");

  if (!gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    return;

  text = dup_text (self, &start, &end);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (text_view)), text);
}

static void
copy_all_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CairnMessageWindow *self = CAIRN_MESSAGE_WINDOW (widget);
  const char *content = self->message != NULL ? cairn_message_get_content (self->message) : NULL;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), content != NULL ? content : "");
}

static void
on_message_notify (CairnMessageWindow *self)
{
  set_text (self, cairn_message_get_content (self->message));
}

/* GObject ------------------------------------------------------------------------ */

static void
cairn_message_window_dispose (GObject *object)
{
  CairnMessageWindow *self = CAIRN_MESSAGE_WINDOW (object);

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_data (self->message, self);
  g_clear_object (&self->message);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_MESSAGE_WINDOW);

  G_OBJECT_CLASS (cairn_message_window_parent_class)->dispose (object);
}

static void
cairn_message_window_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CairnMessageWindow *self = CAIRN_MESSAGE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_window_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  CairnMessageWindow *self = CAIRN_MESSAGE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      self->message = g_value_dup_object (value);
      if (self->message != NULL)
        {
          set_text (self, cairn_message_get_content (self->message));
          g_signal_connect_object (self->message, "notify::content",
                                   G_CALLBACK (on_message_notify), self, G_CONNECT_SWAPPED);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_window_class_init (CairnMessageWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_message_window_dispose;
  object_class->get_property = cairn_message_window_get_property;
  object_class->set_property = cairn_message_window_set_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         CAIRN_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-message-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnMessageWindow, text_view);

  gtk_widget_class_install_action (widget_class, "message.copy-all", NULL, copy_all_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cairn_message_window_init (CairnMessageWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->soft_break = gtk_text_buffer_create_tag (gtk_text_view_get_buffer (self->text_view), "soft-break", NULL);
  g_signal_connect_object (self->text_view, "copy-clipboard",
                           G_CALLBACK (on_copy_clipboard), self, G_CONNECT_SWAPPED);
}

/* Public API ---------------------------------------------------------------------- */

GtkWidget *
cairn_message_window_new (GtkWindow    *parent,
                          CairnMessage *message)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (CAIRN_IS_MESSAGE (message), NULL);

  return g_object_new (CAIRN_TYPE_MESSAGE_WINDOW,
                       "transient-for", parent,
                       "message", message,
                       NULL);
}

CairnMessage *
cairn_message_window_get_message (CairnMessageWindow *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE_WINDOW (self), NULL);

  return self->message;
}
