import { defineConfig } from "vitest/config";

// Projects:
//   unit         pure functions, in-memory doubles, the emulator on loopback (seconds)
//   stack        the Pulumi program under pulumi.runtime.setMocks
//   engine       the stack through the real Pulumi CLI (scripts/pulumi-tools.sh builds it)
//   integration  a real libvirtd with QEMU/TCG VMs and the built bundles (minutes)
//   operator     what operators see, through the real tools: Chromium on the status page,
//                Prometheus scraping a lab controller, promtool on the alert rules
// Forks, not threads: Pulumi's closure serializer and child-process-heavy tests need them.
export default defineConfig({
  test: {
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    // Every emulator a test file starts through test/support is checked against GitHub's OpenAPI description.
    setupFiles: ["test/support/openapi-check-setup.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 } },
      // Coordination on a real PostgreSQL 15 (a private server per file, runtime/lab/postgres-server.ts).
      { extends: true, test: { name: "postgres", include: ["test/postgres/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      { extends: true, test: { name: "stack", include: ["test/stack/**/*.test.ts"], testTimeout: 60_000 } },
      // Each test drives the CLI several times (stack init, config set, preview): tens of seconds.
      { extends: true, test: { name: "engine", include: ["test/engine/**/*.test.ts"], testTimeout: 300_000 } },
      {
        extends: true,
        // One file at a time: each starts a lab controller and a browser or a Prometheus.
        test: { name: "operator", include: ["test/operator/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 60_000, poolOptions: { forks: { singleFork: true } } },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          // VMs share two cores: one file at a time keeps timings meaningful.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
