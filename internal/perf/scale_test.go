package perf

import (
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/proctest"
)

// TestReportLookups measures the reports and look-ups alone (KASSA_PERF=1) on
// KASSA_PERF_SALES sales (default 1,000,000), with the machine's load before and after.
func TestReportLookups(t *testing.T) {
	if !perfEnabled() {
		t.Skip("set KASSA_PERF=1 to measure")
	}
	before := DescribeMachine().Load
	busy0, _ := BusyCPU()
	start := time.Now()
	rows := measureReports(t, envInt("KASSA_PERF_SALES", 1000000))
	busy1, _ := BusyCPU()
	for _, r := range rows {
		t.Logf("%s | %s | bound %s | ratio %s | %s | %s", r.Figure, r.Measured, r.Bound, r.Ratio, r.Target, r.Verdict)
	}
	t.Logf("machine: load %s → %s, busy %.2f of %d CPUs over %s", before, DescribeMachine().Load,
		(busy1-busy0).Seconds()/time.Since(start).Seconds(), DescribeMachine().CPUs, time.Since(start).Round(time.Second))
}

// TestBackfillAlone measures the backfill figure alone (KASSA_PERF=1): KASSA_PERF_ORDERS
// (default 20000), KASSA_PERF_RUNS runs each, against the COPY bound, with the machine's load.
func TestBackfillAlone(t *testing.T) {
	if !perfEnabled() {
		t.Skip("set KASSA_PERF=1 to measure")
	}
	bin := proctest.Build(t)
	for _, n := range envInts("KASSA_PERF_ORDERS", []int{20000}) {
		before := DescribeMachine().Load
		rows, serve := measureBackfill(t, bin, n)
		serve.Stop()
		for _, r := range rows {
			t.Logf("%s | %s | bound %s | ratio %s | %s | %s", r.Figure, r.Measured, r.Bound, r.Ratio, r.Target, r.Verdict)
		}
		t.Logf("machine: load %s → %s", before, DescribeMachine().Load)
	}
}
