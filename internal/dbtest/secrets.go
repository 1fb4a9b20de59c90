package dbtest

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/kassa-pos/kassa/internal/secret"
)

// testKey is the secret key of the tests: fixed, so that every Box Secrets returns opens
// what any other sealed. It protects nothing.
var testKey = sha256.Sum256([]byte("kassa test secret key"))

// Secrets returns a Box on the tests' fixed key, to seal and open the Shopify credentials
// a test stores: the store that connects a shop and the daemon or importer that reads it
// may each take their own.
func Secrets() *secret.Box {
	b, err := secret.NewBox(testKey[:])
	if err != nil {
		panic("dbtest: " + err.Error())
	}
	return b
}

// SecretKeyFile writes the tests' key to a private key file and returns its path, for a
// kassa subprocess (KASSA_SECRET_KEY_FILE) that must read what Secrets sealed.
func SecretKeyFile(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(testKey[:])+"\n"), 0o600); err != nil {
		tb.Fatalf("dbtest: write the secret key file: %v", err)
	}
	return path
}
