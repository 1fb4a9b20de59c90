package inventory

import (
	"fmt"
	"strings"
)

// currencies are the ISO 4217 codes of the currencies in circulation (the standard's
// list of active codes, less the fund codes, precious metals, special drawing rights and
// test codes, which no shop sells in). Codes the standard has withdrawn are left out:
// HRK (Croatia uses the euro since 2023), BGN (Bulgaria since 2026), ANG (replaced by
// XCG in 2025), SLL, ZWL, CUC. An outlet made before such a change keeps its code.
var currencies = setOf(`
	AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
	BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
	GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
	KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
	MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
	RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
	TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
	ZWG`)

func setOf(list string) map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Fields(list) {
		out[c] = true
	}
	return out
}

// NormalizeCurrency returns the ISO 4217 code of a currency in circulation, upper-cased
// ("eur" is EUR), or an error wrapping ErrInvalidCurrency.
func NormalizeCurrency(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !currencies[c] {
		return "", fmt.Errorf("currency %q: %w", code, ErrInvalidCurrency)
	}
	return c, nil
}
