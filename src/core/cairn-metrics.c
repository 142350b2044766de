/* cairn-metrics.c
 *
 * Every request to the user's deployment ends in cairn_metrics_record():
 * its kind, outcome, error code and duration go into the minute it ended in
 * (wall clock, from the CairnClock). A minute keeps, per kind, the count,
 * the failures, the sum and the maximum of the durations and a histogram of
 * them; the failures by error code; the retries; the slow requests (over
 * %CAIRN_METRICS_SLOW_MS) by function.
 *
 * The histogram is log-linear: durations in µs, exact below 64 µs, then 32
 * buckets per power of two, so a bucket's middle is within 1/64 of any
 * duration in it. Histograms add up, so a window of any number of minutes
 * has its percentiles from the same data. The minute being recorded into
 * has a dense histogram (a counter per bucket: recording is an increment);
 * when it ends it is compacted to its non-empty buckets.
 *
 * Memory holds the minutes of the last %CAIRN_METRICS_MAX_WINDOW minutes
 * that had requests. Each minute that ends is written to the main store
 * ("healthMinutes", one row a minute and deployment), rows older than
 * %CAIRN_METRICS_HISTORY_DAYS are removed a page at a time, and
 * cairn_metrics_load_async() reads the last 24 hours back after a restart.
 *
 * Not thread-safe: requests end on the main context, and so does all of this.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-metrics"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-clock.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-metrics.h"
#include "cairn-query.h"
#include "cairn-schema.h"
#include "cairn-store.h"

#define MINUTES_TABLE  "healthMinutes"
#define MINUTE_MS      G_GINT64_CONSTANT (60000)
#define SUB_BITS       5
#define SUB_COUNT      (1u << SUB_BITS)
#define N_BUCKETS      ((32 - SUB_BITS + 1) * SUB_COUNT)
#define N_ERROR_SLOTS  32                  /* the last one counts codes beyond */
#define OTHER_ERROR    (N_ERROR_SLOTS - 1)
#define MAX_SLOW       8                   /* functions a minute; more share one entry */
#define LOAD_PAGE      1000
#define PRUNE_PAGE     200
#define FORMAT_VERSION 1

typedef struct {
  guint32  count;
  guint32  failed;
  guint64  sum_us;
  guint32  max_us;
  guint32  n_hist;
  guint32 *hist;      /* a closed minute's non-empty buckets: n_hist (bucket, count) pairs */
} KindMinute;

typedef struct {
  const char *function;   /* interned; NULL: the functions past MAX_SLOW */
  guint32     kind;
  guint32     count;
  guint32     max_us;
} SlowEntry;

typedef struct {
  gint64     minute;      /* minutes since the Unix epoch */
  KindMinute kinds[CAIRN_REQUEST_N_KINDS];
  guint32    retries;
  guint32    errors[N_ERROR_SLOTS];
  guint      n_slow;
  SlowEntry  slow[MAX_SLOW + 1];
} Minute;

struct _CairnMetrics
{
  GObject       parent_instance;

  CairnClock   *clock;
  CairnStore   *store;           /* (nullable) where minutes are kept */
  char         *workspace_id;
  char         *deployment_url;
  GCancellable *cancellable;

  GArray       *minutes;         /* Minute, oldest first */
  gboolean      open;            /* the last minute is recorded into; its histograms are in live */
  guint32       live[CAIRN_REQUEST_N_KINDS][N_BUCKETS];
  guint         close_timer;
  guint         changed_timer;
  gboolean      pruning;
};

G_DEFINE_FINAL_TYPE (CairnMetrics, cairn_metrics, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (CairnMetricsSummary, cairn_metrics_summary,
                     cairn_metrics_summary_copy, cairn_metrics_summary_free)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Error codes ------------------------------------------------------------------ */

static const struct {
  const char *nick;
  const char *label;
} error_names[N_ERROR_SLOTS] = {
  [CAIRN_CONVEX_ERROR_CONNECTIVITY]     = { "connectivity", N_("Could not connect") },
  [CAIRN_CONVEX_ERROR_TIMEOUT]          = { "timeout", N_("No answer in time") },
  [CAIRN_CONVEX_ERROR_UNAUTHORIZED]     = { "unauthorized", N_("Deploy key refused") },
  [CAIRN_CONVEX_ERROR_NOT_SET_UP]       = { "not-set-up", N_("Cairn functions missing") },
  [CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED]  = { "schema-outdated", N_("Cairn functions too old") },
  [CAIRN_CONVEX_ERROR_SCHEMA_NEWER]     = { "schema-newer", N_("Cairn functions too new") },
  [CAIRN_CONVEX_ERROR_FUNCTION_FAILED]  = { "function-failed", N_("A function failed") },
  [CAIRN_CONVEX_ERROR_BAD_RESPONSE]     = { "bad-response", N_("Unreadable answer") },
  [CAIRN_CONVEX_ERROR_SERVER]           = { "server", N_("Server error") },
  [CAIRN_CONVEX_ERROR_REDIRECTED]       = { "redirected", N_("Redirected") },
  [CAIRN_CONVEX_ERROR_READ_ONLY]        = { "read-only", N_("Read-only key") },
  [CAIRN_CONVEX_ERROR_BAD_REQUEST]      = { "bad-request", N_("Request refused") },
  [CAIRN_CONVEX_ERROR_NOT_CONVEX]       = { "not-convex", N_("Not a Convex deployment") },
  [CAIRN_CONVEX_ERROR_PUSH_REFUSED]     = { "push-refused", N_("Functions refused") },
  [CAIRN_CONVEX_ERROR_SCHEMA_REJECTED]  = { "schema-rejected", N_("Schema does not fit the data") },
  [CAIRN_CONVEX_ERROR_PUSH_RACE]        = { "push-race", N_("Another push got in between") },
  [CAIRN_CONVEX_ERROR_MIGRATION_FAILED] = { "migration-failed", N_("Migration failed") },
  [CAIRN_CONVEX_ERROR_LEASE_HELD]       = { "lease-held", N_("Another computer is migrating") },
  [OTHER_ERROR]                         = { "other", N_("Other error") },
};

static guint
error_slot (int code)
{
  if (code < 0 || code >= OTHER_ERROR || error_names[code].nick == NULL)
    return OTHER_ERROR;

  return (guint) code;
}

static int
error_code_for_nick (const char *nick)
{
  for (guint i = 0; i < OTHER_ERROR; i++)
    if (error_names[i].nick != NULL && g_strcmp0 (error_names[i].nick, nick) == 0)
      return (int) i;

  return OTHER_ERROR;
}

/* Histograms ------------------------------------------------------------------- */

static inline guint
bucket_of (guint32 us)
{
  guint e;
  guint shift;

  if (us < SUB_COUNT)
    return us;

  e = g_bit_storage (us) - 1;
  shift = e - SUB_BITS;

  return SUB_COUNT * (shift + 1) + ((us >> shift) - SUB_COUNT);
}

static guint32
bucket_low (guint bucket)
{
  guint group = bucket / SUB_COUNT;

  if (group == 0)
    return bucket;

  return (SUB_COUNT + bucket % SUB_COUNT) << (group - 1);
}

/* The middle of the bucket, in µs. */
static double
bucket_middle (guint bucket)
{
  guint group = bucket / SUB_COUNT;
  guint32 width = group == 0 ? 1 : 1u << (group - 1);

  return bucket_low (bucket) + (width - 1) / 2.0;
}

/* Nearest rank: the smallest duration that at least @p % of them do not exceed. */
static double
percentile_ms (const guint32 *hist,
               guint64        count,
               guint          p,
               guint32        max_us)
{
  guint64 rank = MAX ((count * p + 99) / 100, 1);
  guint64 seen = 0;

  for (guint i = 0; i < N_BUCKETS; i++)
    {
      seen += hist[i];
      if (seen >= rank)
        return MIN (bucket_middle (i), (double) max_us) / 1000.0;
    }

  return max_us / 1000.0;
}

static void
latency_from (CairnLatency  *out,
              const guint32 *hist,
              guint64        count,
              guint64        failed,
              guint64        sum_us,
              guint32        max_us)
{
  memset (out, 0, sizeof *out);
  out->count = (guint) count;
  out->failed = (guint) failed;
  if (count == 0)
    return;

  out->average_ms = (double) sum_us / count / 1000.0;
  out->p50_ms = percentile_ms (hist, count, 50, max_us);
  out->p95_ms = percentile_ms (hist, count, 95, max_us);
  out->p99_ms = percentile_ms (hist, count, 99, max_us);
  out->max_ms = max_us / 1000.0;
}

/* Minutes ---------------------------------------------------------------------- */

static void
minute_clear (Minute *minute)
{
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    g_clear_pointer (&minute->kinds[k].hist, g_free);
}

static guint32
clamp_duration (gint64 duration_us)
{
  return (guint32) CLAMP (duration_us, 0, (gint64) G_MAXUINT32);
}

static void
add_slow (Minute     *minute,
          const char *function,
          guint       kind,
          guint32     count,
          guint32     max_us)
{
  SlowEntry *entry = NULL;

  for (guint i = 0; i < minute->n_slow && entry == NULL; i++)
    if (minute->slow[i].function == function && minute->slow[i].kind == kind)
      entry = &minute->slow[i];

  /* past MAX_SLOW functions, the rest share the last entry */
  if (entry == NULL && minute->n_slow == MAX_SLOW)
    {
      entry = &minute->slow[MAX_SLOW];
      entry->function = NULL;
      entry->kind = kind;
    }
  else if (entry == NULL)
    {
      entry = &minute->slow[minute->n_slow++];
      entry->function = function;
      entry->kind = kind;
    }

  entry->count += count;
  entry->max_us = MAX (entry->max_us, max_us);
}

static void
minute_add_record (Minute                   *minute,
                   guint32                   live[][N_BUCKETS],
                   const CairnRequestRecord *record)
{
  KindMinute *kind = &minute->kinds[record->kind];
  guint32 us = clamp_duration (record->duration_us);

  kind->count++;
  kind->sum_us += us;
  kind->max_us = MAX (kind->max_us, us);
  live[record->kind][bucket_of (us)]++;

  if (record->outcome == CAIRN_REQUEST_FAILED)
    {
      kind->failed++;
      minute->errors[error_slot (record->error_code)]++;
    }

  if (us > CAIRN_METRICS_SLOW_MS * 1000)
    add_slow (minute, g_intern_string (record->function), record->kind, 1, us);
}

/* A closed minute keeps its non-empty buckets only. */
static void
compact (KindMinute *kind,
         guint32    *dense)
{
  guint n = 0;

  g_clear_pointer (&kind->hist, g_free);
  for (guint i = 0; i < N_BUCKETS; i++)
    n += dense[i] != 0;

  kind->n_hist = n;
  kind->hist = n > 0 ? g_new (guint32, 2 * n) : NULL;
  n = 0;
  for (guint i = 0; i < N_BUCKETS; i++)
    if (dense[i] != 0)
      {
        kind->hist[2 * n] = i;
        kind->hist[2 * n + 1] = dense[i];
        n++;
      }

  memset (dense, 0, N_BUCKETS * sizeof (guint32));
}

static void
expand (const KindMinute *kind,
        guint32          *dense)
{
  for (guint i = 0; i < kind->n_hist; i++)
    dense[kind->hist[2 * i]] += kind->hist[2 * i + 1];
}

/* @from into @into (same minute); @into_dense: @into's histograms when it is open. */
static void
minute_merge (Minute       *into,
              guint32       into_dense[][N_BUCKETS],
              const Minute *from)
{
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    {
      KindMinute *a = &into->kinds[k];
      const KindMinute *b = &from->kinds[k];
      g_autofree guint32 *dense = NULL;

      a->count += b->count;
      a->failed += b->failed;
      a->sum_us += b->sum_us;
      a->max_us = MAX (a->max_us, b->max_us);

      if (into_dense != NULL)
        {
          expand (b, into_dense[k]);
          continue;
        }

      dense = g_new0 (guint32, N_BUCKETS);
      expand (a, dense);
      expand (b, dense);
      compact (a, dense);
    }

  into->retries += from->retries;
  for (guint i = 0; i < N_ERROR_SLOTS; i++)
    into->errors[i] += from->errors[i];
  for (guint i = 0; i < from->n_slow; i++)
    add_slow (into, from->slow[i].function, from->slow[i].kind, from->slow[i].count, from->slow[i].max_us);
  if (from->slow[MAX_SLOW].count > 0)
    add_slow (into, NULL, from->slow[MAX_SLOW].kind, from->slow[MAX_SLOW].count, from->slow[MAX_SLOW].max_us);
}

/* Adding up ---------------------------------------------------------------------- */

typedef struct {
  guint32  hist[CAIRN_REQUEST_N_KINDS][N_BUCKETS];
  guint64  count[CAIRN_REQUEST_N_KINDS];
  guint64  failed[CAIRN_REQUEST_N_KINDS];
  guint64  sum_us[CAIRN_REQUEST_N_KINDS];
  guint32  max_us[CAIRN_REQUEST_N_KINDS];
  guint64  retries;
  guint64  errors[N_ERROR_SLOTS];
  Minute   slow;           /* only its slow entries */
} Totals;

static void
totals_add (Totals       *totals,
            const Minute *minute,
            guint32       dense[][N_BUCKETS])
{
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    {
      const KindMinute *kind = &minute->kinds[k];

      totals->count[k] += kind->count;
      totals->failed[k] += kind->failed;
      totals->sum_us[k] += kind->sum_us;
      totals->max_us[k] = MAX (totals->max_us[k], kind->max_us);
      if (dense != NULL)
        for (guint i = 0; i < N_BUCKETS; i++)
          totals->hist[k][i] += dense[k][i];
      else
        expand (kind, totals->hist[k]);
    }

  totals->retries += minute->retries;
  for (guint i = 0; i < N_ERROR_SLOTS; i++)
    totals->errors[i] += minute->errors[i];
  for (guint i = 0; i <= MAX_SLOW; i++)
    if (minute->slow[i].count > 0)
      add_slow (&totals->slow, minute->slow[i].function, minute->slow[i].kind,
                minute->slow[i].count, minute->slow[i].max_us);
}

static int
compare_errors (gconstpointer a,
                gconstpointer b)
{
  const CairnErrorCount *x = a;
  const CairnErrorCount *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->code - y->code;
}

static int
compare_slow (gconstpointer a,
              gconstpointer b)
{
  const CairnSlowRequest *x = a;
  const CairnSlowRequest *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  if (x->max_ms != y->max_ms)
    return x->max_ms > y->max_ms ? -1 : 1;
  return g_strcmp0 (x->function, y->function);
}

static CairnMetricsSummary *
totals_to_summary (Totals *totals)
{
  CairnMetricsSummary *summary = g_new0 (CairnMetricsSummary, 1);
  g_autofree guint32 *all = g_new0 (guint32, N_BUCKETS);
  guint64 count = 0, failed = 0, sum_us = 0;
  guint32 max_us = 0;
  const CairnLatency *mutations;

  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    {
      latency_from (&summary->by_kind[k], totals->hist[k], totals->count[k], totals->failed[k],
                    totals->sum_us[k], totals->max_us[k]);
      for (guint i = 0; i < N_BUCKETS; i++)
        all[i] += totals->hist[k][i];
      count += totals->count[k];
      failed += totals->failed[k];
      sum_us += totals->sum_us[k];
      max_us = MAX (max_us, totals->max_us[k]);
    }
  latency_from (&summary->all, all, count, failed, sum_us, max_us);

  summary->count = (guint) count;
  summary->failed = (guint) failed;
  summary->retries = (guint) totals->retries;
  mutations = &summary->by_kind[CAIRN_REQUEST_MUTATION];
  summary->mutation_success_rate = mutations->count > 0 ?
    (double) (mutations->count - mutations->failed) / mutations->count : 1.0;
  summary->error_rate = count > 0 ? (double) failed / count : 0.0;

  summary->errors = g_array_new (FALSE, FALSE, sizeof (CairnErrorCount));
  for (guint i = 0; i < N_ERROR_SLOTS; i++)
    if (totals->errors[i] > 0)
      {
        CairnErrorCount entry = { i == OTHER_ERROR ? -1 : (int) i, (guint) totals->errors[i] };

        g_array_append_val (summary->errors, entry);
      }
  g_array_sort (summary->errors, compare_errors);

  summary->slow = g_array_new (FALSE, FALSE, sizeof (CairnSlowRequest));
  for (guint i = 0; i <= MAX_SLOW; i++)
    if (totals->slow.slow[i].count > 0)
      {
        CairnSlowRequest entry = {
          totals->slow.slow[i].function, totals->slow.slow[i].kind,
          totals->slow.slow[i].count, totals->slow.slow[i].max_us / 1000.0,
        };

        g_array_append_val (summary->slow, entry);
      }
  g_array_sort (summary->slow, compare_slow);

  return summary;
}

/* Persistence ----------------------------------------------------------------------- */

static char *
row_client_id (CairnMetrics *self,
               gint64        minute)
{
  g_autofree char *name = g_strdup_printf ("health-minute\n%s\n%s\n%" G_GINT64_FORMAT,
                                           self->workspace_id, self->deployment_url, minute);

  return cairn_client_id_for_name (name);
}

static JsonNode *
minute_to_json (const Minute *minute)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "retries");
  json_builder_add_int_value (builder, minute->retries);

  json_builder_set_member_name (builder, "kinds");
  json_builder_begin_object (builder);
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    {
      const KindMinute *kind = &minute->kinds[k];

      if (kind->count == 0)
        continue;
      json_builder_set_member_name (builder, cairn_request_kind_to_string (k));
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, kind->count);
      json_builder_set_member_name (builder, "failed");
      json_builder_add_int_value (builder, kind->failed);
      json_builder_set_member_name (builder, "sumUs");
      json_builder_add_int_value (builder, (gint64) kind->sum_us);
      json_builder_set_member_name (builder, "maxUs");
      json_builder_add_int_value (builder, kind->max_us);
      /* a bucket by the lowest duration it holds, so another layout reads it */
      json_builder_set_member_name (builder, "histogram");
      json_builder_begin_array (builder);
      for (guint i = 0; i < kind->n_hist; i++)
        {
          json_builder_add_int_value (builder, bucket_low (kind->hist[2 * i]));
          json_builder_add_int_value (builder, kind->hist[2 * i + 1]);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "errors");
  json_builder_begin_object (builder);
  for (guint i = 0; i < N_ERROR_SLOTS; i++)
    if (minute->errors[i] > 0)
      {
        json_builder_set_member_name (builder, error_names[i].nick);
        json_builder_add_int_value (builder, minute->errors[i]);
      }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "slow");
  json_builder_begin_array (builder);
  for (guint i = 0; i <= MAX_SLOW; i++)
    {
      const SlowEntry *slow = &minute->slow[i];

      if (slow->count == 0)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "function");
      json_builder_add_string_value (builder, slow->function != NULL ? slow->function : "");
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, cairn_request_kind_to_string (slow->kind));
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, slow->count);
      json_builder_set_member_name (builder, "maxUs");
      json_builder_add_int_value (builder, slow->max_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static guint32
json_count (JsonObject *object,
            const char *member)
{
  return clamp_duration ((gint64) cairn_json_get_number (object, member));
}

static int
kind_for_string (const char *text)
{
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    if (g_strcmp0 (cairn_request_kind_to_string (k), text) == 0)
      return (int) k;

  return -1;
}

static void
kind_from_json (KindMinute *kind,
                JsonObject *object)
{
  JsonArray *hist = cairn_json_get_array (object, "histogram");
  g_autofree guint32 *dense = g_new0 (guint32, N_BUCKETS);
  guint n = hist != NULL ? json_array_get_length (hist) / 2 : 0;

  kind->count = json_count (object, "count");
  kind->failed = MIN (json_count (object, "failed"), kind->count);
  kind->sum_us = (guint64) MAX (cairn_json_get_number (object, "sumUs"), 0);
  kind->max_us = json_count (object, "maxUs");

  for (guint i = 0; i < n; i++)
    {
      JsonNode *low = json_array_get_element (hist, 2 * i);
      JsonNode *count = json_array_get_element (hist, 2 * i + 1);

      if (JSON_NODE_HOLDS_VALUE (low) && JSON_NODE_HOLDS_VALUE (count))
        dense[bucket_of (clamp_duration (json_node_get_int (low)))] += clamp_duration (json_node_get_int (count));
    }
  compact (kind, dense);
}

/* A row of the main store back into a minute; FALSE when it is not one. */
static gboolean
minute_from_row (JsonObject *row,
                 Minute     *minute)
{
  g_autoptr(JsonNode) root = NULL;
  const char *text = cairn_json_get_string (row, "summary");
  JsonObject *object;
  JsonObject *kinds;
  JsonObject *errors;
  JsonArray *slow;

  root = text != NULL ? cairn_json_parse (text, strlen (text), NULL) : NULL;
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);

  memset (minute, 0, sizeof *minute);
  minute->minute = (gint64) cairn_json_get_number (row, "minute") / MINUTE_MS;
  minute->retries = json_count (object, "retries");

  kinds = cairn_json_get_object (object, "kinds");
  for (guint k = 0; kinds != NULL && k < CAIRN_REQUEST_N_KINDS; k++)
    {
      JsonObject *kind = cairn_json_get_object (kinds, cairn_request_kind_to_string (k));

      if (kind != NULL)
        kind_from_json (&minute->kinds[k], kind);
    }

  errors = cairn_json_get_object (object, "errors");
  if (errors != NULL)
    {
      JsonObjectIter iter;
      const char *nick;
      JsonNode *value;

      json_object_iter_init (&iter, errors);
      while (json_object_iter_next (&iter, &nick, &value))
        if (JSON_NODE_HOLDS_VALUE (value))
          minute->errors[error_code_for_nick (nick)] += clamp_duration (json_node_get_int (value));
    }

  slow = cairn_json_get_array (object, "slow");
  for (guint i = 0; slow != NULL && i < json_array_get_length (slow); i++)
    {
      JsonNode *node = json_array_get_element (slow, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *function = entry != NULL ? cairn_json_get_string (entry, "function") : NULL;
      int kind = entry != NULL ? kind_for_string (cairn_json_get_string (entry, "kind")) : -1;

      if (kind >= 0 && function != NULL)
        add_slow (minute, *function != '\0' ? g_intern_string (function) : NULL, kind,
                  json_count (entry, "count"), json_count (entry, "maxUs"));
    }

  return TRUE;
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);

  /* a minute of history missing is no reason to bother anyone */
  if (saved == NULL)
    g_debug ("Could not keep a minute of request metrics: %s", error->message);
}

static void
replaced_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error))
    g_debug ("Could not replace a minute of request metrics: %s", error->message);
}

static void
save_minute (CairnMetrics *self,
             const Minute *minute)
{
  g_autoptr(JsonObject) row = json_object_new ();
  g_autoptr(JsonNode) summary = NULL;
  g_autofree char *text = NULL;
  g_autofree char *client_id = NULL;

  if (self->store == NULL)
    return;

  summary = minute_to_json (minute);
  text = json_to_string (summary, FALSE);
  client_id = row_client_id (self, minute->minute);
  json_object_set_string_member (row, "clientId", client_id);
  json_object_set_string_member (row, "workspace", self->workspace_id);
  json_object_set_string_member (row, "deploymentUrl", self->deployment_url);
  json_object_set_double_member (row, "minute", (double) (minute->minute * MINUTE_MS));
  json_object_set_string_member (row, "summary", text);

  /* Replaced, not upserted: both steps are queued at once, so the minute
   * under way when the app quits is written before the store closes (an
   * upsert's second step would come after). A minute is written again
   * only when the app came back within it. */
  cairn_store_remove_async (self->store, MINUTES_TABLE, client_id, NULL, replaced_cb, NULL);
  cairn_store_insert_async (self->store, MINUTES_TABLE, row, NULL, saved_cb, NULL);
}

static void prune (CairnMetrics *self);

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error))
    g_debug ("Could not remove old request metrics: %s", error->message);
}

/* Pruning does not keep the metrics alive: @user_data is a weak reference. */
static void
pruned_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autofree GWeakRef *weak = user_data;
  g_autoptr(CairnMetrics) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);

  g_weak_ref_clear (weak);
  if (self == NULL)
    return;

  self->pruning = FALSE;
  if (page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list old request metrics: %s", error->message);
      return;
    }

  for (guint i = 0; i < page->documents->len; i++)
    cairn_store_remove_async (self->store, MINUTES_TABLE,
                              cairn_json_get_string (page->documents->pdata[i], "clientId"),
                              NULL, removed_cb, NULL);

  /* a long absence leaves many: the next page after these are gone */
  if (!page->done)
    prune (self);
}

/* Removes rows of this workspace older than the history keeps, a page at a time. */
static void
prune (CairnMetrics *self)
{
  g_autoptr(CairnQuery) query = NULL;
  g_autoptr(JsonNode) cutoff = NULL;
  GWeakRef *weak;
  gint64 now_ms;

  if (self->store == NULL || self->pruning || g_cancellable_is_cancelled (self->cancellable))
    return;

  now_ms = cairn_clock_get_real_time_ms (self->clock);
  cutoff = json_node_init_double (json_node_alloc (),
                                  (double) (now_ms - (gint64) CAIRN_METRICS_HISTORY_DAYS * 24 * 60 * MINUTE_MS));
  query = cairn_query_new (MINUTES_TABLE, "by_workspace_minute");
  cairn_query_add_equal_string (query, self->workspace_id);
  cairn_query_set_upper (query, cutoff, FALSE);
  cairn_query_set_page_size (query, PRUNE_PAGE);

  self->pruning = TRUE;
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  cairn_store_list_async (self->store, query, self->cancellable, pruned_cb, weak);
}

/* The minute being recorded into ---------------------------------------------------- */

static Minute *
last_minute (CairnMetrics *self)
{
  return self->minutes->len > 0 ? &g_array_index (self->minutes, Minute, self->minutes->len - 1) : NULL;
}

static void
emit_changed (CairnMetrics *self)
{
  if (self->changed_timer != 0)
    {
      cairn_clock_remove (self->clock, self->changed_timer);
      self->changed_timer = 0;
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
close_minute (CairnMetrics *self)
{
  Minute *minute = last_minute (self);

  if (!self->open)
    return;

  cairn_clock_remove (self->clock, self->close_timer);
  self->close_timer = 0;
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    compact (&minute->kinds[k], self->live[k]);
  self->open = FALSE;

  save_minute (self, minute);
  prune (self);
}

static gboolean
close_timer_cb (gpointer user_data)
{
  CairnMetrics *self = user_data;

  self->close_timer = 0;
  close_minute (self);
  emit_changed (self);

  return G_SOURCE_REMOVE;
}

/* Drops what is older than the longest window. */
static void
trim (CairnMetrics *self,
      gint64        now_minute)
{
  guint n = 0;

  while (n < self->minutes->len &&
         g_array_index (self->minutes, Minute, n).minute <= now_minute - CAIRN_METRICS_MAX_WINDOW &&
         !(self->open && n == self->minutes->len - 1))
    minute_clear (&g_array_index (self->minutes, Minute, n++));

  if (n > 0)
    g_array_remove_range (self->minutes, 0, n);
}

static Minute *
open_minute (CairnMetrics *self,
             gint64        now_ms)
{
  gint64 now_minute = now_ms / MINUTE_MS;
  Minute *minute = last_minute (self);

  trim (self, now_minute);
  minute = last_minute (self);

  /* the same minute came back from the main store (a restart within it) */
  if (minute != NULL && minute->minute == now_minute)
    {
      for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
        {
          expand (&minute->kinds[k], self->live[k]);
          g_clear_pointer (&minute->kinds[k].hist, g_free);
          minute->kinds[k].n_hist = 0;
        }
    }
  else
    {
      Minute fresh = { .minute = now_minute };

      g_array_append_val (self->minutes, fresh);
      minute = last_minute (self);
    }

  self->open = TRUE;
  self->close_timer = cairn_clock_add_timeout (self->clock, (guint) ((now_minute + 1) * MINUTE_MS - now_ms),
                                               close_timer_cb, self, NULL);
  return minute;
}

/* The minute to record into now. A clock that went back records into the last one. */
static Minute *
current_minute (CairnMetrics *self)
{
  gint64 now_ms = cairn_clock_get_real_time_ms (self->clock);

  if (self->open)
    {
      Minute *minute = last_minute (self);

      if (minute->minute >= now_ms / MINUTE_MS)
        return minute;
      close_minute (self);
    }

  return open_minute (self, now_ms);
}

static gboolean
changed_timer_cb (gpointer user_data)
{
  CairnMetrics *self = user_data;

  self->changed_timer = 0;
  g_signal_emit (self, signals[CHANGED], 0);

  return G_SOURCE_REMOVE;
}

static void
schedule_changed (CairnMetrics *self)
{
  if (self->changed_timer == 0)
    self->changed_timer = cairn_clock_add_timeout (self->clock, CAIRN_METRICS_CHANGED_DELAY_MS,
                                                   changed_timer_cb, self, NULL);
}

/* Loading ---------------------------------------------------------------------------- */

/* Where @minute goes, oldest first; @found: a minute of that number is there. */
static guint
find_minute (CairnMetrics *self,
             gint64        minute,
             gboolean     *found)
{
  guint i = self->minutes->len;

  while (i > 0 && g_array_index (self->minutes, Minute, i - 1).minute > minute)
    i--;

  *found = i > 0 && g_array_index (self->minutes, Minute, i - 1).minute == minute;
  return *found ? i - 1 : i;
}

static void
take_loaded (CairnMetrics *self,
             Minute       *loaded)
{
  gboolean found;
  guint at = find_minute (self, loaded->minute, &found);

  if (!found)
    {
      g_array_insert_val (self->minutes, at, *loaded);
      return;
    }

  minute_merge (&g_array_index (self->minutes, Minute, at),
                self->open && at == self->minutes->len - 1 ? self->live : NULL, loaded);
  minute_clear (loaded);
}

static void load_page (GTask *task, const char *cursor);

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnMetrics *self = g_task_get_source_object (task);

  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < page->documents->len; i++)
    {
      Minute minute;

      if (minute_from_row (page->documents->pdata[i], &minute))
        take_loaded (self, &minute);
    }

  if (!page->done)
    {
      load_page (g_steal_pointer (&task), page->cursor);
      return;
    }

  prune (self);
  emit_changed (self);
  g_task_return_boolean (task, TRUE);
}

static void
load_page (GTask      *task,
           const char *cursor)
{
  CairnMetrics *self = g_task_get_source_object (task);
  g_autoptr(CairnQuery) query = cairn_query_new (MINUTES_TABLE, "by_deployment_minute");
  gint64 now_minute = cairn_clock_get_real_time_ms (self->clock) / MINUTE_MS;
  g_autoptr(JsonNode) from = json_node_init_double (json_node_alloc (),
                                                    (double) ((now_minute - CAIRN_METRICS_MAX_WINDOW + 1) * MINUTE_MS));

  cairn_query_add_equal_string (query, self->workspace_id);
  cairn_query_add_equal_string (query, self->deployment_url);
  cairn_query_set_lower (query, from, TRUE);
  cairn_query_set_page_size (query, LOAD_PAGE);
  cairn_query_set_cursor (query, cursor);

  cairn_store_list_async (self->store, query, g_task_get_cancellable (task), loaded_cb, task);
}

/* GObject ------------------------------------------------------------------------------ */

static void
cairn_metrics_dispose (GObject *object)
{
  CairnMetrics *self = (CairnMetrics *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->clock != NULL)
    {
      /* the minute under way is history too */
      close_minute (self);
      cairn_clock_remove (self->clock, self->changed_timer);
      self->changed_timer = 0;
    }
  g_clear_object (&self->clock);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (cairn_metrics_parent_class)->dispose (object);
}

static void
cairn_metrics_finalize (GObject *object)
{
  CairnMetrics *self = (CairnMetrics *) object;

  for (guint i = 0; i < self->minutes->len; i++)
    minute_clear (&g_array_index (self->minutes, Minute, i));
  g_array_unref (self->minutes);
  g_object_unref (self->cancellable);
  g_free (self->workspace_id);
  g_free (self->deployment_url);

  G_OBJECT_CLASS (cairn_metrics_parent_class)->finalize (object);
}

static void
cairn_metrics_class_init (CairnMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cairn_metrics_dispose;
  object_class->finalize = cairn_metrics_finalize;

  /**
   * CairnMetrics::changed:
   *
   * Requests were recorded, history was loaded, or a minute ended: what
   * cairn_metrics_summarize() and cairn_metrics_get_series() return may
   * differ. Comes at most every %CAIRN_METRICS_CHANGED_DELAY_MS.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cairn_metrics_init (CairnMetrics *self)
{
  self->minutes = g_array_new (FALSE, TRUE, sizeof (Minute));
  self->cancellable = g_cancellable_new ();
}

/* Public API ----------------------------------------------------------------------------- */

/**
 * cairn_metrics_new:
 * @clock: the time of every record, and of the timers
 * @store: (nullable): where minutes are kept (the main store); %NULL: memory only
 * @workspace_id: (nullable): whose minutes, with @store
 * @deployment_url: (nullable): which deployment's, with @store
 *
 * The metrics of the requests to one deployment. With a store, the minutes
 * of the last 24 hours come back from it with cairn_metrics_load_async().
 */
CairnMetrics *
cairn_metrics_new (CairnClock *clock,
                   CairnStore *store,
                   const char *workspace_id,
                   const char *deployment_url)
{
  CairnMetrics *self;

  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (store == NULL || (CAIRN_IS_STORE (store) && workspace_id != NULL && deployment_url != NULL),
                        NULL);

  self = g_object_new (CAIRN_TYPE_METRICS, NULL);
  self->clock = g_object_ref (clock);
  self->store = store != NULL ? g_object_ref (store) : NULL;
  self->workspace_id = g_strdup (workspace_id);
  self->deployment_url = g_strdup (deployment_url);

  return self;
}

/**
 * cairn_metrics_get_deployment_url:
 *
 * Returns: (nullable): the deployment whose requests these are
 */
const char *
cairn_metrics_get_deployment_url (CairnMetrics *self)
{
  g_return_val_if_fail (CAIRN_IS_METRICS (self), NULL);

  return self->deployment_url;
}

/* Monotonic µs of the metrics' clock: what a request's duration is measured with. */
gint64
cairn_metrics_get_time (CairnMetrics *self)
{
  return cairn_clock_get_time (self->clock);
}

/**
 * cairn_metrics_record:
 *
 * One request ended. Costs well under 2 µs and allocates nothing (a slow
 * request interns its function's name once).
 */
void
cairn_metrics_record (CairnMetrics             *self,
                      const CairnRequestRecord *record)
{
  g_return_if_fail (CAIRN_IS_METRICS (self));
  g_return_if_fail (record->kind < CAIRN_REQUEST_N_KINDS);

  minute_add_record (current_minute (self), self->live, record);
  schedule_changed (self);
}

/* A request is sent again after a retryable failure. */
void
cairn_metrics_record_retry (CairnMetrics *self)
{
  g_return_if_fail (CAIRN_IS_METRICS (self));

  current_minute (self)->retries++;
  schedule_changed (self);
}

/**
 * cairn_metrics_summarize:
 * @minutes: the window: the minute under way and the @minutes - 1 before it
 *   (1 to %CAIRN_METRICS_MAX_WINDOW)
 *
 * Returns: (transfer full): what the requests that ended in the window add up to
 */
CairnMetricsSummary *
cairn_metrics_summarize (CairnMetrics *self,
                         guint         minutes)
{
  return cairn_metrics_summarize_since (self, minutes, 0);
}

/**
 * cairn_metrics_summarize_since:
 * @since_ms: wall-clock ms: only the minutes that start at or after it
 *
 * The window of cairn_metrics_summarize(), without the minutes before
 * @since_ms: what happened since the deployment came back, say. The
 * summary's @minutes are the minutes left (0 when none).
 *
 * Returns: (transfer full): what the requests of those minutes add up to
 */
CairnMetricsSummary *
cairn_metrics_summarize_since (CairnMetrics *self,
                               guint         minutes,
                               gint64        since_ms)
{
  g_autofree Totals *totals = g_new0 (Totals, 1);
  gint64 now_minute;
  gint64 from;
  CairnMetricsSummary *summary;

  g_return_val_if_fail (CAIRN_IS_METRICS (self), NULL);
  g_return_val_if_fail (minutes >= 1 && minutes <= CAIRN_METRICS_MAX_WINDOW, NULL);

  now_minute = cairn_clock_get_real_time_ms (self->clock) / MINUTE_MS;
  from = MAX (now_minute - minutes + 1, (since_ms + MINUTE_MS - 1) / MINUTE_MS);

  for (guint i = 0; i < self->minutes->len; i++)
    {
      const Minute *minute = &g_array_index (self->minutes, Minute, i);

      if (minute->minute >= from && minute->minute <= now_minute)
        totals_add (totals, minute, self->open && i == self->minutes->len - 1 ? self->live : NULL);
    }

  summary = totals_to_summary (totals);
  summary->minutes = (guint) MAX (now_minute - from + 1, 0);
  summary->start_ms = from * MINUTE_MS;
  summary->end_ms = (now_minute + 1) * MINUTE_MS;

  return summary;
}

/**
 * cairn_metrics_get_series:
 * @minutes: how far back (1 to %CAIRN_METRICS_MAX_WINDOW)
 *
 * Returns: (transfer full) (element-type CairnMetricsPoint): the minutes of
 *   the window that had requests, oldest first
 */
GArray *
cairn_metrics_get_series (CairnMetrics *self,
                          guint         minutes)
{
  GArray *series = g_array_new (FALSE, TRUE, sizeof (CairnMetricsPoint));
  g_autofree guint32 *dense = g_new0 (guint32, N_BUCKETS);
  gint64 now_minute;

  g_return_val_if_fail (CAIRN_IS_METRICS (self), series);
  g_return_val_if_fail (minutes >= 1 && minutes <= CAIRN_METRICS_MAX_WINDOW, series);

  now_minute = cairn_clock_get_real_time_ms (self->clock) / MINUTE_MS;
  for (guint i = 0; i < self->minutes->len; i++)
    {
      const Minute *minute = &g_array_index (self->minutes, Minute, i);
      gboolean live = self->open && i == self->minutes->len - 1;
      CairnMetricsPoint point = { minute->minute * MINUTE_MS };
      guint64 sum_us = 0;
      guint32 max_us = 0;

      if (minute->minute <= now_minute - (gint64) minutes || minute->minute > now_minute)
        continue;

      memset (dense, 0, N_BUCKETS * sizeof (guint32));
      for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
        {
          point.count += minute->kinds[k].count;
          point.failed += minute->kinds[k].failed;
          sum_us += minute->kinds[k].sum_us;
          max_us = MAX (max_us, minute->kinds[k].max_us);
          if (live)
            for (guint b = 0; b < N_BUCKETS; b++)
              dense[b] += self->live[k][b];
          else
            expand (&minute->kinds[k], dense);
        }
      if (point.count == 0)
        continue;

      point.average_ms = (double) sum_us / point.count / 1000.0;
      point.p50_ms = percentile_ms (dense, point.count, 50, max_us);
      point.p95_ms = percentile_ms (dense, point.count, 95, max_us);
      g_array_append_val (series, point);
    }

  return series;
}

/**
 * cairn_metrics_load_async:
 *
 * Reads the minutes of the last 24 hours from the main store (adding to
 * what was recorded since), and removes those older than
 * %CAIRN_METRICS_HISTORY_DAYS. Without a store there is nothing to load.
 */
void
cairn_metrics_load_async (CairnMetrics        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CAIRN_IS_METRICS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_metrics_load_async);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  load_page (g_steal_pointer (&task), NULL);
}

gboolean
cairn_metrics_load_finish (CairnMetrics  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_metrics_summarize_records:
 * @records: (array length=n_records): requests, of one health check say
 *
 * Returns: (transfer full): what they add up to (@minutes 0, no times)
 */
CairnMetricsSummary *
cairn_metrics_summarize_records (const CairnRequestRecord *records,
                                 guint                     n_records)
{
  g_autofree Totals *totals = g_new0 (Totals, 1);
  g_autofree guint32 (*dense)[N_BUCKETS] = g_malloc0 (CAIRN_REQUEST_N_KINDS * sizeof *dense);
  Minute minute = { 0 };

  for (guint i = 0; i < n_records; i++)
    minute_add_record (&minute, dense, &records[i]);
  totals_add (totals, &minute, dense);

  return totals_to_summary (totals);
}

CairnMetricsSummary *
cairn_metrics_summary_copy (const CairnMetricsSummary *self)
{
  CairnMetricsSummary *copy = g_memdup2 (self, sizeof *self);

  copy->errors = g_array_copy (self->errors);
  copy->slow = g_array_copy (self->slow);

  return copy;
}

void
cairn_metrics_summary_free (CairnMetricsSummary *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->errors);
  g_array_unref (self->slow);
  g_free (self);
}

/* "query", "mutation", "action", "push": the JSON name of a kind */
const char *
cairn_request_kind_to_string (CairnRequestKind kind)
{
  static const char * const names[] = { "query", "mutation", "action", "push" };

  g_return_val_if_fail (kind < CAIRN_REQUEST_N_KINDS, NULL);

  return names[kind];
}

/**
 * cairn_metrics_error_nick:
 * @code: a #CairnConvexError code, or -1 for the others
 *
 * Returns: a stable name for it ("timeout"), for JSON
 */
const char *
cairn_metrics_error_nick (int code)
{
  return error_names[error_slot (code)].nick;
}

/**
 * cairn_metrics_error_label:
 * @code: a #CairnConvexError code, or -1 for the others
 *
 * Returns: what it means in a few words, translated ("No answer in time")
 */
const char *
cairn_metrics_error_label (int code)
{
  return _(error_names[error_slot (code)].label);
}
