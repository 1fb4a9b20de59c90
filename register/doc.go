// Package register owns the registers of an outlet and their sessions: opening with a
// float, closing with the counted amounts, applying payments inside an open session, and
// the closing reports.
//
// A register has at most one open session (the database holds that rule with a partial
// unique index), and a closed session never changes (a trigger refuses any change to it,
// to its counts, and any sale or payment added to it).
package register
