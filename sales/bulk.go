package sales

import (
	"context"
	"fmt"
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

// CreateSales records many sales with their lines, line taxes, payments and external ids in
// a few set-based statements (one per table), all or nothing. It is CreateSale for a batch:
// an import writes a page of orders at once with it. The rules are the same (the database
// starts each sale owing its total and lowers the balance by each payment); an error names
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
		notes                                   = make([]string, n)
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
	}
	out := make([]Created, n)
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID       int64  `db:"id"`
			OutletID int64  `db:"outlet_id"`
			Receipt  string `db:"receipt_number"`
		}
		err := sqlx.SelectContext(ctx, tx, &rows, `
			INSERT INTO sales (outlet_id, register_id, session_id, receipt_number, source, sold_at, currency,
				taxes_included, subtotal, discount_total, tax_total, total, balance, customer_id, note)
			SELECT o, r, s, rc, src, sa, cur, ti, sub, disc, tax, tot, tot, cust, note
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
				$8::boolean[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::bigint[], $14::text[])
				AS t(o, r, s, rc, src, sa, cur, ti, sub, disc, tax, tot, cust, note)
			RETURNING id, outlet_id, receipt_number`,
			pq.Array(outlets), pq.Array(registers), pq.Array(sessions), pq.Array(receipts), pq.Array(sources),
			pq.Array(soldAt), pq.Array(currencies), pq.Array(taxesIncl), pq.Array(subtotals), pq.Array(discounts),
			pq.Array(taxTotals), pq.Array(totals), pq.Array(customers), pq.Array(notes))
		if err != nil {
			label := "(one of the batch)"
			if n == 1 {
				label = batch[0].Sale.ReceiptNumber
			}
			return translate(err, label)
		}
		if len(rows) != n {
			return fmt.Errorf("record sales: %d of %d recorded", len(rows), n)
		}
		for _, r := range rows {
			out[receiptIndex[fmt.Sprintf("%d/%s", r.OutletID, r.Receipt)]].SaleID = r.ID
		}

		var xChannels, xShops []string
		var xIDs, xSales []int64
		for i, ns := range batch {
			if x := ns.External; x != nil {
				xChannels, xShops = append(xChannels, x.Channel), append(xShops, x.Shop)
				xIDs, xSales = append(xIDs, x.ID), append(xSales, out[i].SaleID)
			}
		}
		if len(xIDs) > 0 {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO sale_external_ids (channel, shop, external_id, sale_id)
				SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`,
				pq.Array(xChannels), pq.Array(xShops), pq.Array(xIDs), pq.Array(xSales))
			if pg.IsUniqueViolation(err, "sale_external_ids_pkey") {
				return fmt.Errorf("one of the batch: %w", ErrAlreadyImported)
			}
			if err != nil {
				return fmt.Errorf("record external ids: %w", err)
			}
		}
		if err := insertBatchLines(ctx, tx, batch, out); err != nil {
			return err
		}
		return insertBatchPayments(ctx, tx, batch, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func insertBatchLines(ctx context.Context, tx *sqlx.Tx, batch []NewSale, out []Created) error {
	total := 0
	for _, ns := range batch {
		total += len(ns.Lines)
	}
	var (
		saleIDs   = make([]int64, 0, total)
		nos       = make([]int64, 0, total)
		products  = make([]*int64, 0, total)
		kinds     = make([]string, 0, total)
		skus      = make([]string, 0, total)
		titles    = make([]string, 0, total)
		variants  = make([]string, 0, total)
		qtys      = make([]int64, 0, total)
		prices    = make([]string, 0, total)
		discounts = make([]string, 0, total)
		taxes     = make([]string, 0, total)
		totals    = make([]string, 0, total)
	)
	saleIndex := make(map[int64]int, len(batch))
	for i, ns := range batch {
		saleIndex[out[i].SaleID] = i
		out[i].LineIDs = make([]int64, len(ns.Lines))
		for j, l := range ns.Lines {
			saleIDs = append(saleIDs, out[i].SaleID)
			nos = append(nos, int64(j+1))
			products = append(products, l.ProductID)
			kinds, skus, titles, variants = append(kinds, l.Kind), append(skus, l.SKU), append(titles, l.Title), append(variants, l.VariantTitle)
			qtys = append(qtys, int64(l.Quantity))
			prices, discounts = append(prices, l.UnitPrice.String()), append(discounts, l.Discount.String())
			taxes, totals = append(taxes, l.Tax.String()), append(totals, l.Total.String())
		}
	}
	var rows []struct {
		ID     int64 `db:"id"`
		SaleID int64 `db:"sale_id"`
		LineNo int   `db:"line_no"`
	}
	err := sqlx.SelectContext(ctx, tx, &rows, `
		INSERT INTO sale_lines (sale_id, line_no, product_id, kind, sku, title, variant_title, quantity, unit_price, discount, tax, total)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
			$9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[])
		RETURNING id, sale_id, line_no`,
		pq.Array(saleIDs), pq.Array(nos), pq.Array(products), pq.Array(kinds), pq.Array(skus), pq.Array(titles),
		pq.Array(variants), pq.Array(qtys), pq.Array(prices), pq.Array(discounts), pq.Array(taxes), pq.Array(totals))
	if err != nil {
		return fmt.Errorf("record sale lines: %w", err)
	}
	if len(rows) != total {
		return fmt.Errorf("record sale lines: %d of %d recorded", len(rows), total)
	}
	for _, r := range rows {
		out[saleIndex[r.SaleID]].LineIDs[r.LineNo-1] = r.ID
	}
	var (
		taxLines  []int64
		taxTitles []string
		taxRates  []string
		taxAmts   []string
	)
	for i, ns := range batch {
		for j, l := range ns.Lines {
			for _, t := range l.Taxes {
				taxLines = append(taxLines, out[i].LineIDs[j])
				taxTitles = append(taxTitles, t.Title)
				taxRates = append(taxRates, t.Rate.String())
				taxAmts = append(taxAmts, t.Amount.String())
			}
		}
	}
	if len(taxLines) > 0 {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sale_line_taxes (sale_line_id, title, rate, amount)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::numeric[])`,
			pq.Array(taxLines), pq.Array(taxTitles), pq.Array(taxRates), pq.Array(taxAmts))
		if err != nil {
			return fmt.Errorf("record line taxes: %w", err)
		}
	}
	return nil
}

func insertBatchPayments(ctx context.Context, tx *sqlx.Tx, batch []NewSale, out []Created) error {
	var (
		saleIDs, typeIDs, registers []int64
		sessions                    []*int64
		amounts, paidAt, by, srcs   []string
	)
	for i, ns := range batch {
		for _, p := range ns.Payments {
			if !p.Amount.IsPositive() {
				return ErrNonPositivePayment
			}
			if p.Source == "" {
				p.Source = SourcePOS
			}
			saleIDs, typeIDs, registers = append(saleIDs, out[i].SaleID), append(typeIDs, p.PaymentTypeID), append(registers, p.RegisterID)
			sessions = append(sessions, p.SessionID)
			amounts, paidAt = append(amounts, p.Amount.String()), append(paidAt, p.PaidAt.Format(time.RFC3339Nano))
			by, srcs = append(by, p.RecordedBy), append(srcs, p.Source)
		}
	}
	if len(saleIDs) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, session_id, recorded_by, source)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::timestamptz[], $5::bigint[], $6::bigint[],
			$7::text[], $8::text[])`,
		pq.Array(saleIDs), pq.Array(typeIDs), pq.Array(amounts), pq.Array(paidAt), pq.Array(registers),
		pq.Array(sessions), pq.Array(by), pq.Array(srcs))
	if err != nil {
		return translate(err, "")
	}
	return nil
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
