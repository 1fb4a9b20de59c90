package shopifysim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// graphQLBody is a GraphQL request: application/json with query, variables and
// operationName, or application/graphql with the query alone.
type graphQLBody struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// graphQLAnswer is the answer's shape: errors (when any), data, extensions, in Shopify's
// order.
type graphQLAnswer struct {
	Errors     []gqlError     `json:"errors,omitempty"`
	Data       any            `json:"data,omitempty"`
	Extensions *gqlExtensions `json:"extensions,omitempty"`
}

type gqlExtensions struct {
	Cost queryCost `json:"cost"`
}

// resolvers are the GraphQL field resolvers, by type and field; each resource adds its own
// (graphqlshop.go, graphqlwebhooks.go).
func (s *Server) resolvers() map[string]map[string]gqlFieldFunc {
	out := map[string]map[string]gqlFieldFunc{}
	add := func(m map[string]map[string]gqlFieldFunc) {
		for typ, fields := range m {
			if out[typ] == nil {
				out[typ] = map[string]gqlFieldFunc{}
			}
			for f, fn := range fields {
				out[typ][f] = fn
			}
		}
	}
	add(s.shopResolvers())
	add(s.hooks.resolvers())
	add(s.orderResolvers())
	add(s.bulk.resolvers())
	add(s.catalog.resolvers())
	return out
}

// serveGraphQL answers POST /admin/api/{version}/graphql.json for an authenticated token.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *apiRequest, tok *accessToken) {
	if r.Method != http.MethodPost {
		writeMethodNotAllowed(w)
		return
	}
	var body graphQLBody
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if ct == "application/graphql" {
		body.Query = string(raw)
	} else if err := json.Unmarshal(raw, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, graphQLAnswer{Errors: []gqlError{{Message: "Invalid JSON in request body"}}})
		return
	}
	if body.Query == "" {
		writeJSON(w, http.StatusOK, graphQLAnswer{Errors: []gqlError{{Message: "No query string was present"}}})
		return
	}
	schema, err := AdminSchema()
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}
	doc, op, vars, errs := gqlParse(schema, body.Query, body.OperationName, body.Variables)
	if errs != nil {
		writeJSON(w, http.StatusOK, graphQLAnswer{Errors: errs})
		return
	}
	rc := &gqlRequest{s: s, schema: schema, resolvers: s.gqlResolvers, doc: doc, op: op, vars: vars, token: tok}
	requested := rc.requestedCost()
	cost := queryCost{RequestedQueryCost: requested}
	if requested > maxQueryCost {
		cost.ThrottleStatus = s.costs.refund(0)
		s.log.Debug().Int("requested_cost", requested).Msg("graphql query over the cost limit")
		writeJSON(w, http.StatusOK, graphQLAnswer{
			Errors: []gqlError{{
				Message: fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\n"+
					"See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"+
					"cost of a query is calculated.\n\n"+
					"To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"+
					"See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, maxQueryCost),
				Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxQueryCost},
			}},
			Extensions: &gqlExtensions{Cost: cost},
		})
		return
	}
	ok, status := s.costs.take(requested)
	if !ok {
		s.nThrottle.Add(1)
		cost.ThrottleStatus = status
		writeJSON(w, http.StatusOK, graphQLAnswer{
			Errors: []gqlError{{
				Message:    "Throttled",
				Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
			}},
			Extensions: &gqlExtensions{Cost: cost},
		})
		return
	}
	data := rc.execute()
	actual := rc.actual
	s.nPoints.Add(int64(actual))
	cost.ActualQueryCost = &actual
	cost.ThrottleStatus = s.costs.refund(requested - actual)
	ans := graphQLAnswer{Errors: rc.errors, Data: data, Extensions: &gqlExtensions{Cost: cost}}
	if data == nil {
		// The data key is present, and null, when an error reached the root.
		b, err := json.Marshal(struct {
			Errors     []gqlError     `json:"errors,omitempty"`
			Data       any            `json:"data"`
			Extensions *gqlExtensions `json:"extensions"`
		}{ans.Errors, nil, ans.Extensions})
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		writeRaw(w, http.StatusOK, b)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}
