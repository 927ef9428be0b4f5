import { defineConfig } from "vitest/config";

// One vitest project per runtime: plain Node for the compiler and CLI, and
// (added per worker) workerd projects for code that runs inside Workers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts"],
        },
      },
    ],
  },
});
