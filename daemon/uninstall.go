package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// shopProbe asks Shopify about the shop with a connection's credentials.
type shopProbe interface {
	GetShop(ctx context.Context) (shopifyapi.ShopInfo, error)
	Close()
}

// shopProbeWithObserver opens a connection's Shopify client for an uninstall check; its
// rate-limit waits and retries count in the daemon's metrics like an import's.
func shopProbeWithObserver(open func(shopify.Connection) (*shopify.Client, error)) func(shopify.Connection) (shopProbe, error) {
	return func(c shopify.Connection) (shopProbe, error) {
		return open(c)
	}
}

// uninstallCheckTimeout bounds the question to Shopify, retries included.
const uninstallCheckTimeout = 30 * time.Second

// errNotConfirmed is why an app/uninstalled delivery was not acted on.
var errNotConfirmed = errors.New("not acted on: Shopify still accepts the connection's credentials")

// confirmUninstall decides whether the app/uninstalled deliveries ds of a connection are
// true. The topic header is not signed, so a delivery is believed only when its body is
// the connection's shop and Shopify itself confirms: it refuses the connection's
// credentials (401 or 403). It returns errNotConfirmed (wrapped) when the body is not the
// shop or Shopify still answers; any other error means Shopify could not be asked.
func (wk *webhookWorker) confirmUninstall(ctx context.Context, tx *sqlx.Tx, connID int64, ds []delivery) error {
	conn, err := wk.conns.ByID(ctx, tx, connID)
	if err != nil {
		return err
	}
	if conn.AccessToken == "" && conn.ClientSecret == "" {
		// Without its credentials Shopify would refuse any question: that proves nothing.
		return errors.New("the connection's credentials cannot be opened with this key file")
	}
	for _, d := range ds {
		if err := checkShopBody(d.Body, conn.Shop); err != nil {
			return fmt.Errorf("%w (%s)", errNotConfirmed, err)
		}
	}
	probe, err := wk.shopProbe(conn)
	if err != nil {
		return fmt.Errorf("open the Shopify client: %w", err)
	}
	defer probe.Close()
	pctx, cancel := context.WithTimeout(ctx, uninstallCheckTimeout)
	defer cancel()
	_, err = probe.GetShop(pctx)
	switch {
	case errors.Is(err, shopifyapi.ErrUnauthorized):
		return nil
	case err != nil:
		return fmt.Errorf("ask Shopify whether the app is still installed: %w", err)
	}
	return errNotConfirmed
}

// processUninstalls acts on a connection's app/uninstalled deliveries: it disconnects the
// shop when Shopify confirms, keeps the connection (and says so) when Shopify does not, and
// asks again later when Shopify could not be asked.
func (wk *webhookWorker) processUninstalls(ctx context.Context, tx *sqlx.Tx, connID int64, ds []delivery, log zerolog.Logger) error {
	err := wk.confirmUninstall(ctx, tx, connID, ds)
	switch {
	case err == nil:
		if err := (shopify.ConnectionStore{}).Disconnect(ctx, tx, connID); err != nil {
			return err
		}
		log.Warn().Msg("the app was uninstalled from the shop: connection disabled")
		return wk.finish(ctx, tx, ds, "")
	case errors.Is(err, errNotConfirmed):
		wk.metrics.webhookRejected.WithLabelValues(rejectUninstall).Add(float64(len(ds)))
		log.Warn().Str("reason", err.Error()).Int("deliveries", len(ds)).
			Msg("an app/uninstalled webhook was not confirmed by Shopify: the connection stays")
		return wk.finish(ctx, tx, ds, oneLine(err.Error()))
	case ctx.Err() != nil:
		return fmt.Errorf("confirm an uninstall: %w", ctx.Err())
	default:
		log.Warn().Err(err).Msg("could not ask Shopify to confirm an uninstall; will retry")
		return wk.retry(ctx, tx, ds, err)
	}
}
