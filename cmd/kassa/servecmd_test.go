package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// syncBuffer is a bytes.Buffer safe to write from the daemon while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeRefusesAnOldSchemaMigratesOnRequestAndStopsCleanly starts "kassa serve" on an
// empty database: refused without --migrate; with it the daemon comes up ready, serves
// its metrics, and exits 0 when its context (the signal) ends.
func TestServeRefusesAnOldSchemaMigratesOnRequestAndStopsCleanly(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	addr := freeAddr(t)
	code, _, errOut := kassa(t, url, "serve", "--addr", addr)
	if code == 0 || !strings.Contains(errOut, "kassa migrate up") || !strings.Contains(errOut, "--migrate") {
		t.Fatalf("serve on an empty database: exit %d, %q", code, errOut)
	}
	code, _, errOut = kassa(t, url, "serve", "--addr", addr, "--nightly-at", "25:00")
	if code == 0 || !strings.Contains(errOut, "HH:MM") {
		t.Fatalf("serve with a bad --nightly-at: exit %d, %q", code, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	env := map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url)}
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", addr, "--migrate"}, &out, &errs, func(k string) string { return env[k] })
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status, _ := get("http://" + addr + "/readyz"); status == http.StatusOK {
			break
		}
		select {
		case c := <-exit:
			t.Fatalf("serve exited %d: %s", c, errs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready: %s", errs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status, body := get("http://" + addr + "/healthz"); status != http.StatusOK || !strings.Contains(body, "alive") {
		t.Fatalf("healthz: %d %s", status, body)
	}
	if status, body := get("http://" + addr + "/api/v1/me"); status != http.StatusUnauthorized || !strings.Contains(body, "kassa token create") {
		t.Fatalf("me without a token: %d %s", status, body)
	}
	status, body := get("http://" + addr + "/metrics")
	if status != http.StatusOK || !strings.Contains(body, `kassa_api_requests_total{code="401",route="GET /api/v1/me"} 1`) {
		t.Fatalf("metrics: %d %.2000s", status, body)
	}
	cancel()
	select {
	case c := <-exit:
		if c != 0 {
			t.Fatalf("serve exited %d after the signal: %s", c, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := errs.String()
	if !strings.Contains(logs, `"message":"migrations applied"`) || !strings.Contains(logs, `"message":"kassa daemon stopped"`) {
		t.Fatalf("logs: %s", logs)
	}
}
