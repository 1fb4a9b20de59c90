package shopdata

// The default shop time zone (Europe/Brussels) must load on machines without a zoneinfo
// database, such as minimal containers, so the zone database is embedded.
import _ "time/tzdata"
