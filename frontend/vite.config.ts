// Vite builds the shell and GraphiQL into dist/ with a manifest that Django reads
// (django-vite) to link the hashed files through its staticfiles (STATIC_URL/frontend/).
// Vitest runs the component tests (jsdom) and, with E2E_BASE_URL set, the browser tests.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const e2e = process.env.VITEST_E2E === "1";

export default defineConfig({
  // relative: the files find each other under whatever STATIC_URL the server uses
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000, // GraphiQL alone is 770 kB
    manifest: "manifest.json",
    rollupOptions: {
      input: { shell: "src/main.tsx", graphiql: "src/graphiql/main.tsx" },
    },
  },
  test: e2e
    ? {
        include: ["e2e/**/*.e2e.ts"],
        environment: "node",
        testTimeout: 60_000,
        hookTimeout: 120_000,
        fileParallelism: false,
      }
    : {
        include: ["modules/**/*.test.tsx", "src/**/*.test.{ts,tsx}"],
        environment: "jsdom",
        globals: true,
        setupFiles: ["src/shell/test-setup.ts"],
      },
});
