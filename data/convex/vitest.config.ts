import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The functions run in the edge runtime, as on a Convex deployment.
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["tests/**/*.test.ts"],
  },
});
