package sales_test

import (
	"context"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sales"
)

// TestResolveCustomers checks how an import's orders find their customers: by e-mail
// whatever its case (details filled in), without e-mail by the remembered channel id, else
// a new customer; channel ids are remembered once, for the first customer they named.
func TestResolveCustomers(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	const shop = "demo.myshopify.com"
	anna, err := st.UpsertCustomer(ctx, db, sales.Customer{Email: "Anna@Example.be", FirstName: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := st.UpsertCustomer(ctx, db, sales.Customer{FirstName: "Known guest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkCustomer(ctx, db, guest.ID, "shopify", shop, 900); err != nil {
		t.Fatal(err)
	}
	refs := []sales.CustomerRef{
		{Customer: sales.Customer{Email: "anna@example.be", LastName: "Peeters", City: "Gent"}, ExternalID: 501}, // found, completed
		{Customer: sales.Customer{Email: "bob@example.be", FirstName: "Bob"}},                                    // made
		{Customer: sales.Customer{Email: "BOB@example.be", FirstName: "Robert"}, ExternalID: 502},                // the same Bob
		{Customer: sales.Customer{FirstName: "Guest"}, ExternalID: 900},                                          // remembered
		{Customer: sales.Customer{FirstName: "New guest", City: "Brugge"}, ExternalID: 901},                      // made
		{Customer: sales.Customer{FirstName: "New guest again"}, ExternalID: 901},                                // the same
		{Customer: sales.Customer{Email: "anna@example.be"}, ExternalID: 503},                                    // Anna, another id
		{Customer: sales.Customer{Email: "ignored@example.be"}, ID: anna.ID, ExternalID: 501, Linked: true},      // known already
	}
	ids, err := st.ResolveCustomers(ctx, db, "shopify", shop, refs)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != anna.ID || ids[6] != anna.ID || ids[7] != anna.ID {
		t.Errorf("Anna resolved to %d, %d, %d, want %d", ids[0], ids[6], ids[7], anna.ID)
	}
	if ids[1] == 0 || ids[2] != ids[1] || ids[1] == anna.ID {
		t.Errorf("Bob resolved to %d and %d", ids[1], ids[2])
	}
	if ids[3] != guest.ID {
		t.Errorf("the remembered guest resolved to %d, want %d", ids[3], guest.ID)
	}
	if ids[4] == 0 || ids[5] != ids[4] || ids[4] == guest.ID {
		t.Errorf("the new guest resolved to %d and %d", ids[4], ids[5])
	}
	a, err := st.CustomerByEmail(ctx, db, "ANNA@example.be")
	if err != nil || a.Name() != "Anna Peeters" || a.City != "Gent" || a.Email != "Anna@Example.be" {
		t.Errorf("Anna after the import: %+v, %v", a, err)
	}
	if b, err := st.CustomerByEmail(ctx, db, "bob@example.be"); err != nil || b.FirstName != "Bob" {
		t.Errorf("Bob (the first order's details count): %+v, %v", b, err)
	}
	var links []struct {
		ExternalID int64 `db:"external_id"`
		CustomerID int64 `db:"customer_id"`
	}
	if err := db.Select(&links, `SELECT external_id, customer_id FROM customer_external_ids ORDER BY external_id`); err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{501: anna.ID, 502: ids[1], 503: anna.ID, 900: guest.ID, 901: ids[4]}
	if len(links) != len(want) {
		t.Errorf("remembered %+v, want %v", links, want)
	}
	for _, l := range links {
		if want[l.ExternalID] != l.CustomerID {
			t.Errorf("channel customer %d remembered for customer %d, want %d", l.ExternalID, l.CustomerID, want[l.ExternalID])
		}
	}
	var newGuest struct {
		Email string `db:"email"`
		First string `db:"first_name"`
		City  string `db:"city"`
	}
	if err := db.Get(&newGuest, `SELECT email, first_name, city FROM customers WHERE id = $1`, ids[4]); err != nil ||
		newGuest.Email != "" || newGuest.First != "New guest" || newGuest.City != "Brugge" {
		t.Errorf("the new guest: %+v, %v", newGuest, err)
	}

	// Again: everything is found, nothing is made.
	before := dbtest.Counts(t, db)
	again, err := st.ResolveCustomers(ctx, db, "shopify", shop, refs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		if again[i] != ids[i] {
			t.Errorf("ref %d resolved to %d the second time, %d the first", i, again[i], ids[i])
		}
	}
	dbtest.Unchanged(t, db, before)
}
