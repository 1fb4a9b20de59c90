package shopifyapi

import (
	"testing"

	goshopify "github.com/bold-commerce/go-shopify/v4"
)

func TestNextPageReadsTheLinkHeader(t *testing.T) {
	t.Parallel()
	const base = "https://demo.myshopify.com/admin/api/2024-10/orders.json"
	tests := []struct {
		name, header string
		want         *goshopify.ListOptions
		wantErr      bool
	}{
		{"no header: the last page", "", nil, false},
		{"next only", `<` + base + `?limit=250&page_info=abc>; rel="next"`, &goshopify.ListOptions{PageInfo: "abc", Limit: 250}, false},
		{"previous only: the last page", `<` + base + `?page_info=p>; rel="previous"`, nil, false},
		{"both, next second", `<` + base + `?page_info=p>; rel="previous", <` + base + `?page_info=n&limit=10>; rel="next"`, &goshopify.ListOptions{PageInfo: "n", Limit: 10}, false},
		{"next without a limit", `<` + base + `?page_info=n>; rel="next"`, &goshopify.ListOptions{PageInfo: "n"}, false},
		{"unknown relation", `<` + base + `?page_info=n>; rel="last"`, nil, true},
		{"not a link", `page_info=n`, nil, true},
		{"no page_info", `<` + base + `?limit=250>; rel="next"`, nil, true},
		{"bad limit", `<` + base + `?page_info=n&limit=ten>; rel="next"`, nil, true},
		{"bad previous beside a good next", `<` + base + `>; rel="previous", <` + base + `?page_info=n>; rel="next"`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := nextPage(tc.header)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (got.PageInfo != tc.want.PageInfo || got.Limit != tc.want.Limit) {
				t.Fatalf("next = %+v, want %+v", got, tc.want)
			}
		})
	}
}
