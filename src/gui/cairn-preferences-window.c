/* cairn-preferences-window.c — Preferences, with the Database page
 *
 * The Database page (CairnDatabasePage) tells where content lives and
 * switches it to the user's own Convex deployment and back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-preferences-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-database-page.h"
#include "cairn-preferences-window.h"
#include "cairn-workspace.h"

struct _CairnPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  CairnWorkspace       *workspace;

  CairnDatabasePage    *database_page;
};

G_DEFINE_FINAL_TYPE (CairnPreferencesWindow, cairn_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_WORKSPACE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The pages of the template, by name. */
static const char * const page_names[] = { "database", NULL };

static void
cairn_preferences_window_constructed (GObject *object)
{
  CairnPreferencesWindow *self = CAIRN_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (cairn_preferences_window_parent_class)->constructed (object);

  cairn_database_page_set_byod (self->database_page, cairn_workspace_get_byod (self->workspace));
}

static void
cairn_preferences_window_dispose (GObject *object)
{
  CairnPreferencesWindow *self = CAIRN_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_preferences_window_parent_class)->dispose (object);
}

static void
cairn_preferences_window_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  CairnPreferencesWindow *self = CAIRN_PREFERENCES_WINDOW (object);

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
cairn_preferences_window_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  CairnPreferencesWindow *self = CAIRN_PREFERENCES_WINDOW (object);

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
cairn_preferences_window_class_init (CairnPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cairn_preferences_window_constructed;
  object_class->dispose = cairn_preferences_window_dispose;
  object_class->get_property = cairn_preferences_window_get_property;
  object_class->set_property = cairn_preferences_window_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CAIRN_TYPE_DATABASE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnPreferencesWindow, database_page);
}

static void
cairn_preferences_window_init (CairnPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cairn_preferences_window_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_PREFERENCES_WINDOW, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_preferences_window_get_workspace (CairnPreferencesWindow *self)
{
  g_return_val_if_fail (CAIRN_IS_PREFERENCES_WINDOW (self), NULL);

  return self->workspace;
}

/* Opens at the page called @name ("database"); an unknown or empty name
 * leaves the first page shown. */
void
cairn_preferences_window_set_visible_page_name (CairnPreferencesWindow *self,
                                                const char             *name)
{
  g_return_if_fail (CAIRN_IS_PREFERENCES_WINDOW (self));

  if (name == NULL || *name == '\0')
    return;

  if (!g_strv_contains (page_names, name))
    {
      g_debug ("No preferences page called “%s”", name);
      return;
    }

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (self), name);
}
