package shopify

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Dev Dashboard apps subscribe each shop to webhooks through the Admin API
// (webhookSubscriptionCreate): no one subscribes by hand any more. kassa does it at connect
// and at every daemon start, and the daemon checks again periodically, because Shopify
// deletes a subscription made through the API after eight consecutive failed deliveries.
// A check lists the shop's subscriptions, creates those kassa's topics lack at the public
// address, and removes kassa's own subscriptions that point elsewhere (an old public
// address): those kassa recorded, and any whose path is kassa's /webhooks/shopify.
// Subscriptions of other apps' addresses are left alone.

// Webhook subscription states (WebhookState.State).
const (
	// WebhookSubscribed: Shopify delivers the topic to the public address.
	WebhookSubscribed = "subscribed"
	// WebhookCreated: the check subscribed the topic.
	WebhookCreated = "created"
	// WebhookMissing: the topic is not subscribed (the check failed, or only listed).
	WebhookMissing = "missing"
	// WebhookRemoved: the check removed a subscription of kassa's to an old address.
	WebhookRemoved = "removed"
	// WebhookOther: a subscription of the topic to an address that is not kassa's.
	WebhookOther = "other_address"
)

// WebhookState is one topic's subscription as a check found and left it.
type WebhookState struct {
	Topic          string `json:"topic"`
	State          string `json:"state"`
	Address        string `json:"address"`
	SubscriptionID string `json:"subscription_id,omitempty"`
	APIVersion     string `json:"api_version,omitempty"`
}

// ErrWebhookCheckRunning: another process is checking the connection's subscriptions.
var ErrWebhookCheckRunning = errors.New("another check of the webhook subscriptions is running")

// WebhookAddress is where Shopify delivers a connection's webhooks for a public URL.
func WebhookAddress(publicURL string) string { return publicURL + WebhookPath }

// kassaAddress reports whether an address is kassa's: its path is /webhooks/shopify.
func kassaAddress(addr string) bool {
	u, err := url.Parse(addr)
	return err == nil && u.Path == WebhookPath
}

// WebhookStates compares a shop's subscriptions with the topics kassa handles at
// publicURL, without changing anything.
func WebhookStates(subs []shopifyapi.WebhookSubscription, publicURL string, topics []string) []WebhookState {
	addr := WebhookAddress(publicURL)
	var out []WebhookState
	for _, topic := range topics {
		st := WebhookState{Topic: topic, State: WebhookMissing, Address: addr}
		for _, s := range subs {
			if s.Topic == topic && s.URI == addr {
				st = WebhookState{Topic: topic, State: WebhookSubscribed, Address: s.URI, SubscriptionID: s.ID, APIVersion: s.APIVersion}
			}
		}
		out = append(out, st)
	}
	for _, s := range subs {
		if !slices.Contains(topics, s.Topic) || s.URI != addr {
			out = append(out, WebhookState{Topic: s.Topic, State: WebhookOther, Address: s.URI, SubscriptionID: s.ID, APIVersion: s.APIVersion})
		}
	}
	return out
}

// SyncWebhooks brings a connection's webhook subscriptions in line with topics at
// publicURL (see the comment at the top of this file) and records them, with publicURL,
// on the connection. It returns the state of each topic and of each subscription it
// removed. Only one process checks a connection at a time: another gets
// ErrWebhookCheckRunning. A failed creation leaves its topic missing and is returned, after
// the others were tried.
func (st ConnectionStore) SyncWebhooks(ctx context.Context, db *sqlx.DB, cl *shopifyapi.Client, c Connection, publicURL string, topics []string, now time.Time) ([]WebhookState, error) {
	if publicURL == "" {
		return nil, errors.New("webhooks need the public URL Shopify reaches kassa at")
	}
	unlock, err := tryLock(ctx, db, webhookLockKey(c.ID))
	if err != nil {
		return nil, err
	}
	defer unlock()
	addr := WebhookAddress(publicURL)
	subs, err := cl.WebhookSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	var recorded []string
	err = sqlx.SelectContext(ctx, db, &recorded, `SELECT subscription_id FROM shopify_webhook_subscriptions WHERE connection_id = $1`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("read the webhook subscriptions of %s: %w", c.Shop, err)
	}
	var out []WebhookState
	var errs []error
	kept := map[string]shopifyapi.WebhookSubscription{}
	for _, s := range subs {
		wanted := slices.Contains(topics, s.Topic)
		switch {
		case wanted && s.URI == addr && kept[s.Topic].ID == "":
			kept[s.Topic] = s
		case slices.Contains(recorded, s.ID) || kassaAddress(s.URI):
			if err := cl.DeleteWebhookSubscription(ctx, s.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, WebhookState{Topic: s.Topic, State: WebhookRemoved, Address: s.URI, SubscriptionID: s.ID, APIVersion: s.APIVersion})
		}
	}
	for _, topic := range topics {
		if s, ok := kept[topic]; ok {
			out = append(out, WebhookState{Topic: topic, State: WebhookSubscribed, Address: s.URI, SubscriptionID: s.ID, APIVersion: s.APIVersion})
			continue
		}
		s, err := cl.CreateWebhookSubscription(ctx, topic, addr)
		if err != nil {
			errs = append(errs, err)
			out = append(out, WebhookState{Topic: topic, State: WebhookMissing, Address: addr})
			continue
		}
		kept[topic] = s
		out = append(out, WebhookState{Topic: topic, State: WebhookCreated, Address: s.URI, SubscriptionID: s.ID, APIVersion: s.APIVersion})
	}
	err = pg.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM shopify_webhook_subscriptions WHERE connection_id = $1`, c.ID); err != nil {
			return err
		}
		for _, topic := range topics {
			s, ok := kept[topic]
			if !ok {
				continue
			}
			created := s.CreatedAt
			if created.IsZero() {
				created = now
			}
			_, err := tx.ExecContext(ctx, `
				INSERT INTO shopify_webhook_subscriptions (connection_id, topic, subscription_id, address, api_version, created_at, checked_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, topic, s.ID, s.URI, s.APIVersion, created, now)
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE shopify_connections SET public_url = $2, webhooks_checked_at = $3 WHERE id = $1`, c.ID, publicURL, now)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("record the webhook subscriptions of %s: %w", c.Shop, err)
	}
	return out, errors.Join(errs...)
}

// RecordedWebhooks lists the webhook subscriptions the last check recorded for a
// connection, by topic.
func (ConnectionStore) RecordedWebhooks(ctx context.Context, q sqlx.QueryerContext, connectionID int64) ([]WebhookState, error) {
	var rows []struct {
		Topic      string `db:"topic"`
		ID         string `db:"subscription_id"`
		Address    string `db:"address"`
		APIVersion string `db:"api_version"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT topic, subscription_id, address, api_version FROM shopify_webhook_subscriptions
		WHERE connection_id = $1 ORDER BY topic`, connectionID)
	if err != nil {
		return nil, fmt.Errorf("read the webhook subscriptions: %w", err)
	}
	out := make([]WebhookState, 0, len(rows))
	for _, r := range rows {
		out = append(out, WebhookState{Topic: r.Topic, State: WebhookSubscribed, Address: r.Address, SubscriptionID: r.ID, APIVersion: r.APIVersion})
	}
	return out, nil
}

func webhookLockKey(connectionID int64) int64 { return int64(lockClassWebhooks)<<32 | connectionID }

// tryLock takes a session advisory lock on a database connection of its own, or returns
// ErrWebhookCheckRunning when another session holds it.
func tryLock(ctx context.Context, db *sqlx.DB, key int64) (func(), error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock the webhook check: %w", err)
	}
	var got bool
	if err := conn.GetContext(ctx, &got, `SELECT pg_try_advisory_lock($1)`, key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock the webhook check: %w", err)
	}
	if !got {
		conn.Close()
		return nil, ErrWebhookCheckRunning
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
