package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// httpError is an answer other than success, with the message staff see.
type httpError struct {
	status int
	msg    string
}

// Error returns the message staff see.
func (e *httpError) Error() string { return e.msg }

// badRequest is a request the daemon cannot read (400).
func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// reply is a handler's successful answer: JSON, unless body is set.
type reply struct {
	status      int
	value       any
	contentType string
	body        []byte
}

func jsonReply(status int, v any) reply { return reply{status: status, value: v} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away: nothing left to tell it
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, client.ErrorBody{Error: oneLine(msg)})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// decodeBody reads a JSON request body of at most limit bytes into v, refusing unknown
// fields and trailing data, so that a misspelt field is an error, not silently ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the request body must hold one JSON object")
	}
	return nil
}

// bodyError says in one sentence what is wrong with a request body the JSON decoder
// refused: never the decoder's own words, which name Go types.
func bodyError(err error, limit int64) error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the request body is larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return badRequest("the request needs a JSON body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the request body ends before its JSON does")
	case errors.As(err, &syntax):
		return badRequest("the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return badRequest("the request body must be a JSON object, not %s", jsonValueName(typ.Value))
	case errors.As(err, &typ):
		kind := jsonKindOf(typ.Type)
		if amountFields[typ.Field[strings.LastIndex(typ.Field, ".")+1:]] {
			kind = `an amount in quotes, e.g. "150.00"`
		}
		return badRequest("%s must be %s, not %s", typ.Field, kind, jsonValueName(typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("the request body has an unknown field %s", name)
	}
	return badRequest("the request body is not valid JSON")
}

// amountFields are the request fields that hold money: a string, never a JSON number.
var amountFields = map[string]bool{"opening_float": true, "counted": true, "amount": true, "discount": true}

// jsonKindOf says what JSON a Go type takes.
func jsonKindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "text in quotes"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKindOf(t.Elem())
	}
	return "another kind of value"
}

// jsonValueName names the JSON the decoder met ("number", "string", "array", ...).
func jsonValueName(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "string":
		return "text"
	case "bool":
		return "true or false"
	case "":
		return "that"
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return v
}

// statusOf chooses the HTTP status of a domain error: 404 for what does not exist, 409
// for a conflict with the current state, 422 for a rule that refused the operation, 500
// for anything else.
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	switch {
	case errors.Is(err, register.ErrSaleNotFound),
		errors.Is(err, register.ErrNotFound), errors.Is(err, sales.ErrNotFound),
		errors.Is(err, inventory.ErrNotFound), errors.Is(err, shopify.ErrNotFound),
		errors.Is(err, shopify.ErrNoConnection), errors.Is(err, ErrTokenNotFound),
		errors.Is(err, register.ErrPaymentNotFound):
		return http.StatusNotFound
	case errors.Is(err, register.ErrSessionAlreadyOpen), errors.Is(err, register.ErrNoOpenSession),
		errors.Is(err, register.ErrSessionClosed), errors.Is(err, sales.ErrSessionClosed),
		errors.Is(err, register.ErrMoreThanBalance), errors.Is(err, sales.ErrOverpayment),
		errors.Is(err, register.ErrNothingOwed), errors.Is(err, register.ErrAlreadyVoided),
		errors.Is(err, shopify.ErrImportRunning), errors.Is(err, shopify.ErrDisconnected),
		errors.Is(err, register.ErrAmbiguous), errors.Is(err, sales.ErrAmbiguousReceipt),
		errors.Is(err, shopify.ErrSeveralConnections), errors.Is(err, register.ErrDuplicateRegister),
		errors.Is(err, inventory.ErrDuplicateOutlet), errors.Is(err, inventory.ErrArchived),
		errors.Is(err, inventory.ErrOutletInUse), errors.Is(err, register.ErrArchived),
		errors.Is(err, register.ErrOutletArchived), errors.Is(err, register.ErrRegisterInUse),
		errors.Is(err, register.ErrSaleAlreadyVoided), errors.Is(err, sales.ErrReturnAlreadyRecorded):
		return http.StatusConflict
	case errors.Is(err, register.ErrNotOwnSale):
		return http.StatusForbidden
	case errors.Is(err, register.ErrCountedTwice):
		return http.StatusUnprocessableEntity
	case errors.Is(err, register.ErrInvalidAmount), errors.Is(err, sales.ErrNonPositivePayment),
		errors.Is(err, register.ErrVoidReason), errors.Is(err, register.ErrCashReason),
		errors.Is(err, register.ErrBadQuantity), errors.Is(err, register.ErrBadDiscount),
		errors.Is(err, shopify.ErrInvalidShop):
		return http.StatusBadRequest
	}
	var refused *register.RefusedError
	if errors.As(err, &refused) {
		return http.StatusUnprocessableEntity
	}
	if errors.Is(err, register.ErrUnknownPaymentType) || errors.Is(err, sales.ErrUnknownPaymentType) {
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
