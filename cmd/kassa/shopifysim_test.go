package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestShopifySimServesAFileAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	orders := filepath.Join(t.TempDir(), "orders.json")
	body := `{"orders":[{"id":1001,"name":"#1001","created_at":"` + time.Now().Add(-time.Hour).Format(time.RFC3339) +
		`","total_price":"10.00","line_items":[]}]}`
	if err := os.WriteFile(orders, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"shopify-sim", "--addr", "127.0.0.1:0", "--shop", "cli.myshopify.com",
			"--token", "cli-token", "--secret", "cli-secret", "--plan", "off", "--orders-file", orders},
			&out, &errOut, func(string) string { return "" })
	}()
	var url string
	for deadline := time.Now().Add(time.Minute); url == "" && time.Now().Before(deadline); {
		for _, line := range strings.Split(out.String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "url:"); ok {
				url = strings.TrimSpace(rest)
			}
		}
		select {
		case code := <-done:
			t.Fatalf("shopify-sim exited %d early: %s", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if url == "" {
		t.Fatalf("shopify-sim printed no URL: %q", out.String())
	}
	if !strings.Contains(out.String(), "shop:   cli.myshopify.com") || strings.Contains(out.String(), "cli-secret") {
		t.Errorf("start-up lines %q: want the shop, never the secret", out.String())
	}
	req, _ := http.NewRequest(http.MethodGet, url+"/admin/api/2024-10/orders/count.json?status=any", nil)
	req.Header.Set("X-Shopify-Access-Token", "cli-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var count struct{ Count int }
	err = json.NewDecoder(resp.Body).Decode(&count)
	resp.Body.Close()
	if err != nil || count.Count != 1 {
		t.Fatalf("count of the file's orders: %+v, %v", count, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("shopify-sim exited %d on stop: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "orders/count.json") {
		t.Errorf("the request was not logged: %q", errOut.String())
	}
}

func TestShopifySimRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--plan", "gold"}, "--plan"},
		{[]string{"--faults", "5xx=lots"}, "--faults"},
		{[]string{"--orders-file", "/nonexistent/orders.json"}, "--orders-file"},
		{[]string{"--generate", "-1"}, "--generate"},
	} {
		code, _, errOut := kassa(t, "", append([]string{"shopify-sim", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("shopify-sim %v: exit %d, stderr %q; want one line naming %s", c.args, code, errOut, c.want)
		}
	}
}
