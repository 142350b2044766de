/* cairn-check-row.c — one step of a connection check: a state and what went wrong
 *
 * The message can be long and can hold a command to run in a terminal, so
 * it wraps and can be selected and copied, which a row's subtitle cannot
 * (subtitle-selectable is libadwaita 1.3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-check-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-check-row.h"

struct _CairnCheckRow
{
  AdwPreferencesRow    parent_instance;

  CairnPreflightState  state;
  char                *message;

  GtkStack            *icon_stack;
  GtkImage            *icon;
  GtkSpinner          *spinner;
  GtkLabel            *title_label;
  GtkLabel            *message_label;
  GtkBox              *text_box;
};

G_DEFINE_FINAL_TYPE (CairnCheckRow, cairn_check_row, ADW_TYPE_PREFERENCES_ROW)

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  const char *icon_name;
  const char *style;       /* (nullable) a style class of the icon */
  const char *description; /* what a screen reader says about the icon */
} StateLook;

static const StateLook *
state_look (CairnPreflightState state)
{
  static const StateLook looks[] = {
    [CAIRN_PREFLIGHT_PENDING] = { "radio-symbolic", "dim-label", N_("Not checked yet") },
    [CAIRN_PREFLIGHT_RUNNING] = { NULL, NULL, N_("Checking") },
    [CAIRN_PREFLIGHT_PASSED] = { "emblem-ok-symbolic", "success", N_("Passed") },
    [CAIRN_PREFLIGHT_FAILED] = { "dialog-error-symbolic", "error", N_("Failed") },
    [CAIRN_PREFLIGHT_SKIPPED] = { "action-unavailable-symbolic", "dim-label", N_("Skipped") },
  };

  g_return_val_if_fail (state < G_N_ELEMENTS (looks), &looks[0]);

  return &looks[state];
}

static void
update_icon (CairnCheckRow *self)
{
  const StateLook *look = state_look (self->state);
  gboolean running = self->state == CAIRN_PREFLIGHT_RUNNING;
  GtkWidget *shown = running ? GTK_WIDGET (self->spinner) : GTK_WIDGET (self->icon);

  gtk_widget_remove_css_class (GTK_WIDGET (self->icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->icon), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->icon), "dim-label");
  if (look->icon_name != NULL)
    gtk_image_set_from_icon_name (self->icon, look->icon_name);
  if (look->style != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->icon), look->style);

  gtk_spinner_set_spinning (self->spinner, running);
  gtk_stack_set_visible_child (self->icon_stack, shown);
  gtk_accessible_update_property (GTK_ACCESSIBLE (shown),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _(look->description),
                                  -1);

  /* a step that was not run is not what the eye should go to */
  if (self->state == CAIRN_PREFLIGHT_SKIPPED || self->state == CAIRN_PREFLIGHT_PENDING)
    gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_label), "dim-label");
}

/* GObject */

static void
cairn_check_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CAIRN_TYPE_CHECK_ROW);

  G_OBJECT_CLASS (cairn_check_row_parent_class)->dispose (object);
}

static void
cairn_check_row_finalize (GObject *object)
{
  CairnCheckRow *self = CAIRN_CHECK_ROW (object);

  g_free (self->message);

  G_OBJECT_CLASS (cairn_check_row_parent_class)->finalize (object);
}

static void
cairn_check_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CairnCheckRow *self = CAIRN_CHECK_ROW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;

    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_check_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CairnCheckRow *self = CAIRN_CHECK_ROW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      cairn_check_row_set_state (self, g_value_get_uint (value));
      break;

    case PROP_MESSAGE:
      cairn_check_row_set_message (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_check_row_class_init (CairnCheckRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_check_row_dispose;
  object_class->finalize = cairn_check_row_finalize;
  object_class->get_property = cairn_check_row_get_property;
  object_class->set_property = cairn_check_row_set_property;

  /* a CairnPreflightState */
  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL,
                       CAIRN_PREFLIGHT_PENDING, CAIRN_PREFLIGHT_SKIPPED, CAIRN_PREFLIGHT_PENDING,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-check-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, CairnCheckRow, text_box);
  gtk_widget_class_set_css_name (widget_class, "cairn-check-row");
}

static void
cairn_check_row_init (CairnCheckRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  update_icon (self);
}

/* Public API */

GtkWidget *
cairn_check_row_new (const char *title)
{
  return g_object_new (CAIRN_TYPE_CHECK_ROW, "title", title, NULL);
}

CairnPreflightState
cairn_check_row_get_state (CairnCheckRow *self)
{
  g_return_val_if_fail (CAIRN_IS_CHECK_ROW (self), CAIRN_PREFLIGHT_PENDING);

  return self->state;
}

void
cairn_check_row_set_state (CairnCheckRow       *self,
                           CairnPreflightState  state)
{
  g_return_if_fail (CAIRN_IS_CHECK_ROW (self));
  g_return_if_fail (state <= CAIRN_PREFLIGHT_SKIPPED);

  if (self->state == state)
    return;

  self->state = state;
  update_icon (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/**
 * cairn_check_row_get_message:
 *
 * Returns: (nullable): what went wrong, and what to do about it
 */
const char *
cairn_check_row_get_message (CairnCheckRow *self)
{
  g_return_val_if_fail (CAIRN_IS_CHECK_ROW (self), NULL);

  return self->message;
}

void
cairn_check_row_set_message (CairnCheckRow *self,
                             const char    *message)
{
  g_return_if_fail (CAIRN_IS_CHECK_ROW (self));

  if (message != NULL && *message == '\0')
    message = NULL;

  if (g_strcmp0 (self->message, message) == 0)
    return;

  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/**
 * cairn_check_row_add_action:
 * @widget: (transfer floating): a button that fixes what the step found,
 *   shown under its message
 */
void
cairn_check_row_add_action (CairnCheckRow *self,
                            GtkWidget     *widget)
{
  g_return_if_fail (CAIRN_IS_CHECK_ROW (self));
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_widget_set_halign (widget, GTK_ALIGN_START);
  gtk_widget_set_margin_top (widget, 6);
  gtk_box_append (self->text_box, widget);
}
