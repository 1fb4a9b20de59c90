// Package perf measures kassa's performance claims and writes them down: backfill
// throughput against the COPY bound, backfill under Shopify's rate limit against its
// theoretical minimum, webhook ingest latency, report and lookup times on a large history,
// and the daemon's memory and idle CPU. The measurements are in this package's tests and
// run with KASSA_PERF=1 (make bench); this file holds the pieces they share with the
// reliability suite: process figures from /proc, percentiles, and the report table.
package perf

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one figure of a report: what was measured, its bound or target, their ratio and
// whether the target is met.
type Row struct {
	Figure   string
	Measured string
	Bound    string
	Ratio    string
	Target   string
	// Verdict is "ok", "MISSED" or "" when the figure has no target.
	Verdict string
}

// Verdict renders whether a target is met.
func Verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// Report is a table of figures with the machine and command that produced them.
type Report struct {
	Title   string
	Command string
	Machine Machine
	// Started and Took say when the run began and how long it took.
	Started time.Time
	Took    time.Duration
	Rows    []Row
	// Notes are sentences printed under the table (what a figure means, what was found).
	Notes []string
}

// Machine describes the computer a report was measured on.
type Machine struct {
	CPUs     int
	CPUModel string
	// Load is /proc/loadavg's 1, 5 and 15 minute load at the start.
	Load      string
	GoVersion string
}

// DescribeMachine reads the machine's CPU count, model and load average.
func DescribeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), CPUModel: "unknown", Load: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}

// Text renders the table for a terminal.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d CPUs, %s, load %s)\n", r.Title, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Load)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tMEASURED\tBOUND\tRATIO\tTARGET\tVERDICT")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Figure, row.Measured, dash(row.Bound), dash(row.Ratio), dash(row.Target), dash(row.Verdict))
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

// Markdown renders the report as the body of a docs/ file. intro is the text above the
// table (what the figures are and how they are measured).
func (r Report) Markdown(intro string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	b.WriteString(strings.TrimSpace(intro))
	b.WriteString("\n\n## Latest run\n\n")
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Command)
	fmt.Fprintf(&b, "- Run: %s, took %s\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	fmt.Fprintf(&b, "- Machine: %d CPUs, %s; load average at start %s; %s\n\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Load, r.Machine.GoVersion)
	b.WriteString("| Figure | Measured | Bound | Ratio | Target | Verdict |\n|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(row.Figure), cell(row.Measured), cell(dash(row.Bound)),
			cell(dash(row.Ratio)), cell(dash(row.Target)), cell(dash(row.Verdict)))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// procStatus reads one kB field of /proc/PID/status (pid 0 is this process).
func procStatus(pid int, field string) (float64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s: %w", field, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("%s has no %s", path, field)
}

// PeakRSSMB is a process's peak resident set size (VmHWM) in MiB; pid 0 is this process.
func PeakRSSMB(pid int) (float64, error) {
	kb, err := procStatus(pid, "VmHWM")
	return kb / 1024, err
}

// CPUTime is the user plus system CPU time a process has used so far (utime + stime of
// /proc/PID/stat).
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read the process's stat: %w", err)
	}
	// The command name (field 2) may hold spaces; the fields after its ')' are fixed.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat times", pid)
	}
	// Linux reports them in clock ticks, USER_HZ = 100 on every architecture Go runs on.
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// BusyCPU is the CPU time the machine's CPUs have spent on anything but idling (the first
// line of /proc/stat, less idle and iowait): every process's, PostgreSQL's included.
func BusyCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil // USER_HZ = 100
}

// Percentile returns the p-th percentile (0–100) of ds by the nearest-rank method; 0 for
// no values. ds is sorted in place.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := int(p/100*float64(len(ds))+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

// Ms renders a duration in milliseconds with one decimal.
func Ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}
