package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
)

func (c *cli) outletCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "outlet", Short: "Add, list, rename and archive outlets (physical shops)", Args: cobra.NoArgs}
	var tz, currency, outletRate string
	var inclTax bool
	add := &cobra.Command{
		Use:   "add NAME --timezone ZONE --currency CODE [--prices-include-tax] [--tax-rate PERCENT]",
		Short: "Add an outlet",
		Long: `Add an outlet. Its time zone (an IANA name such as Europe/Brussels) decides which
calendar day a sale or payment belongs to in the nightly report; its currency is an
ISO 4217 code such as EUR.`,
		Example: "  kassa outlet add 'Gent' --timezone Europe/Brussels --currency EUR",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tz == "" || currency == "" {
				return usageError("outlet add needs --timezone and --currency")
			}
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			var rate *decimal.Decimal
			if outletRate != "" {
				r, err := inventory.ParseTaxRate(outletRate)
				if err != nil {
					return fmt.Errorf("--tax-rate: %w", err)
				}
				rate = &r
			}
			var o inventory.Outlet
			err = pg.InTx(cmd.Context(), db, func(tx *sqlx.Tx) error {
				var err error
				if o, err = (inventory.Store{}).CreateOutlet(cmd.Context(), tx, args[0], tz, currency); err != nil {
					return err
				}
				o, err = inventory.Store{}.SetOutletPricing(cmd.Context(), tx, o.ID, &inclTax, rate)
				return err
			})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(outletJSON(o))
			}
			fmt.Fprintf(c.stdout, "added outlet %q (%s, %s)\n", o.Name, o.Timezone, o.Currency)
			return nil
		},
	}
	add.Flags().StringVar(&tz, "timezone", "", "IANA time zone, e.g. Europe/Brussels")
	add.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency code, e.g. EUR")
	add.Flags().BoolVar(&inclTax, "prices-include-tax", true, "prices include tax (EU shops); --prices-include-tax=false adds tax on top")
	add.Flags().StringVar(&outletRate, "tax-rate", "", "the tax rate of products that name none, a percentage, e.g. 21")
	c.addJSONFlag(add)
	list := listCommand(c, &cobra.Command{Use: "list", Short: "List the outlets"},
		func(ctx context.Context) ([]inventory.Outlet, error) {
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			return inventory.Store{}.Outlets(ctx, db)
		},
		table[inventory.Outlet]{
			json:   func(o inventory.Outlet) any { return outletJSON(o) },
			header: "OUTLET\tTIME ZONE\tCURRENCY",
			row:    func(o inventory.Outlet) []any { return []any{o.Name, o.Timezone, o.Currency} },
		})
	cmd.AddCommand(add, list, c.outletSetCommand(), c.outletRenameCommand(), c.outletArchiveCommand())
	return cmd
}

func (c *cli) outletSetCommand() *cobra.Command {
	var rate string
	var inclTax bool
	cmd := &cobra.Command{
		Use:   "set NAME [--prices-include-tax=true|false] [--tax-rate PERCENT]",
		Short: "Set how an outlet prices: tax included or not, and its default tax rate",
		Long: `Set whether the outlet's prices include tax (EU shops: they do; the tax is then worked
out of the price) and the tax rate of a product that names none (a percentage: 21).
Counter sales rung up from then on use the new settings; sales already made keep theirs.`,
		Example: "  kassa outlet set Gent --prices-include-tax --tax-rate 21",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var incl *bool
			if cmd.Flags().Changed("prices-include-tax") {
				incl = &inclTax
			}
			var r *decimal.Decimal
			if rate != "" {
				d, err := inventory.ParseTaxRate(rate)
				if err != nil {
					return fmt.Errorf("--tax-rate: %w", err)
				}
				r = &d
			}
			if incl == nil && r == nil {
				return usageError("outlet set needs --prices-include-tax or --tax-rate")
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			o, err := inventory.Store{}.OutletByName(ctx, db, args[0])
			if err != nil {
				return err
			}
			if o, err = (inventory.Store{}).SetOutletPricing(ctx, db, o.ID, incl, r); err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(outletJSON(o))
			}
			how := "include tax"
			if !o.PricesIncludeTax {
				how = "exclude tax"
			}
			fmt.Fprintf(c.stdout, "outlet %q: prices %s, default tax rate %s%%\n", o.Name, how, inventory.Percent(o.DefaultTaxRate))
			return nil
		},
	}
	cmd.Flags().BoolVar(&inclTax, "prices-include-tax", true, "prices include tax (false: tax is added on top)")
	cmd.Flags().StringVar(&rate, "tax-rate", "", "the default tax rate, a percentage, e.g. 21")
	c.addJSONFlag(cmd)
	return cmd
}

// outletJSON is an outlet in JSON: every value a string. prices is "include_tax" or
// "exclude_tax"; default_tax_rate a percentage ("21").
func outletJSON(o inventory.Outlet) map[string]string {
	prices := "include_tax"
	if !o.PricesIncludeTax {
		prices = "exclude_tax"
	}
	return map[string]string{"name": o.Name, "timezone": o.Timezone, "currency": o.Currency,
		"prices": prices, "default_tax_rate": inventory.Percent(o.DefaultTaxRate)}
}

// exactArgs is cobra.ExactArgs with a message that names the missing argument.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s (see '%s --help')", cmd.CommandPath(), names, cmd.CommandPath())
		}
		return nil
	}
}

// findOutlet resolves --outlet: a live outlet's name or, with none given, the only live
// outlet there is (inventory.FindLiveOutlet). It only says which flag names one.
func findOutlet(ctx context.Context, q pg.Queryer, name string) (inventory.Outlet, error) {
	o, err := inventory.Store{}.FindLiveOutlet(ctx, q, name)
	if errors.Is(err, inventory.ErrOutletNotNamed) {
		return o, fmt.Errorf("%w with --outlet", err)
	}
	return o, err
}

func (c *cli) registerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "register", Short: "Manage registers and their sessions", Args: cobra.NoArgs}
	var outlet string
	add := &cobra.Command{
		Use:     "add NAME --outlet OUTLET",
		Short:   "Add a register to an outlet",
		Example: "  kassa register add Front --outlet Gent",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			o, err := findOutlet(cmd.Context(), db, outlet)
			if err != nil {
				return err
			}
			r, err := register.Store{}.Create(cmd.Context(), db, o.ID, args[0])
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]string{"name": r.Name, "outlet": r.OutletName})
			}
			fmt.Fprintf(c.stdout, "added register %q to outlet %q\n", r.Name, r.OutletName)
			return nil
		},
	}
	add.Flags().StringVar(&outlet, "outlet", "", "the outlet the register belongs to (may be left out when there is one)")
	c.addJSONFlag(add)
	var listOutlet string
	list := listCommand(c, &cobra.Command{Use: "list [--outlet OUTLET]", Short: "List the registers"},
		func(ctx context.Context) ([]register.Register, error) {
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			var outletID int64
			if listOutlet != "" {
				o, err := inventory.Store{}.OutletByName(ctx, db, listOutlet)
				if err != nil {
					return nil, err
				}
				outletID = o.ID
			}
			return register.Store{}.List(ctx, db, outletID)
		},
		table[register.Register]{
			json:   func(r register.Register) any { return map[string]string{"name": r.Name, "outlet": r.OutletName} },
			header: "REGISTER\tOUTLET",
			row:    func(r register.Register) []any { return []any{r.Name, r.OutletName} },
		})
	list.Flags().StringVar(&listOutlet, "outlet", "", "only the registers of this outlet")
	cmd.AddCommand(add, list, c.registerRenameCommand(), c.registerArchiveCommand())
	cmd.AddCommand(c.registerSessionCommands()...)
	return cmd
}

func (c *cli) productCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "product", Short: "Add and list products", Args: cobra.NoArgs}
	var (
		sku, price, variant string
		barcode, taxRate    string
		noStock, unpublish  bool
	)
	add := &cobra.Command{
		Use:   "add NAME --price AMOUNT [--sku SKU] [--barcode CODE] [--tax-rate PERCENT]",
		Short: "Add a product",
		Long: `Add a product. The SKU, when given, must be unique, whatever its case: SKUs are
case-insensitive (cup-esp is the product CUP-ESP). The price is written with a
decimal point and at most two decimals (12.50), tax included when the outlet's prices
include it. The barcode, when given, names this product only; the tax rate is a
percentage (21), else the outlet's default. Products track stock and are published
unless told otherwise.`,
		Example: "  kassa product add 'Espresso cup' --sku CUP-ESP --price 12.50",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if price == "" {
				return usageError("product add needs --price")
			}
			amount, err := money.Parse(price)
			if err != nil {
				return fmt.Errorf("--price: %w", err)
			}
			var rate *decimal.Decimal
			if taxRate != "" {
				r, err := inventory.ParseTaxRate(taxRate)
				if err != nil {
					return fmt.Errorf("--tax-rate: %w", err)
				}
				rate = &r
			}
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			p, err := inventory.Store{}.CreateProduct(cmd.Context(), db, inventory.Product{
				SKU: sku, Name: args[0], VariantTitle: variant, Price: amount, Barcode: barcode, TaxRate: rate,
				TracksStock: !noStock, Published: !unpublish, Source: inventory.SourcePOS,
			})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(productJSON(p))
			}
			fmt.Fprintf(c.stdout, "added product %q (SKU %q, %s)\n", p.Name, p.SKU, money.String(p.Price))
			return nil
		},
	}
	add.Flags().StringVar(&sku, "sku", "", "stock keeping unit, unique")
	add.Flags().StringVar(&price, "price", "", "price, e.g. 12.50")
	add.Flags().StringVar(&variant, "variant", "", "variant title, e.g. 'Large / Blue'")
	add.Flags().BoolVar(&noStock, "no-stock", false, "do not track stock for this product")
	add.Flags().BoolVar(&unpublish, "unpublished", false, "add the product unpublished")
	add.Flags().StringVar(&barcode, "barcode", "", "barcode (EAN, UPC...), unique")
	add.Flags().StringVar(&taxRate, "tax-rate", "", "tax rate, a percentage, e.g. 21 (default: the outlet's)")
	c.addJSONFlag(add)
	list := listCommand(c, &cobra.Command{Use: "list", Short: "List the products"},
		func(ctx context.Context) ([]inventory.Product, error) {
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			return inventory.Store{}.Products(ctx, db)
		},
		table[inventory.Product]{
			json:   func(p inventory.Product) any { return productJSON(p) },
			header: "SKU\tNAME\tPRICE\tTAX\tBARCODE\tSTOCK\tPUBLISHED\tSOURCE",
			row: func(p inventory.Product) []any {
				return []any{safeCell(p.SKU), safeCell(displayName(p.Name, p.VariantTitle)),
					money.String(p.Price), taxCell(p.TaxRate), safeCell(p.Barcode), yesNo(p.TracksStock), yesNo(p.Published), p.Source}
			},
		})
	cmd.AddCommand(add, list, c.productSetCommand())
	return cmd
}

func taxCell(r *decimal.Decimal) string {
	if r == nil {
		return "outlet"
	}
	return inventory.Percent(*r) + "%"
}

func productJSON(p inventory.Product) map[string]any {
	var rate *string
	if p.TaxRate != nil {
		r := inventory.Percent(*p.TaxRate)
		rate = &r
	}
	return map[string]any{
		"sku": p.SKU, "name": p.Name, "variant_title": p.VariantTitle, "price": money.String(p.Price),
		"tracks_stock": p.TracksStock, "published": p.Published, "source": p.Source,
		"barcode": p.Barcode, "tax_rate": rate,
	}
}

func (c *cli) productSetCommand() *cobra.Command {
	var name, price, barcode, rate string
	var stock, published bool
	cmd := &cobra.Command{
		Use:   "set CODE [--price AMOUNT] [--barcode CODE] [--tax-rate PERCENT|outlet] [--name NAME]",
		Short: "Change a product found by its barcode or SKU",
		Long: `Change a product, found by its barcode or SKU (in any case). --barcode '' removes the
barcode; --tax-rate outlet gives it the outlet's default rate again. Sales already made keep
their prices and taxes.`,
		Example: "  kassa product set CUP-ESP --barcode 5400000000011 --tax-rate 21",
		Args:    exactArgs(1, "the product's barcode or SKU"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var ch inventory.ProductChange
			f := cmd.Flags()
			if f.Changed("name") {
				ch.Name = &name
			}
			if f.Changed("price") {
				p, err := money.Parse(price)
				if err != nil {
					return fmt.Errorf("--price: %w", err)
				}
				ch.Price = &p
			}
			if f.Changed("barcode") {
				ch.Barcode = &barcode
			}
			if f.Changed("tax-rate") {
				if strings.EqualFold(strings.TrimSpace(rate), "outlet") {
					ch.ClearTaxRate = true
				} else {
					r, err := inventory.ParseTaxRate(rate)
					if err != nil {
						return fmt.Errorf("--tax-rate: %w", err)
					}
					ch.TaxRate = &r
				}
			}
			if f.Changed("tracks-stock") {
				ch.TracksStock = &stock
			}
			if f.Changed("published") {
				ch.Published = &published
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			p, err := inventory.Store{}.ProductByCode(ctx, db, args[0])
			if err != nil {
				return err
			}
			if p, err = (inventory.Store{}).UpdateProduct(ctx, db, p.ID, ch); err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(productJSON(p))
			}
			fmt.Fprintf(c.stdout, "product %q (SKU %q, barcode %q): %s, tax %s\n", p.Name, p.SKU, p.Barcode, money.String(p.Price), taxCell(p.TaxRate))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the product's name")
	cmd.Flags().StringVar(&price, "price", "", "price, e.g. 12.50")
	cmd.Flags().StringVar(&barcode, "barcode", "", "barcode, unique ('' removes it)")
	cmd.Flags().StringVar(&rate, "tax-rate", "", "tax rate, a percentage (21), or 'outlet' for the outlet's default")
	cmd.Flags().BoolVar(&stock, "tracks-stock", true, "whether the product tracks stock")
	cmd.Flags().BoolVar(&published, "published", true, "whether the product is published for sale")
	c.addJSONFlag(cmd)
	return cmd
}

func displayName(name, variant string) string {
	if variant == "" {
		return name
	}
	return name + " - " + variant
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (c *cli) stockCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "stock", Short: "Show and adjust stock levels", Args: cobra.NoArgs}
	var outlet string
	list := listCommand(c, &cobra.Command{
		Use:   "list [--outlet OUTLET]",
		Short: "List stock levels at an outlet",
		Long:  "List every stock-tracked product with its level at the outlet. Levels may be negative.",
	},
		func(ctx context.Context) ([]inventory.StockRow, error) {
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			o, err := findOutlet(ctx, db, outlet)
			if err != nil {
				return nil, err
			}
			return inventory.Store{}.StockLevels(ctx, db, o.ID)
		},
		table[inventory.StockRow]{
			header: "SKU\tNAME\tON HAND\tPUBLISHED",
			row: func(r inventory.StockRow) []any {
				return []any{safeCell(r.SKU), safeCell(displayName(r.Name, r.VariantTitle)), r.OnHand, yesNo(r.Published)}
			},
		})
	list.Flags().StringVar(&outlet, "outlet", "", "the outlet (may be left out when there is one)")

	var (
		adjOutlet, adjSKU, adjNote string
		adjDelta                   int
	)
	adjust := &cobra.Command{
		Use:     "adjust --sku SKU --delta N [--outlet OUTLET]",
		Short:   "Change a product's stock at an outlet (a ledger movement)",
		Example: "  kassa stock adjust --sku CUP-ESP --delta 24 --note 'delivery 2026-11-25'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if adjSKU == "" || adjDelta == 0 {
				return usageError("stock adjust needs --sku and a non-zero --delta")
			}
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			var (
				p     inventory.Product // its SKU as stored, whatever case it was typed in
				level int
			)
			err = pg.WithTx(cmd.Context(), db, func(tx *sqlx.Tx) error {
				o, err := findOutlet(cmd.Context(), tx, adjOutlet)
				if err != nil {
					return err
				}
				p, level, err = inventory.Store{}.Adjust(cmd.Context(), tx, inventory.Adjustment{
					OutletID: o.ID, SKU: adjSKU, Delta: adjDelta, Note: adjNote,
				})
				return err
			})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{"sku": p.SKU, "on_hand": level})
			}
			fmt.Fprintf(c.stdout, "%s: %d on hand\n", p.SKU, level)
			return nil
		},
	}
	adjust.Flags().StringVar(&adjOutlet, "outlet", "", "the outlet (may be left out when there is one)")
	adjust.Flags().StringVar(&adjSKU, "sku", "", "the product's SKU")
	adjust.Flags().IntVar(&adjDelta, "delta", 0, "the change, e.g. 24 or -2")
	adjust.Flags().StringVar(&adjNote, "note", "", "why")
	c.addJSONFlag(adjust)
	cmd.AddCommand(list, adjust)
	cmd.AddCommand(c.stockSyncCommands()...)
	return cmd
}
