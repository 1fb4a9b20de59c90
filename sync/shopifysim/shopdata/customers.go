package shopdata

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// region decides how an order is taxed: EU buyers pay VAT included in the price, US buyers
// pay state sales taxes on top.
type region int

const (
	regionEU region = iota
	regionUS
)

// usState is a US destination with its sales taxes (one or two per item) and whether
// shipping is taxed there.
type usState struct {
	name, code, city, zip string
	taxes                 []stateTax
	taxShipping           bool
}

type stateTax struct {
	title string
	rate  decimal.Decimal
}

func usStates() []usState {
	return []usState{
		{"New York", "NY", "New York", "10001",
			[]stateTax{{"New York State Tax", decimal.New(4, -2)}, {"New York City Tax", decimal.New(45, -3)}}, true},
		{"California", "CA", "San Francisco", "94103",
			[]stateTax{{"California State Tax", decimal.New(725, -4)}}, false},
		{"Texas", "TX", "Austin", "78701",
			[]stateTax{{"Texas State Tax", decimal.New(625, -4)}, {"Austin Municipal Tax", decimal.New(2, -2)}}, true},
		{"Washington", "WA", "Seattle", "98101",
			[]stateTax{{"Washington State Tax", decimal.New(65, -3)}}, true},
	}
}

type euPlace struct {
	city, zip, country, countryCode string
}

func euPlaces() []euPlace {
	return []euPlace{
		{"Antwerpen", "2000", "Belgium", "BE"}, {"Gent", "9000", "Belgium", "BE"},
		{"Brussel", "1000", "Belgium", "BE"}, {"Leuven", "3000", "Belgium", "BE"},
		{"Brugge", "8000", "Belgium", "BE"}, {"Liège", "4000", "Belgium", "BE"},
		{"Namur", "5000", "Belgium", "BE"}, {"Mechelen", "2800", "Belgium", "BE"},
		{"Amsterdam", "1012", "Netherlands", "NL"}, {"Utrecht", "3511", "Netherlands", "NL"},
		{"Lille", "59000", "France", "FR"}, {"Aachen", "52062", "Germany", "DE"},
	}
}

// vocab holds the names and places generated people are made of.
type vocab struct {
	euFirstNames, euLastNames, usFirstNames, usLastNames, streets, usStreets []string
	states                                                                   []usState
	places                                                                   []euPlace
	// fold drops what may not appear in the local part of a generated e-mail address.
	fold *strings.Replacer
}

func newVocab() vocab {
	return vocab{
		euFirstNames: []string{"Anna", "Lotte", "Sofie", "Emma", "Lucas", "Thomas", "Pieter", "Marie", "Julie", "Sarah",
			"Bram", "Wout", "Elise", "Camille", "Louis", "Hugo", "Noah", "Lena", "Jan", "Koen", "Zoë", "Amélie"},
		euLastNames: []string{"Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
			"Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Van Damme", "Vermeulen", "D'Hondt"},
		usFirstNames: []string{"Emily", "Michael", "Jessica", "David", "Ashley", "James", "Olivia", "Daniel"},
		usLastNames:  []string{"Johnson", "Smith", "Brown", "Garcia", "Miller", "Davis", "Wilson", "O'Brien"},
		streets: []string{"Kerkstraat", "Stationsstraat", "Dorpstraat", "Rue de la Loi", "Meir", "Veldstraat",
			"Bondgenotenlaan", "Rue Neuve", "Korenmarkt", "Grote Markt"},
		usStreets: []string{"Main Street", "Oak Avenue", "Maple Drive", "Elm Street", "Broadway"},
		states:    usStates(),
		places:    euPlaces(),
		fold:      strings.NewReplacer(" ", "", "'", "", "ë", "e", "é", "e"),
	}
}

// person is a generated buyer: a pool customer or a guest.
type person struct {
	firstName, lastName string
	email               string // canonical, lower case
	phone               *string
	region              region
	state               int // index into vocab.states for US buyers
	address             Address
}

func newPerson(rng *rand.Rand, v *vocab) person {
	p := person{region: regionEU}
	if rng.IntN(100) < 15 {
		p.region = regionUS
	}
	var domain string
	if p.region == regionEU {
		p.firstName = pick(rng, v.euFirstNames)
		p.lastName = pick(rng, v.euLastNames)
		domain = pick(rng, []string{"example.be", "example.com", "example.nl", "example.org"})
	} else {
		p.firstName = pick(rng, v.usFirstNames)
		p.lastName = pick(rng, v.usLastNames)
		domain = pick(rng, []string{"example.com", "example.net", "example.org"})
	}
	p.email = v.emailLocal(p.firstName) + "." + v.emailLocal(p.lastName) + "@" + domain
	if rng.IntN(100) < 60 {
		ph := phoneNumber(rng, p.region)
		p.phone = &ph
	}
	if p.region == regionEU {
		pl := pick(rng, v.places)
		p.address = Address{
			Address1:    pick(rng, v.streets) + " " + strconv.Itoa(1+rng.IntN(180)),
			City:        pl.city,
			Country:     pl.country,
			CountryCode: pl.countryCode,
			Zip:         pl.zip,
		}
	} else {
		p.state = rng.IntN(len(v.states))
		st := v.states[p.state]
		name, code := st.name, st.code
		p.address = Address{
			Address1:     strconv.Itoa(10+rng.IntN(4000)) + " " + pick(rng, v.usStreets),
			City:         st.city,
			Province:     &name,
			ProvinceCode: &code,
			Country:      "United States",
			CountryCode:  "US",
			Zip:          st.zip,
		}
	}
	p.address.FirstName = p.firstName
	p.address.LastName = p.lastName
	p.address.Name = p.firstName + " " + p.lastName
	p.address.Phone = p.phone
	if rng.IntN(100) < 8 {
		company := p.lastName + " BV"
		p.address.Company = &company
	}
	return p
}

// poolCustomer is one customer of the shop's repeat-customer pool.
type poolCustomer struct {
	person
	id        int64
	createdAt time.Time
	marketing bool
}

const customerIDBase int64 = 7_300_000_000_000

// buildCustomers creates the shop's customer pool, all registered before `before`. Names
// repeat, as in any real shop; e-mail addresses are unique per customer.
func buildCustomers(rng *rand.Rand, v *vocab, n int, before time.Time) []poolCustomer {
	seen := make(map[string]int, n)
	out := make([]poolCustomer, 0, n)
	id := customerIDBase
	for range n {
		id += 1 + rng.Int64N(50_000)
		c := poolCustomer{person: newPerson(rng, v), id: id}
		if k := seen[c.email]; k > 0 {
			local, domain, _ := strings.Cut(c.email, "@")
			seen[c.email]++
			c.email = local + strconv.Itoa(k+1) + "@" + domain
		} else {
			seen[c.email] = 1
		}
		c.marketing = rng.IntN(100) < 35
		c.createdAt = before.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
		out = append(out, c)
	}
	return out
}

// emailLocal turns a name into the ASCII part of an e-mail address.
func (v *vocab) emailLocal(name string) string {
	return strings.ToLower(v.fold.Replace(name))
}

// emailVariant returns the address with a different capitalisation, as buyers type it at
// checkout ("Anna.Peeters@Example.be" for "anna.peeters@example.be").
func emailVariant(rng *rand.Rand, email string) string {
	if rng.IntN(3) == 0 {
		return strings.ToUpper(email)
	}
	b := []byte(email)
	capNext := true
	for i, c := range b {
		if capNext && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		capNext = c == '.' || c == '@'
	}
	return string(b)
}

func phoneNumber(rng *rand.Rand, r region) string {
	if r == regionUS {
		return "+1" + strconv.Itoa(200+rng.IntN(700)) + strconv.Itoa(1_000_000+rng.IntN(8_999_999))
	}
	return "+324" + strconv.Itoa(70_000_000+rng.IntN(29_999_999))
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
