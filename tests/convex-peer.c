/* convex-peer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>

#include "convex-peer.h"

struct _ConvexPeer
{
  GSubprocess *process;
  SoupSession *session;
  char        *url;
};

/* A test that aborts must not leave its peer behind (holding the test's
 * output pipes open, which keeps meson waiting). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static char *
peer_script (void)
{
  const char *root = g_getenv ("CAIRN_SOURCE_ROOT");

  g_assert_nonnull (root);

  return g_build_filename (root, "tests", "peer", "convex-peer.mjs", NULL);
}

ConvexPeer *
convex_peer_start (const char *admin_key,
                   const char *state_file)
{
  return convex_peer_start_full (admin_key, NULL, state_file);
}

ConvexPeer *
convex_peer_start_full (const char *admin_key,
                        const char *read_only_key,
                        const char *state_file)
{
  return convex_peer_start_with_args (admin_key, read_only_key, state_file, NULL);
}

ConvexPeer *
convex_peer_start_with_args (const char *admin_key,
                             const char *read_only_key,
                             const char *state_file,
                             ...)
{
  g_autoptr(GError) error = NULL;
  va_list extra;
  const char *arg;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *line = NULL;
  ConvexPeer *self = g_new0 (ConvexPeer, 1);

  g_ptr_array_add (argv, g_strdup ("node"));
  g_ptr_array_add (argv, peer_script ());
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--admin-key"));
  g_ptr_array_add (argv, g_strdup (admin_key));
  if (read_only_key != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--read-only-key"));
      g_ptr_array_add (argv, g_strdup (read_only_key));
    }
  if (state_file != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--state"));
      g_ptr_array_add (argv, g_strdup (state_file));
    }
  va_start (extra, state_file);
  while ((arg = va_arg (extra, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (extra);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));

  self->url = g_strdup (line + strlen ("listening on "));
  self->session = soup_session_new ();

  return self;
}

const char *
convex_peer_get_url (ConvexPeer *self)
{
  return self->url;
}

static GBytes *
request (ConvexPeer *self,
         const char *method,
         const char *what,
         const char *json_body)
{
  g_autofree char *uri = g_strdup_printf ("%s/_peer/%s", self->url, what);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  g_autoptr(GError) error = NULL;
  GBytes *body;

  if (json_body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  body = soup_session_send_and_read (self->session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), >=, 200);
  g_assert_cmpuint (soup_message_get_status (message), <, 300);

  return body;
}

void
convex_peer_control (ConvexPeer *self,
                     const char *what,
                     const char *json_body)
{
  g_autoptr(GBytes) body = request (self, "POST", what, json_body != NULL ? json_body : "{}");
}

/* GET /_peer/<what>, parsed */
static JsonObject *
get_json (ConvexPeer *self,
          const char *what)
{
  g_autoptr(GBytes) body = request (self, "GET", what, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

JsonObject *
convex_peer_get_state (ConvexPeer *self)
{
  return get_json (self, "state");
}

guint
convex_peer_count (ConvexPeer *self,
                   const char *table)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (self);
  JsonObject *tables = json_object_get_object_member (state, "tables");

  if (tables == NULL || !json_object_has_member (tables, table))
    return 0;

  return json_array_get_length (json_object_get_array_member (tables, table));
}

guint
convex_peer_request_count (ConvexPeer *self)
{
  g_autoptr(JsonObject) stats = get_json (self, "stats");

  return (guint) json_object_get_int_member (stats, "requests");
}

JsonObject *
convex_peer_get_stats (ConvexPeer *self)
{
  return get_json (self, "stats");
}

guint
convex_peer_function_count (ConvexPeer *self,
                            const char *function)
{
  g_autoptr(JsonObject) stats = get_json (self, "stats");
  JsonObject *by_function = json_object_get_object_member (stats, "byFunction");

  if (by_function == NULL || !json_object_has_member (by_function, function))
    return 0;

  return (guint) json_object_get_int_member (by_function, function);
}

void
convex_peer_stop (ConvexPeer *self)
{
  g_autoptr(GError) error = NULL;

  if (self->process == NULL)
    return;

  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&self->process);
}

void
convex_peer_free (ConvexPeer *self)
{
  if (self == NULL)
    return;

  if (self->process != NULL)
    {
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
      g_clear_object (&self->process);
    }
  g_clear_object (&self->session);
  g_free (self->url);
  g_free (self);
}
