package register

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sales"
)

// SaleVoidRequest voids a counter sale rung up by mistake.
type SaleVoidRequest struct {
	// Receipt is the sale's receipt number (FRONT-000123); SaleID, when not zero, the sale
	// meant (both given: they must agree).
	Receipt string
	SaleID  int64
	Reason  string
	By      string
	// TokenID is the API token the request came with (nil: the command line); Manager says
	// that token has the manager role.
	TokenID *int64
	Manager bool
}

// VoidSale takes back a counter sale rung up by mistake: a reversal, never a delete. The
// sale stays on record, marked voided with the reason, who and when; its payments are
// voided with it (so the drawer no longer expects them); the stock its lines moved moves
// back; reports count it in no total and list it with the voids.
//
// Who may void: on the command line (the owner), anyone; through the API, a manager token
// any sale, a cashier token only a sale rung up with that same token. When: only while the
// session that recorded the sale is still open; after the close it is in a closing report
// and is taken back with a return instead. Refused (*RefusedError, nothing written): no such
// sale, a Shopify order, a closed session, a sale with a return, one voided already, another
// cashier's sale, no reason.
func (s Service) VoidSale(ctx context.Context, db pg.Queryer, req SaleVoidRequest) (sales.Sale, error) {
	var out sales.Sale
	err := pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.voidSale(ctx, tx, req)
		return err
	})
	if err != nil {
		return sales.Sale{}, err
	}
	return out, nil
}

func (s Service) voidSale(ctx context.Context, tx *sqlx.Tx, req SaleVoidRequest) (sales.Sale, error) {
	reason, err := voidReason(req.Reason)
	if err != nil {
		var r *RefusedError
		if errors.As(err, &r) && errors.Is(err, ErrVoidReason) {
			r.Message = strings.ReplaceAll(r.Message, "the payment is voided", "the sale is voided")
		}
		return sales.Sale{}, err
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return sales.Sale{}, errors.New("say who voids the sale")
	}
	st := sales.Store{}
	receipt := strings.TrimSpace(req.Receipt)
	var sale sales.Sale
	if req.SaleID != 0 {
		sale, err = st.SaleByID(ctx, tx, req.SaleID)
	} else {
		sale, err = st.SaleByReceipt(ctx, tx, 0, receipt)
	}
	switch {
	case errors.Is(err, sales.ErrNotFound):
		return sales.Sale{}, refuse(ErrSaleNotFound, "there is no sale %s: check the receipt number", receiptOr(receipt, req.SaleID))
	case errors.Is(err, sales.ErrAmbiguousReceipt):
		return sales.Sale{}, refuse(ErrSaleNotFound, "several outlets have a sale %s: void it from its register's terminal", receipt)
	case err != nil:
		return sales.Sale{}, err
	}
	if receipt != "" && req.SaleID != 0 && receipt != sale.ReceiptNumber {
		return sales.Sale{}, refuse(ErrSaleNotFound, "sale %d is %s, not %s: nothing was voided", sale.ID, sale.ReceiptNumber, receipt)
	}
	if err := s.store().NameSale(ctx, tx, &sale); err != nil {
		return sales.Sale{}, err
	}
	if sale.Source != sales.SourcePOS || sale.SessionID == nil {
		return sales.Sale{}, refuse(ErrSaleVoidSession, "%s is not a sale rung up at a register: it cannot be voided here (a Shopify order is refunded in Shopify, or taken back with a return)", sale.ReceiptNumber)
	}
	if sale.Voided {
		return sales.Sale{}, refuse(ErrSaleAlreadyVoided, "%s is already voided: a sale is voided once", sale.ReceiptNumber)
	}
	if req.TokenID != nil && !req.Manager && (sale.TokenID == nil || *sale.TokenID != *req.TokenID) {
		return sales.Sale{}, refuse(ErrNotOwnSale, "%s was rung up by %s, not with this token: a cashier voids only their own sales; ask a manager", sale.ReceiptNumber, sale.SoldBy)
	}
	// The session's row, as a payment and a close lock it: the void cannot land in a
	// session that is closing.
	var sess Session
	err = sqlx.GetContext(ctx, tx, &sess, `SELECT `+sessionColumns+` FROM register_sessions WHERE id = $1 FOR UPDATE`, *sale.SessionID)
	if err != nil {
		return sales.Sale{}, fmt.Errorf("lock session %d: %w", *sale.SessionID, err)
	}
	if !sess.Open() {
		z := ""
		if sess.ZNumber != nil {
			z = fmt.Sprintf(" (Z %d)", *sess.ZNumber)
		}
		return sales.Sale{}, refuse(ErrSessionClosed, "%s was rung up in session %d of register %q, which is closed%s: a closed session cannot change; take it back with a return",
			sale.ReceiptNumber, sess.ID, sale.RegisterName, z)
	}
	at := s.now().Round(time.Microsecond)
	if at.Before(sess.OpenedAt) {
		at = sess.OpenedAt
	}
	_, _, err = st.VoidSale(ctx, tx, sales.SaleVoid{
		SaleID: sale.ID, SessionID: sess.ID, VoidedAt: at, Reason: reason, RecordedBy: by, TokenID: req.TokenID,
	})
	switch {
	case errors.Is(err, sales.ErrSaleHasReturns):
		return sales.Sale{}, refuse(ErrSaleHasReturns, "%s has a return: a sale with a return cannot be voided", sale.ReceiptNumber)
	case errors.Is(err, sales.ErrSaleAlreadyVoided):
		return sales.Sale{}, refuse(ErrSaleAlreadyVoided, "%s is already voided: a sale is voided once", sale.ReceiptNumber)
	case errors.Is(err, sales.ErrSaleVoidSession), errors.Is(err, sales.ErrSessionClosed):
		return sales.Sale{}, refuse(ErrSessionClosed, "%s: %s", sale.ReceiptNumber, err.Error())
	case err != nil:
		return sales.Sale{}, err
	}
	lineIDs := make([]int64, len(sale.Lines))
	for i, l := range sale.Lines {
		lineIDs[i] = l.ID
	}
	sold, err := inventory.Store{}.SaleLineMovements(ctx, tx, lineIDs)
	if err != nil {
		return sales.Sale{}, err
	}
	back := make([]inventory.Movement, len(sold))
	for i, m := range sold {
		back[i] = inventory.Movement{
			ProductID: m.ProductID, OutletID: m.OutletID, Delta: -m.Delta, Reason: inventory.ReasonVoid,
			SaleLineID: m.SaleLineID, Note: sale.ReceiptNumber,
		}
	}
	if _, err := (inventory.Store{}).ApplyMovements(ctx, tx, back); err != nil {
		return sales.Sale{}, err
	}
	after, err := st.SaleByID(ctx, tx, sale.ID)
	if err != nil {
		return sales.Sale{}, err
	}
	if err := s.store().NameSale(ctx, tx, &after); err != nil {
		return sales.Sale{}, err
	}
	return after, nil
}
