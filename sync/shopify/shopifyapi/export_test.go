package shopifyapi

// Exported for the tests of package shopifyapi_test.
var (
	// ReferenceDecodeOrder is the encoding/json decoder DecodeOrder falls back on: the
	// single pass must agree with it on every input.
	ReferenceDecodeOrder = func(raw []byte) (Order, error) {
		return decodeReference(append([]byte(nil), raw...))
	}
	// DecodeFast is DecodeOrder's single pass alone (ok false when it gives up).
	DecodeFast = decodeFast
)
