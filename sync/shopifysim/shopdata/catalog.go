package shopdata

import (
	"github.com/shopspring/decimal"
)

// taxClass is how a product is taxed. EU orders charge the class's VAT rate; US orders charge
// the state's sales taxes on every taxable product.
type taxClass int

const (
	taxStandard     taxClass = iota // 21 % VAT
	taxReduced                      // 6 % VAT: food, books
	taxIntermediate                 // 12 % VAT: restaurant-style services
	taxNone                         // gift cards
)

// vatRate is the Belgian VAT rate of a tax class.
func (c taxClass) vatRate() decimal.Decimal {
	switch c {
	case taxStandard:
		return decimal.New(21, -2)
	case taxReduced:
		return decimal.New(6, -2)
	case taxIntermediate:
		return decimal.New(12, -2)
	default:
		return decimal.Zero
	}
}

type variantTemplate struct {
	title string
	code  string
	// price is the variant's price in cents; 0 means the product's base price.
	price int64
}

type productTemplate struct {
	title    string
	vendor   string
	code     string
	price    int64 // cents
	grams    int
	class    taxClass
	tracked  bool
	shipping bool // requires shipping
	giftCard bool
	noSKU    bool // variants have an empty SKU, as shops sometimes leave it blank
	variants []variantTemplate
}

// productTemplates is the shop's assortment: a Belgian concept store with a web shop. It is
// fixed rather than random so that tests and demos can name products; the seed varies
// everything else.
func productTemplates() []productTemplate {
	return []productTemplate{
		{title: "Linen Tea Towel", vendor: "Atelier Lin", code: "TOWEL", price: 1495, grams: 120, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Natural", "NAT", 0}, {"Sage", "SAG", 0}, {"Rust", "RUS", 0}, {"Charcoal", "CHA", 0}}},
		{title: "Stoneware Mug", vendor: "Klei & Co", code: "MUG", price: 1850, grams: 350, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"White", "WHT", 0}, {"Speckled", "SPK", 0}, {"Blue", "BLU", 0}}},
		{title: "Organic Coffee Beans 250g", vendor: "Brandhuis", code: "COFFEE", price: 980, grams: 260, class: taxReduced, tracked: true, shipping: true,
			variants: []variantTemplate{{"Whole bean", "WB", 0}, {"Filter grind", "FG", 0}, {"Espresso grind", "EG", 0}}},
		{title: "Belgian Chocolate Box", vendor: "Chocolaterie Marie", code: "CHOC", price: 1650, grams: 200, class: taxReduced, tracked: true, shipping: true,
			variants: []variantTemplate{{"9 pieces", "9", 0}, {"16 pieces", "16", 2400}, {"24 pieces", "24", 3450}}},
		{title: "Cookbook: Flemish Kitchen", vendor: "Lannoo", code: "BOOK-FK", price: 3499, grams: 900, class: taxReduced, tracked: true, shipping: true},
		{title: "Wool Scarf", vendor: "Atelier Lin", code: "SCARF", price: 4900, grams: 180, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Grey", "GRY", 0}, {"Camel", "CML", 0}, {"Navy", "NVY", 0}, {"Bordeaux", "BDX", 0}}},
		{title: "Beeswax Candle", vendor: "Bijenhof", code: "CANDLE", price: 1250, grams: 300, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Small", "S", 0}, {"Large", "L", 1950}}},
		{title: "Cotton Tote Bag", vendor: "Kassa Goods", code: "TOTE", price: 995, grams: 90, class: taxStandard, tracked: true, shipping: true},
		{title: "Olive Oil Soap", vendor: "Savonnerie Bruxelles", code: "SOAP", price: 650, grams: 110, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Lavender", "LAV", 0}, {"Citrus", "CIT", 0}, {"Unscented", "UNS", 0}}},
		{title: "Ceramic Plant Pot", vendor: "Klei & Co", code: "POT", price: 2700, grams: 800, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"S", "S", 0}, {"M", "M", 3500}, {"L", "L", 4500}}},
		{title: "Herbal Tea Tin", vendor: "Brandhuis", code: "TEA", price: 890, grams: 150, class: taxReduced, tracked: true, shipping: true,
			variants: []variantTemplate{{"Mint", "MNT", 0}, {"Chamomile", "CHM", 0}, {"Rooibos", "RBS", 0}, {"Earl Grey", "EGR", 0}}},
		{title: "Poster A3 Antwerpen", vendor: "Studio Schelde", code: "POSTER", price: 1900, grams: 60, class: taxStandard, tracked: false, shipping: true, noSKU: true},
		{title: "Notebook A5", vendor: "Kassa Goods", code: "NOTE", price: 1150, grams: 250, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Dotted", "DOT", 0}, {"Lined", "LIN", 0}, {"Blank", "BLK", 0}}},
		{title: "Linen Apron", vendor: "Atelier Lin", code: "APRON", price: 3900, grams: 260, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Natural", "NAT", 0}, {"Charcoal", "CHA", 0}}},
		{title: "Craft Beer Gift Pack", vendor: "Brouwerij De Kroon", code: "BEER", price: 2495, grams: 2100, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"4 bottles", "4", 0}, {"6 bottles", "6", 3295}}},
		{title: "Picture Book: Kiki in Gent", vendor: "Lannoo", code: "BOOK-KK", price: 1695, grams: 400, class: taxReduced, tracked: true, shipping: true},
		{title: "E-book: Brussels Walks", vendor: "Lannoo", code: "EBOOK-BW", price: 799, grams: 0, class: taxReduced, tracked: false, shipping: false},
		{title: "Pralines Ballotin 500g", vendor: "Chocolaterie Marie", code: "PRAL", price: 2950, grams: 550, class: taxReduced, tracked: true, shipping: true},
		{title: "Cooking Class Voucher", vendor: "Kassa Goods", code: "CLASS", price: 6500, grams: 0, class: taxIntermediate, tracked: false, shipping: false,
			variants: []variantTemplate{{"Weekday", "WD", 0}, {"Weekend", "WE", 7500}}},
		{title: "Reusable Water Bottle", vendor: "Kassa Goods", code: "BOTTLE", price: 2200, grams: 320, class: taxStandard, tracked: true, shipping: true,
			variants: []variantTemplate{{"Blue", "BLU", 0}, {"Green", "GRN", 0}, {"Black", "BLK", 0}, {"White", "WHT", 0}}},
		{title: "Gift Card", vendor: "Kassa Goods", code: "GIFT", price: 2500, grams: 0, class: taxNone, tracked: false, shipping: false, giftCard: true,
			variants: []variantTemplate{{"€25", "25", 0}, {"€50", "50", 5000}, {"€100", "100", 10000}}},
	}
}

// Id bases keep every kind of object in its own range, with magnitudes like Shopify's.
const (
	productIDBase       int64 = 8_100_000_000_000
	variantIDBase       int64 = 45_100_000_000_000
	inventoryItemIDBase int64 = 47_200_000_000_000
)

// catalogProduct is a product with its variants resolved into catalog items.
type catalogProduct struct {
	tmpl     productTemplate
	variants []CatalogItem
}

func buildCatalog() []catalogProduct {
	products := productTemplates()
	out := make([]catalogProduct, 0, len(products))
	for pi, p := range products {
		vs := p.variants
		if len(vs) == 0 {
			vs = []variantTemplate{{title: "Default Title"}}
		}
		cp := catalogProduct{tmpl: p, variants: make([]CatalogItem, 0, len(vs))}
		productID := productIDBase + int64(pi)*7919
		for vi, v := range vs {
			price := p.price
			if v.price != 0 {
				price = v.price
			}
			sku := p.code
			if v.code != "" {
				sku += "-" + v.code
			}
			if p.noSKU {
				sku = ""
			}
			n := int64(pi*8 + vi)
			cp.variants = append(cp.variants, CatalogItem{
				ProductID:        productID,
				VariantID:        variantIDBase + n*104729,
				InventoryItemID:  inventoryItemIDBase + n*104723,
				ProductTitle:     p.title,
				VariantTitle:     v.title,
				SKU:              sku,
				Vendor:           p.vendor,
				Price:            decimal.New(price, -2),
				Grams:            p.grams,
				Tracked:          p.tracked,
				GiftCard:         p.giftCard,
				Taxable:          !p.giftCard,
				RequiresShipping: p.shipping,
			})
		}
		out = append(out, cp)
	}
	return out
}
