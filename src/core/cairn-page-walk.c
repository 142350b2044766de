/* cairn-page-walk.c — notices a paginated listing that never ends
 *
 * Whoever reads a table page by page trusts the store to move on: a
 * deployment (or whatever answers at its address) that hands back the same
 * cursor, or ever new cursors over the same documents, would keep a reader
 * busy forever. A walk remembers the cursors and documents it has seen since
 * it started at the first page and refuses a page that brings nothing new.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-page-walk"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-page-walk.h"

struct _CairnPageWalk
{
  char       *table;
  GHashTable *cursors;     /* every cursor handed out in this walk */
  GHashTable *documents;   /* the clientId of every document seen in it */
  guint       empty_pages; /* in a row */
};

CairnPageWalk *
cairn_page_walk_new (const char *table)
{
  CairnPageWalk *self = g_new0 (CairnPageWalk, 1);

  self->table = g_strdup (table);
  self->cursors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

void
cairn_page_walk_free (CairnPageWalk *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->cursors);
  g_hash_table_unref (self->documents);
  g_free (self->table);
  g_free (self);
}

/* How many of @page's documents this walk has not seen before. */
static guint
count_new (CairnPageWalk   *self,
           const CairnPage *page)
{
  guint fresh = 0;

  for (guint i = 0; i < page->documents->len; i++)
    {
      const char *client_id = cairn_json_get_string (g_ptr_array_index (page->documents, i), "clientId");

      if (client_id != NULL && g_hash_table_add (self->documents, g_strdup (client_id)))
        fresh++;
    }

  return fresh;
}

static gboolean
stuck (CairnPageWalk  *self,
       GError        **error)
{
  g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
               _("Your database keeps answering with pages of %s that were already read, so the list never ends. "
                 "Cairn stopped reading it; nothing was changed."),
               self->table);
  return FALSE;
}

/**
 * cairn_page_walk_step:
 * @requested_cursor: (nullable): the cursor @page was asked for; %NULL
 *   (the first page) starts the walk over
 *
 * Returns: %FALSE, with a %CAIRN_CONVEX_ERROR_BAD_RESPONSE error, when @page shows
 *   that the listing repeats itself instead of moving on
 */
gboolean
cairn_page_walk_step (CairnPageWalk    *self,
                      const char       *requested_cursor,
                      const CairnPage  *page,
                      GError          **error)
{
  guint fresh;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (page != NULL, FALSE);

  if (requested_cursor == NULL)
    {
      g_hash_table_remove_all (self->cursors);
      g_hash_table_remove_all (self->documents);
      self->empty_pages = 0;
    }
  else
    g_hash_table_add (self->cursors, g_strdup (requested_cursor));

  fresh = count_new (self, page);
  if (page->done)
    return TRUE;

  if (page->cursor == NULL || g_hash_table_contains (self->cursors, page->cursor))
    return stuck (self, error);

  if (page->documents->len > 0 && fresh == 0)
    return stuck (self, error);

  self->empty_pages = page->documents->len == 0 ? self->empty_pages + 1 : 0;
  if (self->empty_pages > CAIRN_PAGE_WALK_MAX_EMPTY_PAGES)
    return stuck (self, error);

  return TRUE;
}
