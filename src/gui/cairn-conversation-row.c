/* cairn-conversation-row.c — one conversation in the sidebar: title, when, and how many messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-conversation-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-conversation.h"
#include "cairn-conversation-row.h"
#include "cairn-date.h"

struct _CairnConversationRow
{
  GtkWidget          parent_instance;

  CairnConversation *conversation;
  gulong             notify_id;

  GtkLabel          *title_label;
  GtkLabel          *time_label;
  GtkLabel          *count_label;
};

G_DEFINE_FINAL_TYPE (CairnConversationRow, cairn_conversation_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "12 messages"; nothing while the count is not known (a deployment's
 * conversation its update has not counted yet). */
static void
update_count (CairnConversationRow *self)
{
  gint64 count = self->conversation != NULL ? cairn_conversation_get_message_count (self->conversation) : -1;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->count_label), count >= 0);
  if (count < 0)
    return;

  if (count == 0)
    {
      /* Translators: under a conversation's title in the sidebar */
      gtk_label_set_label (self->count_label, _("No messages"));
      return;
    }

  /* Translators: the number of messages in a conversation, under its title in the sidebar */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" G_GINT64_FORMAT " message", "%" G_GINT64_FORMAT " messages",
                                       (gulong) MIN (count, G_MAXULONG)), count);
  gtk_label_set_label (self->count_label, text);
}

static void
update (CairnConversationRow *self)
{
  g_autofree char *when = NULL;
  const char *title = NULL;

  if (self->conversation != NULL)
    {
      title = cairn_conversation_get_title (self->conversation);
      when = cairn_date_format_relative (cairn_conversation_get_updated_at (self->conversation), NULL);
    }

  if (title == NULL || *title == '\0')
    title = _("Untitled Conversation");

  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->time_label, when != NULL ? when : "");
  update_count (self);
}

/* The document of an item is replaced when the store reports a change. */
static void
on_conversation_notify (CairnConversationRow *self)
{
  update (self);
}

static void
cairn_conversation_row_dispose (GObject *object)
{
  CairnConversationRow *self = CAIRN_CONVERSATION_ROW (object);

  cairn_conversation_row_set_conversation (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_CONVERSATION_ROW);

  G_OBJECT_CLASS (cairn_conversation_row_parent_class)->dispose (object);
}

static void
cairn_conversation_row_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  CairnConversationRow *self = CAIRN_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_row_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  CairnConversationRow *self = CAIRN_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      cairn_conversation_row_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_row_class_init (CairnConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_conversation_row_dispose;
  object_class->get_property = cairn_conversation_row_get_property;
  object_class->set_property = cairn_conversation_row_set_property;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         CAIRN_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationRow, count_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_GRID_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-conversation-row");
}

static void
cairn_conversation_row_init (CairnConversationRow *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_grid_layout_set_column_spacing (GTK_GRID_LAYOUT (layout), 12);
  gtk_grid_layout_set_row_spacing (GTK_GRID_LAYOUT (layout), 2);
}

GtkWidget *
cairn_conversation_row_new (void)
{
  return g_object_new (CAIRN_TYPE_CONVERSATION_ROW, NULL);
}

CairnConversation *
cairn_conversation_row_get_conversation (CairnConversationRow *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

void
cairn_conversation_row_set_conversation (CairnConversationRow *self,
                                         CairnConversation    *conversation)
{
  g_return_if_fail (CAIRN_IS_CONVERSATION_ROW (self));
  g_return_if_fail (conversation == NULL || CAIRN_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  if (self->conversation != NULL)
    g_clear_signal_handler (&self->notify_id, self->conversation);

  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    self->notify_id = g_signal_connect_object (conversation, "notify",
                                               G_CALLBACK (on_conversation_notify),
                                               self, G_CONNECT_SWAPPED);

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}
