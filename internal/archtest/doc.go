// Package archtest holds tests of how kassa's packages depend on each other. It has no code
// of its own: its tests read the module's source tree and fail when a package reaches one it
// must not.
//
// Rules checked:
//   - Production code never imports the Shopify simulator (sync/shopifysim and its
//     sub-packages). Only the simulator itself, the command (cmd/...) that serves it as
//     kassa shopify-sim and kassa demo, test files, and test-support packages (a package
//     whose name ends in "test", such as internal/dbtest) may.
//   - Dependencies point one way: cmd → front-ends (terminal/, web/) → daemon/client;
//     cmd → daemon → sync/* → register, sales, inventory → money. Domain packages never
//     import daemon, cmd, sync/* or a front-end; daemon/client imports no package of the
//     module; a front-end imports only daemon/client and helpers (internal/...) that reach
//     nothing of the domain (graph_test.go).
//   - A front-end's build (go list -deps) holds no lib/pq, sqlx, go-shopify or zstd.
package archtest
