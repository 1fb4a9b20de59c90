package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

const saleSelect = `
	SELECT s.id, s.outlet_id, s.register_id, s.session_id, s.receipt_number, s.source, s.sold_at, s.currency,
		s.taxes_included, s.subtotal, s.discount_total, s.tax_total, s.total, s.balance, s.status,
		s.customer_id, s.note, s.created_at, s.receipt_seq, s.change_given, s.voided, s.sold_by, s.token_id,
		(SELECT count(*) FROM sale_returns r WHERE r.sale_id = s.id) AS return_count,
		(SELECT coalesce(sum(r.owed), 0) FROM sale_returns r WHERE r.sale_id = s.id) AS owed,
		coalesce(c.email, '') AS customer_email,
		coalesce(btrim(c.first_name || ' ' || c.last_name), '') AS customer_name
	FROM sales s
	LEFT JOIN customers c ON c.id = s.customer_id`

// SaleByReceipt finds a sale by its receipt number, with its lines and payments. With
// outletID 0 the receipt number must be unique across outlets. A number typed without its
// # ("1168") finds the sale "#1168" when no sale is "1168" itself: a shell drops an
// unquoted "#1168" whole, so staff learn to leave the # out.
func (st Store) SaleByReceipt(ctx context.Context, q pg.Queryer, outletID int64, receipt string) (Sale, error) {
	found, err := st.findReceipt(ctx, q, outletID, receipt)
	if err != nil {
		return Sale{}, err
	}
	s := found[0]
	if err := st.loadDetail(ctx, q, &s); err != nil {
		return Sale{}, err
	}
	return s, nil
}

// ResolveReceipt returns the receipt number a typed one means: itself when a sale has it,
// "#1168" for "1168" as SaleByReceipt reads it, or the error SaleByReceipt gives.
func (st Store) ResolveReceipt(ctx context.Context, q pg.Queryer, outletID int64, receipt string) (string, error) {
	found, err := st.findReceipt(ctx, q, outletID, receipt)
	if err != nil {
		return "", err
	}
	return found[0].ReceiptNumber, nil
}

// ReceiptNotFoundError is a receipt number no sale has; it says what to check.
type ReceiptNotFoundError struct {
	Receipt string
}

// Error tells staff that there is no such sale, and how to type a Shopify order number.
func (e *ReceiptNotFoundError) Error() string {
	if onlyDigits(e.Receipt) {
		return fmt.Sprintf("no sale %s; Shopify order numbers start with #: quote it, '#%s'", e.Receipt, e.Receipt)
	}
	return fmt.Sprintf("there is no sale %s: check the receipt number", e.Receipt)
}

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *ReceiptNotFoundError) Is(target error) bool { return target == ErrNotFound }

// findReceipt returns the one sale (without detail) a typed receipt number means.
func (Store) findReceipt(ctx context.Context, q pg.Queryer, outletID int64, receipt string) ([]Sale, error) {
	receipt = strings.TrimSpace(receipt)
	find := func(r string) ([]Sale, error) {
		var found []Sale
		err := sqlx.SelectContext(ctx, q, &found, saleSelect+` WHERE s.receipt_number = $1 AND ($2 = 0 OR s.outlet_id = $2) ORDER BY s.id LIMIT 2`, r, outletID)
		if err != nil {
			return nil, fmt.Errorf("load sale %s: %w", r, err)
		}
		return found, nil
	}
	found, err := find(receipt)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && onlyDigits(receipt) {
		if found, err = find("#" + receipt); err != nil {
			return nil, err
		}
		if len(found) == 2 {
			return nil, fmt.Errorf("sale #%s: %w", receipt, ErrAmbiguousReceipt)
		}
	}
	switch len(found) {
	case 0:
		return nil, &ReceiptNotFoundError{Receipt: receipt}
	case 2:
		return nil, fmt.Errorf("sale %s: %w", receipt, ErrAmbiguousReceipt)
	}
	return found, nil
}

func onlyDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// SaleByID loads a sale with its lines and payments.
func (st Store) SaleByID(ctx context.Context, q pg.Queryer, id int64) (Sale, error) {
	var s Sale
	err := sqlx.GetContext(ctx, q, &s, saleSelect+` WHERE s.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Sale{}, fmt.Errorf("sale %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Sale{}, fmt.Errorf("load sale %d: %w", id, err)
	}
	if err := st.loadDetail(ctx, q, &s); err != nil {
		return Sale{}, err
	}
	return s, nil
}

func (st Store) loadDetail(ctx context.Context, q pg.Queryer, s *Sale) error {
	// A line keeps its taxes in three arrays (title, rate, amount of each), read with it.
	var rows []struct {
		Line
		TaxTitles  pq.StringArray `db:"tax_titles"`
		TaxRates   pq.StringArray `db:"tax_rates"`
		TaxAmounts pq.StringArray `db:"tax_amounts"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT id, sale_id, line_no, product_id, kind, sku, title, variant_title, quantity, unit_price, discount, tax, total,
			tax_titles, tax_rates::text[] AS tax_rates, tax_amounts::text[] AS tax_amounts
		FROM sale_lines WHERE sale_id = $1 ORDER BY line_no`, s.ID)
	if err != nil {
		return fmt.Errorf("load lines of sale %s: %w", s.ReceiptNumber, err)
	}
	s.Lines = make([]Line, len(rows))
	for i, r := range rows {
		s.Lines[i] = r.Line
		for j := range r.TaxTitles {
			if j >= len(r.TaxRates) || j >= len(r.TaxAmounts) {
				break
			}
			rate, err1 := decimal.NewFromString(r.TaxRates[j])
			amount, err2 := decimal.NewFromString(r.TaxAmounts[j])
			if err := errors.Join(err1, err2); err != nil {
				return fmt.Errorf("read taxes of sale %s: %w", s.ReceiptNumber, err)
			}
			s.Lines[i].Taxes = append(s.Lines[i].Taxes, LineTax{Title: r.TaxTitles[j], Rate: rate, Amount: amount})
		}
		// In the order of rate, then title, as the taxes are always listed.
		slices.SortStableFunc(s.Lines[i].Taxes, func(a, b LineTax) int {
			if c := a.Rate.Cmp(b.Rate); c != 0 {
				return c
			}
			return strings.Compare(a.Title, b.Title)
		})
	}
	if s.Payments, err = st.Payments(ctx, q, s.ID); err != nil {
		return err
	}
	if s.Voided {
		v, err := st.SaleVoidOf(ctx, q, s.ID)
		if err != nil {
			return err
		}
		s.Void = &v
	}
	if s.ReturnCount == 0 {
		s.Returns = nil
		return nil
	}
	s.Returns, err = st.Returns(ctx, q, s.ID)
	return err
}

// Payments lists the payments of a sale, oldest first, each with its void when it was
// voided. (The names of their registers and tokens are not sales': register.Store's
// NameSales fills them in.)
func (Store) Payments(ctx context.Context, q pg.Queryer, saleID int64) ([]Payment, error) {
	var rows []struct {
		Payment
		VoidID      *int64     `db:"void_id"`
		VoidedAt    *time.Time `db:"voided_at"`
		VoidReason  *string    `db:"void_reason"`
		VoidBy      *string    `db:"void_by"`
		VoidTokenID *int64     `db:"void_token_id"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT p.id, p.sale_id, p.payment_type_id, t.name AS type_name, p.amount, p.paid_at, p.register_id,
			p.session_id, p.recorded_by, p.source, p.token_id,
			v.id AS void_id, v.voided_at, v.reason AS void_reason, v.recorded_by AS void_by,
			v.token_id AS void_token_id
		FROM payments p
		JOIN payment_types t ON t.id = p.payment_type_id
		LEFT JOIN payment_voids v ON v.payment_id = p.id
		WHERE p.sale_id = $1 ORDER BY p.paid_at, p.id`, saleID)
	if err != nil {
		return nil, fmt.Errorf("load payments of sale %d: %w", saleID, err)
	}
	out := make([]Payment, 0, len(rows))
	for _, r := range rows {
		p := r.Payment
		if r.VoidID != nil {
			p.Void = &Void{
				ID: *r.VoidID, PaymentID: p.ID, VoidedAt: *r.VoidedAt, Reason: *r.VoidReason, RecordedBy: *r.VoidBy,
				TokenID: r.VoidTokenID,
			}
			if p.SessionID != nil {
				p.Void.SessionID = *p.SessionID
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// ReceiptNumbers returns the receipt numbers of sales, by sale id.
func (Store) ReceiptNumbers(ctx context.Context, q pg.Queryer, saleIDs []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(saleIDs))
	if len(saleIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID      int64  `db:"id"`
		Receipt string `db:"receipt_number"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, receipt_number FROM sales WHERE id = ANY($1::bigint[])`, pq.Array(saleIDs))
	if err != nil {
		return nil, fmt.Errorf("look up receipt numbers: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Receipt
	}
	return out, nil
}

// Filter selects sales in the history. Zero fields select everything.
type Filter struct {
	OutletID        int64
	Source          string    // SourcePOS or SourceShopify
	AwaitingPayment bool      // only sales with a balance
	From, To        time.Time // sold_at in [From, To)
	// Search matches the start of a receipt number ("#10" finds "#1001"), or a
	// customer's e-mail or name (case-insensitive, anywhere in it).
	Search string
	Limit  int // default 50, at most 500
	Offset int
}

// List returns sales matching f, newest first.
func (Store) List(ctx context.Context, q pg.Queryer, f Filter) ([]Sale, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OutletID != 0 {
		where = append(where, "s.outlet_id = "+arg(f.OutletID))
	}
	if f.Source != "" {
		where = append(where, "s.source = "+arg(f.Source))
	}
	if f.AwaitingPayment {
		where = append(where, "s.balance > 0")
	}
	if !f.From.IsZero() {
		where = append(where, "s.sold_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "s.sold_at < "+arg(f.To))
	}
	if term := strings.TrimSpace(f.Search); term != "" {
		lower := strings.ToLower(term)
		prefix := arg(likeEscape(lower) + "%")
		anywhere := arg("%" + likeEscape(lower) + "%")
		// Two index lookups joined by UNION: an OR of the two would make PostgreSQL scan
		// every sale. The e-mail is looked up in its trigram index by the term's part up to
		// its '@' (see emailLookup) and then checked for the whole term, which strpos
		// does without offering the index the domain's trigrams again.
		where = append(where, fmt.Sprintf(`s.id IN (
			SELECT id FROM sales WHERE lower(receipt_number) LIKE %s
			UNION
			SELECT id FROM sales WHERE customer_id IN (
				SELECT id FROM customers
				WHERE (lower(email) LIKE %s AND strpos(lower(email), %s) > 0)
				   OR lower(first_name || ' ' || last_name) LIKE %s))`,
			prefix, arg("%"+likeEscape(emailLookup(lower))+"%"), arg(lower), anywhere))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	query := saleSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY s.sold_at DESC, s.id DESC LIMIT %s OFFSET %s", arg(limit), arg(max(f.Offset, 0)))
	var out []Sale
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list sales: %w", err)
	}
	return out, nil
}

// emailLookup is the part of a search term (in lower case) that the e-mails' trigram
// index is asked for: up to and including the term's first '@' when at least three
// characters come before it, else the whole term. The domain after the '@' is what most
// addresses share ("@gmail.com"): its trigrams are in every e-mail's index entries, and
// reading those long lists made a search by e-mail grow with the customers. An address
// that holds the whole term holds this part of it, so the lookup finds every e-mail the
// term finds, and the whole term is checked on the few it returns.
func emailLookup(term string) string {
	if at := strings.IndexByte(term, '@'); at >= 3 {
		return term[:at+1]
	}
	return term
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
