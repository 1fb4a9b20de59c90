// Package archtest holds tests of how kassa's packages depend on each other. It has no code
// of its own: its tests read the module's source tree and fail when a package reaches one it
// must not, or rows it does not own.
//
// Rules checked:
//   - Production code never imports the Shopify simulator (sync/shopifysim and its
//     sub-packages). Only the simulator itself, the command (cmd/...) that serves it as
//     kassa shopify-sim and kassa demo, test files, and test-support packages (a package
//     whose name ends in "test", such as internal/dbtest) may.
//   - Each table has one owning package, and no other package names it in SQL (DESIGN.md).
//     A package's doc comment lists what it owns ("Owns tables: a, b and c."); the tables
//     are those of a freshly migrated database, and the SQL is every string literal of a
//     non-test file, read for the names after FROM, JOIN, INTO, UPDATE, TABLE,
//     REFERENCES, COPY and TRUNCATE. Another package's rows are reached through its
//     functions. The migrations, test files, test-support packages and the reliability
//     harness (internal/soak, which checks invariants across every table) are exempt.
//   - Dependencies point one way: cmd → front-ends (terminal/, web/) → daemon/client;
//     cmd → daemon → sync/* → register, sales, inventory → money. Domain packages never
//     import daemon, cmd, sync/* or a front-end; daemon/client imports no package of the
//     module; a front-end imports only daemon/client and helpers (internal/...) that reach
//     nothing of the domain (graph_test.go).
//   - A front-end's build (go list -deps) holds no lib/pq, sqlx, go-shopify or zstd.
package archtest
