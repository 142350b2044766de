/* failing-store.c — a CairnStore that fails on request (tests only)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-failing-store"

#include "cairn-error.h"
#include "failing-store.h"

struct _TestFailingStore
{
  GObject     parent_instance;

  CairnStore *inner;
  char       *failing_table;
};

static void store_iface_init (CairnStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFailingStore, test_failing_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_STORE, store_iface_init))

/* Every call gets its own task on the wrapper; the inner result is moved into it. */
typedef enum { OP_LIST, OP_GET, OP_INSERT, OP_PATCH, OP_REMOVE, OP_PING } Op;

static GTask *
task_new (TestFailingStore    *self,
          Op                   op,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_task_data (task, GINT_TO_POINTER (op), NULL);
  return task;
}

static void
forward_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CairnStore *inner = CAIRN_STORE (object);
  GError *error = NULL;
  gpointer value = NULL;
  GDestroyNotify free_func = (GDestroyNotify) json_object_unref;

  switch ((Op) GPOINTER_TO_INT (g_task_get_task_data (task)))
    {
    case OP_LIST:
      value = cairn_store_list_finish (inner, result, &error);
      free_func = (GDestroyNotify) cairn_page_free;
      break;
    case OP_GET:
      value = cairn_store_get_finish (inner, result, &error);
      break;
    case OP_INSERT:
      value = cairn_store_insert_finish (inner, result, &error);
      break;
    case OP_PATCH:
      value = cairn_store_patch_finish (inner, result, &error);
      break;
    case OP_PING:
      value = cairn_store_ping_finish (inner, result, &error);
      break;
    case OP_REMOVE:
      if (cairn_store_remove_finish (inner, result, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      return;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, free_func);
}

static void
failing_list_async (CairnStore *store, const CairnQuery *query, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);

  cairn_store_list_async (self->inner, query, cancellable, forward_cb,
                          task_new (self, OP_LIST, cancellable, callback, user_data));
}

static void
failing_get_async (CairnStore *store, const char *table, const char *client_id,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);

  cairn_store_get_async (self->inner, table, client_id, cancellable, forward_cb,
                         task_new (self, OP_GET, cancellable, callback, user_data));
}

static void
failing_insert_async (CairnStore *store, const char *table, JsonObject *document,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);
  GTask *task = task_new (self, OP_INSERT, cancellable, callback, user_data);

  if (g_strcmp0 (table, self->failing_table) == 0)
    {
      g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                               "The disk is full (simulated)");
      g_object_unref (task);
      return;
    }

  cairn_store_insert_async (self->inner, table, document, cancellable, forward_cb, task);
}

static void
failing_patch_async (CairnStore *store, const char *table, const char *client_id, JsonObject *fields,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);

  cairn_store_patch_async (self->inner, table, client_id, fields, cancellable, forward_cb,
                           task_new (self, OP_PATCH, cancellable, callback, user_data));
}

static void
failing_remove_async (CairnStore *store, const char *table, const char *client_id,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);

  cairn_store_remove_async (self->inner, table, client_id, cancellable, forward_cb,
                            task_new (self, OP_REMOVE, cancellable, callback, user_data));
}

static void
failing_ping_async (CairnStore *store, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  TestFailingStore *self = TEST_FAILING_STORE (store);

  cairn_store_ping_async (self->inner, cancellable, forward_cb,
                          task_new (self, OP_PING, cancellable, callback, user_data));
}

static gpointer
pointer_finish (CairnStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static CairnPage *
page_finish (CairnStore *store, GAsyncResult *result, GError **error)
{
  return pointer_finish (store, result, error);
}

static JsonObject *
document_finish (CairnStore *store, GAsyncResult *result, GError **error)
{
  return pointer_finish (store, result, error);
}

static gboolean
boolean_finish (CairnStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
store_iface_init (CairnStoreInterface *iface)
{
  iface->list_async = failing_list_async;
  iface->list_finish = page_finish;
  iface->get_async = failing_get_async;
  iface->get_finish = document_finish;
  iface->insert_async = failing_insert_async;
  iface->insert_finish = document_finish;
  iface->patch_async = failing_patch_async;
  iface->patch_finish = document_finish;
  iface->remove_async = failing_remove_async;
  iface->remove_finish = boolean_finish;
  iface->ping_async = failing_ping_async;
  iface->ping_finish = document_finish;
}

static void
test_failing_store_dispose (GObject *object)
{
  TestFailingStore *self = TEST_FAILING_STORE (object);

  g_clear_object (&self->inner);

  G_OBJECT_CLASS (test_failing_store_parent_class)->dispose (object);
}

static void
test_failing_store_finalize (GObject *object)
{
  TestFailingStore *self = TEST_FAILING_STORE (object);

  g_free (self->failing_table);

  G_OBJECT_CLASS (test_failing_store_parent_class)->finalize (object);
}

static void
test_failing_store_class_init (TestFailingStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = test_failing_store_dispose;
  object_class->finalize = test_failing_store_finalize;
}

static void
test_failing_store_init (TestFailingStore *self)
{
}

TestFailingStore *
test_failing_store_new (CairnStore *inner)
{
  TestFailingStore *self = g_object_new (TEST_TYPE_FAILING_STORE, NULL);

  self->inner = g_object_ref (inner);
  return self;
}

void
test_failing_store_fail_inserts_into (TestFailingStore *self,
                                      const char       *table)
{
  g_free (self->failing_table);
  self->failing_table = g_strdup (table);
}
