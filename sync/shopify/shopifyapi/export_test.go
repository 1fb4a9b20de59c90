package shopifyapi

// Exported for the tests of package shopifyapi_test.
var (
	// ReferenceDecodeOrder is DecodeOrder as it was before the single-pass decoder.
	ReferenceDecodeOrder = referenceDecodeOrder
	// DecodeFast is DecodeOrder's single pass alone (ok false when it gives up).
	DecodeFast = decodeFast
)
