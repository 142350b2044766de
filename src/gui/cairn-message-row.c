/* cairn-message-row.c — one message of a conversation, as a bubble
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-message-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-date.h"
#include "cairn-message-row.h"

struct _CairnMessageRow
{
  GtkWidget     parent_instance;

  CairnMessage *message;
  gulong        notify_id;

  GtkWidget    *bubble;
  GtkLabel     *content_label;
  GtkLabel     *time_label;
};

G_DEFINE_FINAL_TYPE (CairnMessageRow, cairn_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Messages the user wrote sit on the trailing side; anything else (a future
 * assistant, an import) on the leading side. */
static gboolean
is_outgoing (CairnMessage *message)
{
  const char *role = cairn_message_get_role (message);

  return role == NULL || *role == '\0' || g_str_equal (role, "user");
}

static void
update (CairnMessageRow *self)
{
  g_autofree char *when = NULL;
  const char *content = "";
  gboolean outgoing = TRUE;

  if (self->message != NULL)
    {
      content = cairn_message_get_content (self->message);
      when = cairn_date_format_time (cairn_message_get_created_at (self->message), NULL);
      outgoing = is_outgoing (self->message);
    }

  gtk_label_set_label (self->content_label, content != NULL ? content : "");
  gtk_label_set_label (self->time_label, when != NULL ? when : "");
  gtk_widget_set_halign (self->bubble, outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);

  if (outgoing)
    gtk_widget_add_css_class (self->bubble, "outgoing");
  else
    gtk_widget_remove_css_class (self->bubble, "outgoing");
}

static void
on_message_notify (CairnMessageRow *self)
{
  update (self);
}

static void
cairn_message_row_dispose (GObject *object)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);
  GtkWidget *child;

  cairn_message_row_set_message (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_MESSAGE_ROW);
  /* The clamp is not a bound template child: unparent it by hand. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cairn_message_row_parent_class)->dispose (object);
}

static void
cairn_message_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);

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
cairn_message_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      cairn_message_row_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_row_class_init (CairnMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_message_row_dispose;
  object_class->get_property = cairn_message_row_get_property;
  object_class->set_property = cairn_message_row_set_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         CAIRN_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, content_label);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, time_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-message-row");
}

static void
cairn_message_row_init (CairnMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cairn_message_row_new (void)
{
  return g_object_new (CAIRN_TYPE_MESSAGE_ROW, NULL);
}

CairnMessage *
cairn_message_row_get_message (CairnMessageRow *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

void
cairn_message_row_set_message (CairnMessageRow *self,
                               CairnMessage    *message)
{
  g_return_if_fail (CAIRN_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || CAIRN_IS_MESSAGE (message));

  if (self->message == message)
    return;

  if (self->message != NULL)
    g_clear_signal_handler (&self->notify_id, self->message);

  g_set_object (&self->message, message);

  if (message != NULL)
    self->notify_id = g_signal_connect_object (message, "notify",
                                               G_CALLBACK (on_message_notify),
                                               self, G_CONNECT_SWAPPED);

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}
