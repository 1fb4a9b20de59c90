package shopdata

import "time"

// GenerateOptions configures a generated shop.
type GenerateOptions struct {
	// Seed makes the shop reproducible: the same seed and options give byte-identical JSON.
	Seed int64
	// Orders is how many orders Orders returns, spread over the Days days before Now.
	Orders int
	Days   int
	// Now is the shop's clock (required).
	Now time.Time
	// Location is the shop's time zone for rendered timestamps (default Europe/Brussels).
	Location *time.Location
	// Currency is the shop's currency (default "EUR").
	Currency string
	// FirstOrderNumber is the order_number of the first order (default 1001).
	FirstOrderNumber int
	// Shop is the shop's domain, e.g. "demo.myshopify.com".
	Shop string
}

// Generator produces the orders of one generated shop.
type Generator struct {
	opt GenerateOptions
}

// NewGenerator returns a generator for the shop described by opt.
func NewGenerator(opt GenerateOptions) *Generator { return &Generator{opt: opt} }

// Orders returns the shop's orders, oldest first.
func (g *Generator) Orders() []Order { return nil }

// NewOrder returns one more order placed at at.
func (g *Generator) NewOrder(at time.Time) Order { return Order{} }

// Catalog returns every product variant the orders reference.
func (g *Generator) Catalog() []CatalogItem { return nil }

// Transactions returns the payment transactions of o.
func (g *Generator) Transactions(o Order) []Transaction { return nil }
