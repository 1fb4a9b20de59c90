package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Customer is a person or company the shop sells to.
type Customer struct {
	ID        int64  `db:"id"`
	Email     string `db:"email"`
	FirstName string `db:"first_name"`
	LastName  string `db:"last_name"`
	Phone     string `db:"phone"`
	Company   string `db:"company"`
	Address1  string `db:"address1"`
	Address2  string `db:"address2"`
	City      string `db:"city"`
	Zip       string `db:"zip"`
	Province  string `db:"province"`
	Country   string `db:"country"`
}

// Name is the customer's full name.
func (c Customer) Name() string { return strings.TrimSpace(c.FirstName + " " + c.LastName) }

const customerColumns = `id, email, first_name, last_name, phone, company, address1, address2, city, zip, province, country`

// UpsertCustomer finds the customer with c's e-mail (case-insensitive) and fills in the
// details it lacks, or creates the customer. A customer without e-mail is always
// created. It returns the stored customer.
func (Store) UpsertCustomer(ctx context.Context, q pg.Queryer, c Customer) (Customer, error) {
	c.Email = strings.TrimSpace(c.Email)
	var out Customer
	var err error
	if c.Email == "" {
		err = sqlx.GetContext(ctx, q, &out, `
			INSERT INTO customers (email, first_name, last_name, phone, company, address1, address2, city, zip, province, country)
			VALUES ('', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+customerColumns,
			c.FirstName, c.LastName, c.Phone, c.Company, c.Address1, c.Address2, c.City, c.Zip, c.Province, c.Country)
	} else {
		// The first spelling of an e-mail address is kept; empty details are filled in.
		err = sqlx.GetContext(ctx, q, &out, `
			INSERT INTO customers AS c (email, first_name, last_name, phone, company, address1, address2, city, zip, province, country)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
			RETURNING `+customerColumns,
			c.Email, c.FirstName, c.LastName, c.Phone, c.Company, c.Address1, c.Address2, c.City, c.Zip, c.Province, c.Country)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("save customer %q: %w", c.Email, err)
	}
	return out, nil
}

// CustomerByEmail finds a customer by e-mail, whatever its case.
func (Store) CustomerByEmail(ctx context.Context, q pg.Queryer, email string) (Customer, error) {
	var out Customer
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+customerColumns+` FROM customers WHERE lower(email) = lower($1) AND email <> ''`, strings.TrimSpace(email))
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, fmt.Errorf("customer %q: %w", email, ErrNotFound)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("load customer %q: %w", email, err)
	}
	return out, nil
}

// LinkCustomer remembers a channel's id for a customer (the first link stays).
func (Store) LinkCustomer(ctx context.Context, q pg.Queryer, customerID int64, channel, shop string, externalID int64) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO customer_external_ids (channel, shop, external_id, customer_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, channel, shop, externalID, customerID)
	if err != nil {
		return fmt.Errorf("link customer %d: %w", customerID, err)
	}
	return nil
}

// PaymentType is a way of paying.
type PaymentType struct {
	ID      int64  `db:"id"`
	Name    string `db:"name"`
	Counted bool   `db:"counted"` // counted in the drawer at close (cash)
}

// PaymentTypes lists the payment types by id.
func (Store) PaymentTypes(ctx context.Context, q pg.Queryer) ([]PaymentType, error) {
	var out []PaymentType
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT id, name, counted FROM payment_types ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list payment types: %w", err)
	}
	return out, nil
}

// PaymentTypeByName finds a payment type by name, whatever its case.
func (Store) PaymentTypeByName(ctx context.Context, q pg.Queryer, name string) (PaymentType, error) {
	var out PaymentType
	err := sqlx.GetContext(ctx, q, &out, `SELECT id, name, counted FROM payment_types WHERE lower(name) = lower($1)`, strings.TrimSpace(name))
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentType{}, fmt.Errorf("payment type %q: %w", name, ErrUnknownPaymentType)
	}
	if err != nil {
		return PaymentType{}, fmt.Errorf("load payment type %q: %w", name, err)
	}
	return out, nil
}

// EnsurePaymentType returns the payment type with this name, creating it when missing.
func (st Store) EnsurePaymentType(ctx context.Context, q pg.Queryer, name string) (PaymentType, error) {
	var out PaymentType
	err := sqlx.GetContext(ctx, q, &out, `
		INSERT INTO payment_types (name) VALUES ($1)
		ON CONFLICT (lower(name)) DO UPDATE SET name = payment_types.name
		RETURNING id, name, counted`, strings.TrimSpace(name))
	if err != nil {
		return PaymentType{}, fmt.Errorf("ensure payment type %q: %w", name, err)
	}
	return out, nil
}
