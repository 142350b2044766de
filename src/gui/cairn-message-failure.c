/* cairn-message-failure.c — the panel of a message the database refused
 *
 * Says the message was not saved, and why, over Copy, Retry and Discard
 * buttons. Those buttons name the row's actions (row.copy, row.retry,
 * row.discard): the CairnMessageRow that shows the panel does the work.
 *
 * Its own widget because almost no message fails: a row builds it the first
 * time it shows a failed message (it is two thirds of a row's widgets, and
 * building it in every row made a page of history twice as slow to create).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-message-failure"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <adwaita.h>

#include "cairn-message-failure.h"

struct _CairnMessageFailure
{
  GtkWidget         parent_instance;

  GtkLabel         *failure_label;
  AdwButtonContent *copy_content;
};

G_DEFINE_FINAL_TYPE (CairnMessageFailure, cairn_message_failure, GTK_TYPE_WIDGET)

/* GObject */

static void
cairn_message_failure_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), CAIRN_TYPE_MESSAGE_FAILURE);
  /* The box is not a bound template child: unparent it by hand. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cairn_message_failure_parent_class)->dispose (object);
}

static void
cairn_message_failure_class_init (CairnMessageFailureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_message_failure_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-message-failure.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnMessageFailure, failure_label);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageFailure, copy_content);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-message-failure");
}

static void
cairn_message_failure_init (CairnMessageFailure *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API */

GtkWidget *
cairn_message_failure_new (void)
{
  return g_object_new (CAIRN_TYPE_MESSAGE_FAILURE, NULL);
}

/* @reason: what the user reads under the title (the database's reason, and
 * why the last retry or discard did not happen, if it did not) */
void
cairn_message_failure_set_reason (CairnMessageFailure *self,
                                  const char          *reason)
{
  g_return_if_fail (CAIRN_IS_MESSAGE_FAILURE (self));

  gtk_label_set_label (self->failure_label, reason != NULL ? reason : "");
}

/* @copied: say the text was copied (where Copy was pressed), or offer Copy */
void
cairn_message_failure_set_copied (CairnMessageFailure *self,
                                  gboolean             copied)
{
  g_return_if_fail (CAIRN_IS_MESSAGE_FAILURE (self));

  adw_button_content_set_icon_name (self->copy_content, copied ? "object-select-symbolic" : "edit-copy-symbolic");
  adw_button_content_set_label (self->copy_content, copied ? _("Copied") : _("Copy"));
}
