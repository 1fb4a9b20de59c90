// Package staff keeps the API tokens staff (and their terminals and scripts) work with:
// each token's name, role, when it was made, last used and revoked, and the SHA-256 of the
// token, never the token itself. What the token is and who may do what with it is the
// daemon's (it makes, checks and revokes tokens through this store); the records of
// registers and sales name the token something was done with, and their reports show its
// name, which they read here.
//
// Owns tables: api_tokens.
package staff
