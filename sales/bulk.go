package sales

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Created is one sale CreateSales recorded: its id and the ids of its lines, in order.
type Created struct {
	SaleID  int64
	LineIDs []int64
}

// CreateSales records many sales with their lines (and the lines' taxes), payments and
// external ids in one set-based statement, all or nothing. It is CreateSale for a batch:
// an import writes a page of orders at once with it. The rules are the same (the database
// checks that each sale starts owing its total less the payments recorded with it, and
// refuses an over-payment); an error names
// the rule that failed but not necessarily the sale, so callers that need to know which sale
// was refused retry the sales one by one.
func (st Store) CreateSales(ctx context.Context, q pg.Queryer, batch []NewSale) ([]Created, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	n := len(batch)
	var (
		outlets, registers                      = make([]int64, n), make([]int64, n)
		sessions, customers                     = make([]*int64, n), make([]*int64, n)
		receipts, sources, soldAt, currencies   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		taxesIncl                               = make([]bool, n)
		subtotals, discounts, taxTotals, totals = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		balances, notes                         = make([]string, n), make([]string, n)
		receiptIndex                            = make(map[string]int, n)
	)
	for i, ns := range batch {
		s := ns.Sale
		if strings.TrimSpace(s.ReceiptNumber) == "" || len(ns.Lines) == 0 {
			return nil, errSaleNeedsReceiptLine
		}
		for _, l := range ns.Lines {
			if !l.Total.Equal(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity))).Sub(l.Discount)) {
				return nil, fmt.Errorf("receipt %s line %q: %w", s.ReceiptNumber, l.Title, errLinesDoNotAddUp)
			}
		}
		key := fmt.Sprintf("%d/%s", s.OutletID, s.ReceiptNumber)
		if _, dup := receiptIndex[key]; dup {
			return nil, fmt.Errorf("receipt %s: %w", s.ReceiptNumber, ErrDuplicateReceipt)
		}
		receiptIndex[key] = i
		outlets[i], registers[i], sessions[i], customers[i] = s.OutletID, s.RegisterID, s.SessionID, s.CustomerID
		receipts[i], sources[i], soldAt[i], currencies[i] = s.ReceiptNumber, s.Source, s.SoldAt.Format(time.RFC3339Nano), s.Currency
		taxesIncl[i] = s.TaxesIncluded
		subtotals[i], discounts[i], taxTotals[i], totals[i] = s.Subtotal.String(), s.DiscountTotal.String(), s.TaxTotal.String(), s.Total.String()
		notes[i] = s.Note
		// Recorded with its payments, a sale starts owing its total less them (a trigger
		// checks it): it is written once, not once and again for its payments.
		owed := s.Total
		for _, p := range ns.Payments {
			owed = owed.Sub(p.Amount)
		}
		balances[i] = owed.String()
	}
	out := make([]Created, n)
	var (
		xIdx           []int64
		xChannels      []string
		xShops         []string
		xIDs           []int64
		xUpdated       []string
		lIdx, lNos     []int64
		lProducts      []*int64
		lKinds, lSKUs  []string
		lTitles, lVars []string
		lQtys          []int64
		lPrices, lDisc []string
		lTaxes, lTots  []string
		tIdx, tNos     []int64
		tTitles        []string
		tRates, tAmts  []string
		pIdx, pTypes   []int64
		pRegisters     []int64
		pSessions      []*int64
		pAmts, pPaidAt []string
		pBy, pSources  []string
	)
	for i, ns := range batch {
		idx := int64(i + 1)
		out[i].LineIDs = make([]int64, len(ns.Lines))
		if x := ns.External; x != nil {
			xIdx, xChannels, xShops, xIDs = append(xIdx, idx), append(xChannels, x.Channel), append(xShops, x.Shop), append(xIDs, x.ID)
			upd := ""
			if !x.UpdatedAt.IsZero() {
				upd = x.UpdatedAt.Format(time.RFC3339Nano)
			}
			xUpdated = append(xUpdated, upd)
		}
		for j, l := range ns.Lines {
			lIdx, lNos, lProducts = append(lIdx, idx), append(lNos, int64(j+1)), append(lProducts, l.ProductID)
			lKinds, lSKUs, lTitles, lVars = append(lKinds, l.Kind), append(lSKUs, l.SKU), append(lTitles, l.Title), append(lVars, l.VariantTitle)
			lQtys, lPrices, lDisc = append(lQtys, int64(l.Quantity)), append(lPrices, l.UnitPrice.String()), append(lDisc, l.Discount.String())
			lTaxes, lTots = append(lTaxes, l.Tax.String()), append(lTots, l.Total.String())
			for _, t := range l.Taxes {
				tIdx, tNos, tTitles = append(tIdx, idx), append(tNos, int64(j+1)), append(tTitles, t.Title)
				tRates, tAmts = append(tRates, t.Rate.String()), append(tAmts, t.Amount.String())
			}
		}
		for _, p := range ns.Payments {
			if !p.Amount.IsPositive() {
				return nil, ErrNonPositivePayment
			}
			if p.Source == "" {
				p.Source = SourcePOS
			}
			pIdx, pTypes, pRegisters, pSessions = append(pIdx, idx), append(pTypes, p.PaymentTypeID), append(pRegisters, p.RegisterID), append(pSessions, p.SessionID)
			pAmts, pPaidAt = append(pAmts, p.Amount.String()), append(pPaidAt, p.PaidAt.Format(time.RFC3339Nano))
			pBy, pSources = append(pBy, p.RecordedBy), append(pSources, p.Source)
		}
	}
	// One statement writes the whole batch, so a page costs one round trip to the database:
	// the sales first, then, joined to them by their position in the batch (found again by
	// outlet and receipt number, which are unique), their external ids, lines (with their
	// taxes) and payments. Foreign keys and the sales' and payments' balance triggers run at the
	// end of the statement, when every row is in place.
	var rows []struct {
		Idx    int   `db:"idx"`
		SaleID int64 `db:"sale_id"`
		LineNo int   `db:"line_no"`
		LineID int64 `db:"line_id"`
	}
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		err := sqlx.SelectContext(ctx, tx, &rows, `
			WITH s AS (
				INSERT INTO sales (outlet_id, register_id, session_id, receipt_number, source, sold_at, currency,
					taxes_included, subtotal, discount_total, tax_total, total, balance, customer_id, note)
				SELECT o, r, s, rc, src, sa, cur, ti, sub, disc, tax, tot, bal, cust, note
				FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
					$8::boolean[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::bigint[], $14::text[],
					$44::numeric[])
					AS t(o, r, s, rc, src, sa, cur, ti, sub, disc, tax, tot, cust, note, bal)
				RETURNING id, outlet_id, receipt_number
			), si AS (
				SELECT s.id, t.i FROM s
				JOIN unnest($1::bigint[], $4::text[]) WITH ORDINALITY AS t(o, rc, i) ON s.outlet_id = t.o AND s.receipt_number = t.rc
			), x AS (
				INSERT INTO sale_external_ids (channel, shop, external_id, sale_id, external_updated_at)
				SELECT t.ch, t.sh, t.xid, si.id, nullif(t.upd, '')::timestamptz
				FROM unnest($15::bigint[], $16::text[], $17::text[], $18::bigint[], $45::text[]) AS t(i, ch, sh, xid, upd) JOIN si ON si.i = t.i
			), lt AS (
				SELECT t.i, t.no, array_agg(t.title ORDER BY t.k) AS titles, array_agg(t.rate ORDER BY t.k) AS rates,
					array_agg(t.amt ORDER BY t.k) AS amts
				FROM unnest($31::bigint[], $32::int[], $33::text[], $34::numeric[], $35::numeric[]) WITH ORDINALITY
					AS t(i, no, title, rate, amt, k)
				GROUP BY t.i, t.no
			), l AS (
				INSERT INTO sale_lines (sale_id, line_no, product_id, kind, sku, title, variant_title, quantity, unit_price, discount, tax, total,
					tax_titles, tax_rates, tax_amounts)
				SELECT si.id, t.no, t.prod, t.kind, t.sku, t.title, t.vt, t.qty, t.price, t.disc, t.tax, t.tot,
					coalesce(lt.titles, '{}'), coalesce(lt.rates, '{}'), coalesce(lt.amts, '{}')
				FROM unnest($19::bigint[], $20::int[], $21::bigint[], $22::text[], $23::text[], $24::text[], $25::text[], $26::int[],
					$27::numeric[], $28::numeric[], $29::numeric[], $30::numeric[])
					AS t(i, no, prod, kind, sku, title, vt, qty, price, disc, tax, tot)
				JOIN si ON si.i = t.i
				LEFT JOIN lt ON lt.i = t.i AND lt.no = t.no
				RETURNING id, sale_id, line_no
			), p AS (
				INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, session_id, recorded_by, source)
				SELECT si.id, t.pt, t.amt, t.pa, t.reg, t.sess, t.by, t.src
				FROM unnest($36::bigint[], $37::bigint[], $38::numeric[], $39::timestamptz[], $40::bigint[], $41::bigint[],
					$42::text[], $43::text[]) AS t(i, pt, amt, pa, reg, sess, by, src)
				JOIN si ON si.i = t.i
			)
			SELECT si.i AS idx, si.id AS sale_id, 0 AS line_no, 0 AS line_id FROM si
			UNION ALL
			SELECT 0, l.sale_id, l.line_no, l.id FROM l`,
			pq.Array(outlets), pq.Array(registers), pq.Array(sessions), pq.Array(receipts), pq.Array(sources),
			pq.Array(soldAt), pq.Array(currencies), pq.Array(taxesIncl), pq.Array(subtotals), pq.Array(discounts),
			pq.Array(taxTotals), pq.Array(totals), pq.Array(customers), pq.Array(notes),
			pq.Array(xIdx), pq.Array(xChannels), pq.Array(xShops), pq.Array(xIDs),
			pq.Array(lIdx), pq.Array(lNos), pq.Array(lProducts), pq.Array(lKinds), pq.Array(lSKUs), pq.Array(lTitles),
			pq.Array(lVars), pq.Array(lQtys), pq.Array(lPrices), pq.Array(lDisc), pq.Array(lTaxes), pq.Array(lTots),
			pq.Array(tIdx), pq.Array(tNos), pq.Array(tTitles), pq.Array(tRates), pq.Array(tAmts),
			pq.Array(pIdx), pq.Array(pTypes), pq.Array(pAmts), pq.Array(pPaidAt), pq.Array(pRegisters),
			pq.Array(pSessions), pq.Array(pBy), pq.Array(pSources), pq.Array(balances), pq.Array(xUpdated))
		if pg.IsUniqueViolation(err, "sale_external_ids_pkey") {
			return fmt.Errorf("one of the batch: %w", ErrAlreadyImported)
		}
		if err != nil {
			label := "(one of the batch)"
			if n == 1 {
				label = batch[0].Sale.ReceiptNumber
			}
			return translate(err, label)
		}
		// The sales come back with their position in the batch (and line 0), the lines with
		// their sale.
		if len(rows) != n+len(lIdx) {
			return fmt.Errorf("record sales: %d rows back for %d sales and %d lines", len(rows), n, len(lIdx))
		}
		bySale := make(map[int64]int, n)
		for _, r := range rows {
			if r.LineNo == 0 && r.Idx >= 1 && r.Idx <= n {
				out[r.Idx-1].SaleID, bySale[r.SaleID] = r.SaleID, r.Idx-1
			}
		}
		for _, r := range rows {
			if r.LineNo == 0 {
				continue
			}
			i, ok := bySale[r.SaleID]
			if !ok || r.LineNo > len(out[i].LineIDs) {
				return fmt.Errorf("record sales: line %d of sale %d is not in the batch", r.LineNo, r.SaleID)
			}
			out[i].LineIDs[r.LineNo-1] = r.LineID
		}
		for i := range out {
			if out[i].SaleID == 0 || slices.Contains(out[i].LineIDs, 0) {
				return fmt.Errorf("record sales: receipt %s not recorded whole", batch[i].Sale.ReceiptNumber)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpsertCustomers is UpsertCustomer for many customers at once, in one statement. Every
// customer must have an e-mail address, and no address may appear twice (whatever its
// case). It returns the stored customers keyed by lower-cased e-mail.
func (Store) UpsertCustomers(ctx context.Context, q pg.Queryer, cs []Customer) (map[string]Customer, error) {
	if len(cs) == 0 {
		return map[string]Customer{}, nil
	}
	n := len(cs)
	cols := make([][]string, 11)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	seen := make(map[string]bool, n)
	for i, c := range cs {
		email := strings.TrimSpace(c.Email)
		key := strings.ToLower(email)
		if email == "" || seen[key] {
			return nil, fmt.Errorf("upsert customers: e-mail %q is empty or repeated", email)
		}
		seen[key] = true
		for j, v := range []string{email, c.FirstName, c.LastName, c.Phone, c.Company, c.Address1, c.Address2, c.City, c.Zip, c.Province, c.Country} {
			cols[j][i] = v
		}
	}
	args := make([]any, len(cols))
	for i := range cols {
		args[i] = pq.Array(cols[i])
	}
	var rows []Customer
	// The statement locks rows in e-mail order, so two imports upserting overlapping
	// customers wait for each other instead of deadlocking.
	err := sqlx.SelectContext(ctx, q, &rows, `
		INSERT INTO customers AS c (email, first_name, last_name, phone, company, address1, address2, city, zip, province, country)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[]) AS t(email, fn, ln, ph, co, a1, a2, ci, zi, pr, cn)
		ORDER BY lower(t.email)
		ON CONFLICT (lower(email)) WHERE email <> '' DO UPDATE SET
			first_name = CASE WHEN c.first_name = '' THEN EXCLUDED.first_name ELSE c.first_name END,
			last_name  = CASE WHEN c.last_name  = '' THEN EXCLUDED.last_name  ELSE c.last_name  END,
			phone      = CASE WHEN c.phone      = '' THEN EXCLUDED.phone      ELSE c.phone      END,
			company    = CASE WHEN c.company    = '' THEN EXCLUDED.company    ELSE c.company    END,
			address1   = CASE WHEN c.address1   = '' THEN EXCLUDED.address1   ELSE c.address1   END,
			address2   = CASE WHEN c.address2   = '' THEN EXCLUDED.address2   ELSE c.address2   END,
			city       = CASE WHEN c.city       = '' THEN EXCLUDED.city       ELSE c.city       END,
			zip        = CASE WHEN c.zip        = '' THEN EXCLUDED.zip        ELSE c.zip        END,
			province   = CASE WHEN c.province   = '' THEN EXCLUDED.province   ELSE c.province   END,
			country    = CASE WHEN c.country    = '' THEN EXCLUDED.country    ELSE c.country    END,
			updated_at = now()
		RETURNING `+customerColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("save customers: %w", err)
	}
	out := make(map[string]Customer, len(rows))
	for _, r := range rows {
		out[strings.ToLower(r.Email)] = r
	}
	return out, nil
}

// LinkCustomers is LinkCustomer for many customers of one channel's shop at once; links
// that exist stay as they are.
func (Store) LinkCustomers(ctx context.Context, q pg.Queryer, channel, shop string, customerIDs, externalIDs []int64) error {
	if len(customerIDs) == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO customer_external_ids (channel, shop, external_id, customer_id)
		SELECT $1, $2, x, c FROM unnest($3::bigint[], $4::bigint[]) AS t(x, c)
		ORDER BY x
		ON CONFLICT DO NOTHING`, channel, shop, pq.Array(externalIDs), pq.Array(customerIDs))
	if err != nil {
		return fmt.Errorf("link customers: %w", err)
	}
	return nil
}
