package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/daemon/client"
)

type shopifyData struct {
	// Connections and Health are a manager's (a cashier's token may not list them).
	Connections []client.Connection
	Health      []client.ShopifyHealth
	Warnings    []string
	Runs        []client.ImportRun
	Running     *client.ImportRun
	// Expiring are the failed orders that leave Shopify's 60-day window within 7 days.
	Expiring []client.ExpiringOrder
	Now      time.Time
	// Zone is the time zone times are shown in: the outlet's, when there is one outlet.
	Zone *time.Location
}

// zone is the time zone of the shop's only outlet, else UTC (times then show their zone).
func zone(r *http.Request, api *client.Client) *time.Location {
	outlets, err := api.Outlets(r.Context())
	if err == nil && len(outlets) == 1 {
		if loc, err := time.LoadLocation(outlets[0].Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func (s *server) shopifyPage(w http.ResponseWriter, r *http.Request, sess *session) {
	api := s.client(sess.Token)
	d := shopifyData{Now: s.cfg.Clock(), Zone: zone(r, api)}
	var err error
	if d.Runs, err = api.ImportRuns(r.Context(), "", 10); err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range d.Runs {
		if d.Runs[i].Status == "running" {
			d.Running = &d.Runs[i]
			break
		}
	}
	if d.Expiring, err = api.ExpiringOrders(r.Context(), ""); err != nil {
		s.fail(w, r, err)
		return
	}
	if sess.Manager() {
		if d.Connections, err = api.Connections(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
		if ready, err := api.Ready(r.Context()); err == nil {
			d.Health, d.Warnings = ready.Shopify, ready.Warnings
		} else if client.StatusOf(err) != 0 {
			d.Warnings = []string{err.Error()}
		} else {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "shopify", page{Title: "shopify.title", Nav: "shopify", Data: d})
}

func (s *server) startImport(w http.ResponseWriter, r *http.Request, sess *session) {
	run, err := s.client(sess.Token).StartImport(r.Context(), client.ImportRequest{Shop: r.PostFormValue("shop"), Mode: r.PostFormValue("mode")})
	if err != nil {
		st := client.StatusOf(err)
		if st == 0 || st >= 500 || st == http.StatusUnauthorized || st == http.StatusForbidden {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, st, "refused", page{Title: "refused.title", Nav: "shopify", Problem: err.Error(), Data: st})
		return
	}
	seeOther(w, r, "/shopify/runs/"+strconv.FormatInt(run.RunID, 10), "")
}

type runData struct {
	Zone     *time.Location
	Run      client.ImportRun
	Failures []client.Outcome
	TooOld   []client.Outcome
}

func runParam(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	return id, err == nil && id > 0
}

func (s *server) runPage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := runParam(r)
	if !ok {
		s.render(w, r, http.StatusNotFound, "refused", page{Title: "refused.title", ProblemKey: "refused.notfound", Data: http.StatusNotFound})
		return
	}
	api := s.client(sess.Token)
	run, err := api.ImportRun(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := runData{Run: run, Zone: zone(r, api)}
	if run.Status != "running" {
		if d.Failures, err = api.ImportOutcomes(r.Context(), id, "failed"); err != nil {
			s.fail(w, r, err)
			return
		}
		if d.TooOld, err = api.ImportOutcomes(r.Context(), id, "too_old"); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "run", page{Title: "run.title", Nav: "shopify", Data: d})
}

// runEvents pushes a run's progress as Server-Sent Events: a "progress" event with the
// progress block each time it changes, and a "done" event with the last one when the run
// has ended, after which the stream closes.
func (s *server) runEvents(w http.ResponseWriter, r *http.Request, sess *session) {
	id, ok := runParam(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	api := s.client(sess.Token)
	run, err := api.ImportRun(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout of ordinary answers.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(s.cfg.ProgressEvery)
	defer tick.Stop()
	last := ""
	for {
		event := "progress"
		if run.Status != "running" {
			event = "done"
		}
		var buf bytes.Buffer
		if err := s.fragment(&buf, r, "run", "progress", page{Data: runData{Run: run}}); err != nil {
			s.cfg.Logger.Error().Err(err).Msg("render import progress")
			return
		}
		if html := buf.String(); html != last || event == "done" {
			last = html
			var msg strings.Builder
			msg.WriteString("event: " + event + "\n")
			for _, line := range strings.Split(html, "\n") {
				msg.WriteString("data: " + line + "\n")
			}
			msg.WriteString("\n")
			if _, err := w.Write([]byte(msg.String())); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
		if event == "done" {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if run, err = api.ImportRun(r.Context(), id); err != nil {
			return
		}
	}
}
