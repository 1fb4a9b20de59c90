package daemon_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestNightlyReportAsText: generating a nightly report answers in the format asked, as
// reading it does, so a front-end shows the daemon's printout and never prints reports
// itself; a format the daemon cannot print in is refused before anything is stored.
func TestNightlyReportAsText(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	dbtest.NewShop(t, db, "Gent", "Front")
	clk := &clock{}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	tok := token(t, db, "owner", daemon.RoleManager)
	owner := client.New(in.url, tok)
	today := clk.Now().In(mustLoc(t, "Europe/Brussels")).Format(time.DateOnly)

	before := dbtest.Counts(t, db)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url+"/api/v1/reports/nightly?format=pdf",
		strings.NewReader(`{"date": "`+today+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "format must be json, text or csv") {
		t.Fatalf("POST nightly?format=pdf: %d %s", resp.StatusCode, body)
	}
	dbtest.Unchanged(t, db, before)

	text, err := owner.GenerateNightlyText(ctx, client.NightlyRequest{Date: today})
	if err != nil || !strings.Contains(text, "NIGHTLY REPORT") || !strings.Contains(text, "Gent "+today) {
		t.Fatalf("generate nightly as text: %q, %v", text, err)
	}
	stored, err := owner.NightlyReportText(ctx, "Gent", today)
	if err != nil || stored != text {
		t.Fatalf("the stored nightly report as text is\n%s\n(%v), the generated one\n%s", stored, err, text)
	}
}
