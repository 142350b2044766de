// What Cairn asks first: is this a deployment with the Cairn functions, and
// which schema version do they speak?
import { internalQuery } from "./_generated/server";
import { CONTENT_TABLE_NAMES, SCHEMA_VERSION } from "./tables";

export const ping = internalQuery({
  args: {},
  handler: async () => ({
    app: "cairn",
    schemaVersion: SCHEMA_VERSION,
    tables: CONTENT_TABLE_NAMES,
  }),
});
