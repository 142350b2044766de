/* fuzz-sync-message.c — what a deployment sends on the sync socket, as hostile as it gets
 *
 * Input: frames separated by a 0xff byte (never part of UTF-8 text). The
 * whole input is parsed as one frame first; then each frame in turn, the
 * TransitionChunk ones fed to a chunk joiner as the client feeds them, and
 * a joined text parsed once more. The invariants are the ones the sync
 * client relies on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-error.h"
#include "cairn-sync-protocol.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_version (const CairnSyncVersion *version)
{
  g_autofree char *ts = cairn_sync_ts_encode (version->ts);
  guint64 again = 0;

  fuzz_check (cairn_sync_ts_decode (ts, &again));
  fuzz_check (again == version->ts);
  fuzz_check (cairn_sync_version_equal (version, version));
  fuzz_check (cairn_sync_version_follows (version, version));
}

/* One frame: a message or a reason, never both, each as the client expects it. */
static CairnSyncMessage *
check_frame (const char *text,
             gsize       length)
{
  g_autoptr(GError) error = NULL;
  CairnSyncMessage *message = cairn_sync_message_parse (text, length, &error);

  fuzz_check ((message != NULL) != (error != NULL));

  if (message == NULL)
    {
      fuzz_check (g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE));
      fuzz_check (error->message != NULL && *error->message != '\0');
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
      return NULL;
    }

  switch (message->type)
    {
    case CAIRN_SYNC_MESSAGE_TRANSITION:
      fuzz_check (message->modifications != NULL);
      check_version (&message->start_version);
      check_version (&message->end_version);
      for (guint i = 0; i < message->modifications->len; i++)
        {
          CairnSyncModification *modification = g_ptr_array_index (message->modifications, i);

          switch (modification->kind)
            {
            case CAIRN_SYNC_QUERY_UPDATED:
              fuzz_check (modification->value != NULL);
              break;
            case CAIRN_SYNC_QUERY_FAILED:
              /* words for the UI, always */
              fuzz_check (modification->error_message != NULL && *modification->error_message != '\0');
              fuzz_check (g_utf8_validate (modification->error_message, -1, NULL));
              break;
            case CAIRN_SYNC_QUERY_REMOVED:
              fuzz_check (modification->value == NULL);
              break;
            default:
              fuzz_check (FALSE);
            }
        }
      break;

    case CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK:
      fuzz_check (message->chunk != NULL && message->transition_id != NULL);
      fuzz_check (message->part_number < message->total_parts);
      break;

    case CAIRN_SYNC_MESSAGE_AUTH_ERROR:
    case CAIRN_SYNC_MESSAGE_FATAL_ERROR:
      fuzz_check (message->error != NULL && g_utf8_validate (message->error, -1, NULL));
      break;

    case CAIRN_SYNC_MESSAGE_PING:
    case CAIRN_SYNC_MESSAGE_OTHER:
      break;

    default:
      fuzz_check (FALSE);
    }

  return message;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(CairnSyncChunks) chunks = cairn_sync_chunks_new ();
  const char *text = (const char *) data;
  gsize start = 0;

  /* the whole input as one frame, exactly as long as it is (not
   * NUL-terminated, so AddressSanitizer sees any read past its end) */
  cairn_sync_message_free (check_frame (text, size));

  while (start <= size)
    {
      const uint8_t *end = memchr (data + start, 0xff, size - start);
      gsize length = end != NULL ? (gsize) (end - data) - start : size - start;
      g_autofree char *frame = g_memdup2 (text + start, length);
      g_autoptr(CairnSyncMessage) message = check_frame (frame, length);

      start += length + 1;

      if (message == NULL)
        continue;

      if (message->type == CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GString) joined = NULL;
          gboolean added = cairn_sync_chunks_add (chunks, message, &joined, &error);

          fuzz_check (added == (error == NULL));
          fuzz_check (!added || joined == NULL || !cairn_sync_chunks_is_pending (chunks));
          if (!added)
            {
              fuzz_check (!cairn_sync_chunks_is_pending (chunks));
              fuzz_check (g_utf8_validate (error->message, -1, NULL));
            }
          if (joined != NULL)
            {
              fuzz_check (joined->len <= CAIRN_SYNC_MAX_MESSAGE_SIZE);
              cairn_sync_message_free (check_frame (joined->str, joined->len));
            }
        }
      else if (message->type != CAIRN_SYNC_MESSAGE_PING)
        {
          /* what the client does with a message in the middle of the parts */
          cairn_sync_chunks_reset (chunks);
        }
    }

  return 0;
}
