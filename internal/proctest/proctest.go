// Package proctest runs the kassa binary as a subprocess, for the suites that measure it
// (internal/perf) or kill it (internal/soak): build it once, start it with its output in a
// log file, wait until it answers, and stop or kill it.
package proctest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// Build builds the kassa binary into the test's temporary directory and returns its path.
func Build(tb testing.TB) string {
	tb.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("find the module: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "kassa")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kassa")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build kassa: %v\n%s", err, out)
	}
	return bin
}

// FreeAddr returns a loopback address no one listens on right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Process is a running (or ended) kassa subprocess.
type Process struct {
	cmd *exec.Cmd
	log string
	// URL is where the process answers HTTP, when it does (set by the caller).
	URL string
	// exited is closed once the process has ended; err is then how.
	exited chan struct{}
	err    error
}

// Start runs bin with args, with env added to this process's environment and its output
// in a log file. The process reads the tests' secret key (dbtest.SecretKeyFile), so it
// opens the credentials the test stored, unless env names another key file. The test's
// cleanup stops it.
func Start(tb testing.TB, bin string, env []string, args ...string) *Process {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "KASSA_SECRET_KEY_FILE="+dbtest.SecretKeyFile(tb)), env...)
	logf, err := os.CreateTemp(tb.TempDir(), "kassa-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Process{cmd: cmd, log: logf.Name(), exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.exited) }()
	tb.Cleanup(p.Stop)
	return p
}

// WaitReady waits until GET URL+path answers 200, failing the test when the process ends
// first or the timeout passes.
func (p *Process) WaitReady(tb testing.TB, path string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(p.URL + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			tb.Fatalf("%v exited before it was ready: %v\n%s", p.cmd.Args, p.err, p.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%v was not ready after %s", p.cmd.Args, timeout)
		}
	}
}

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process ended; read it after Exited is closed.
func (p *Process) Err() error { return p.err }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Log returns what the process wrote so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// Stop ends the process with SIGTERM (SIGKILL after 10 s) and waits for it.
func (p *Process) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// Kill ends the process with SIGKILL, unless it has ended, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}
