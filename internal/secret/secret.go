// Package secret encrypts the credentials kassa keeps in its database (a Shopify shop's
// access token and webhook secret, and later the app's client secret and its short-lived
// tokens), so that a dump or a backup of the database does not give them away.
//
// A Box seals a value with AES-256-GCM under a key that lives outside the database, in a
// key file. The sealed form is versioned and names the key that sealed it:
//
//	byte 0       format version (1)
//	bytes 1-8    key id: the first 8 bytes of SHA-256("kassa secret key" || key)
//	bytes 9-20   nonce (random)
//	bytes 21-    ciphertext and the 16-byte GCM tag
//
// The version byte, the key id and a caller's context string (e.g. which connection and
// which field) are authenticated with the ciphertext, so a sealed value copied into
// another row or field does not open.
//
// The key file holds one key per line (base64); lines starting with # are comments. The
// first key seals; every key in the file opens. Rotation (see StartRotation) puts a new
// key first and keeps the old ones until every value is sealed again under the new key.
// A Box reads its file again when it meets a key id it does not know, so a running daemon
// follows a rotation done by another process without a restart.
package secret

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

const (
	formatV1  byte = 1
	idSize         = 8
	nonceSize      = 12
	tagSize        = 16
	headerLen      = 1 + idSize + nonceSize
)

// Errors a Box returns; the errors it returns wrap them with the key file's path.
var (
	// ErrNoKeyFile: the key file does not exist (and the Box was asked to open a value).
	ErrNoKeyFile = errors.New("there is no secret key file")
	// ErrUnknownKey: the value was sealed with a key the key file does not hold.
	ErrUnknownKey = errors.New("the value was encrypted with another secret key")
	// ErrDamaged: the value is not a sealed value, or it was changed.
	ErrDamaged = errors.New("the encrypted value is damaged or was changed")
	// ErrUnsafeKeyFile: the key file can be read by other users.
	ErrUnsafeKeyFile = errors.New("the secret key file can be read by other users")
)

type key struct {
	id   [idSize]byte
	aead cipher.AEAD
}

func newKey(raw []byte) (key, error) {
	if len(raw) != KeySize {
		return key{}, fmt.Errorf("a secret key is %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, fmt.Errorf("make cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("make GCM: %w", err)
	}
	k := key{aead: aead}
	copy(k.id[:], keyID(raw))
	return k, nil
}

func keyID(raw []byte) []byte {
	h := sha256.Sum256(append([]byte("kassa secret key"), raw...))
	return h[:idSize]
}

// fileStamp is what the key file looked like when it was read, to notice a change.
type fileStamp struct {
	mod  time.Time
	size int64
	ino  uint64
}

func stampOf(fi fs.FileInfo) fileStamp {
	s := fileStamp{mod: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s
}

// Box seals and opens values. Build it with KeyFile (keys from a file, created with a new
// key the first time a value is sealed) or NewBox (keys in memory). It is safe for
// concurrent use.
type Box struct {
	path string // "" for keys held in memory only

	mu     sync.Mutex
	keys   []key // keys[0] seals
	loaded bool
	stamp  fileStamp
}

// KeyFile returns a Box whose keys are in the file at path. Nothing is read until the
// Box is used; the file (and its folder, mode 0700) is created with a new key, mode 0600,
// the first time a value is sealed.
func KeyFile(path string) *Box { return &Box{path: path} }

// NewBox returns a Box holding keys in memory; the first seals. Each key is KeySize bytes.
func NewBox(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("a box needs at least one key")
	}
	b := &Box{loaded: true}
	for _, raw := range keys {
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, k)
	}
	return b, nil
}

// NewKey returns a new random key.
func NewKey() ([]byte, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("make a secret key: %w", err)
	}
	return raw, nil
}

// Path is the key file's path; empty for a Box with keys in memory.
func (b *Box) Path() string { return b.path }

// Seal encrypts plaintext under the current key; context names what the value is (the
// same context must be given to Open). A Box on a key file that does not exist yet
// creates it first.
func (b *Box) Seal(plaintext []byte, context string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Read the file again if it changed since: another process may have rotated the key,
	// and a value sealed under a key being retired would be lost with it.
	if err := b.refresh(true); err != nil {
		return nil, err
	}
	k := b.keys[0]
	out := make([]byte, headerLen, headerLen+len(plaintext)+tagSize)
	out[0] = formatV1
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[1+idSize : headerLen]); err != nil {
		return nil, fmt.Errorf("make a nonce: %w", err)
	}
	return k.aead.Seal(out, out[1+idSize:headerLen], plaintext, aad(out[:1+idSize], context)), nil
}

// Open decrypts a value Seal made with the same context. It fails with ErrUnknownKey when
// the key file does not hold the key that sealed it, and with ErrDamaged when the value is
// not one Seal made for this context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < headerLen+tagSize || sealed[0] != formatV1 {
		return nil, ErrDamaged
	}
	var id [idSize]byte
	copy(id[:], sealed[1:])
	b.mu.Lock()
	if !b.loaded {
		if err := b.refresh(false); err != nil {
			b.mu.Unlock()
			return nil, err
		}
	}
	k, ok := b.find(id)
	if !ok && b.path != "" {
		// Another process may have rotated the key: read the file again.
		if _, err := b.load(); err != nil {
			b.mu.Unlock()
			return nil, err
		}
		k, ok = b.find(id)
	}
	b.mu.Unlock()
	if !ok {
		return nil, b.unknown(id)
	}
	plain, err := k.aead.Open(nil, sealed[1+idSize:headerLen], sealed[headerLen:], aad(sealed[:1+idSize], context))
	if err != nil {
		return nil, ErrDamaged
	}
	return plain, nil
}

func (b *Box) unknown(id [idSize]byte) error {
	if b.path == "" {
		return fmt.Errorf("%w (key %s)", ErrUnknownKey, hex.EncodeToString(id[:]))
	}
	return fmt.Errorf("%w (key %s), which %s does not hold", ErrUnknownKey, hex.EncodeToString(id[:]), b.path)
}

func aad(header []byte, context string) []byte {
	return append(append([]byte(nil), header...), context...)
}

func (b *Box) find(id [idSize]byte) (key, bool) {
	for _, k := range b.keys {
		if k.id == id {
			return k, true
		}
	}
	return key{}, false
}

// KeyOf returns the id (hex) of the key that sealed a value.
func KeyOf(sealed []byte) (string, error) {
	if len(sealed) < headerLen+tagSize || sealed[0] != formatV1 {
		return "", ErrDamaged
	}
	return hex.EncodeToString(sealed[1 : 1+idSize]), nil
}

// KeyIDs returns the ids (hex) of the Box's keys, the sealing key first. A Box on a key
// file that does not exist has none.
func (b *Box) KeyIDs() ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refresh(false); err != nil && !errors.Is(err, ErrNoKeyFile) {
		return nil, err
	}
	out := make([]string, 0, len(b.keys))
	for _, k := range b.keys {
		out = append(out, hex.EncodeToString(k.id[:]))
	}
	return out, nil
}

// refresh makes sure the keys are loaded and current: for a key file, it reads the file
// when it was not read yet or changed since. With create, a missing file is created with
// a new key; without, a missing file is ErrNoKeyFile.
func (b *Box) refresh(create bool) error {
	if b.path == "" {
		if len(b.keys) == 0 {
			return errors.New("the box has no key")
		}
		return nil
	}
	fi, err := os.Stat(b.path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := createKeyFile(b.path); err != nil {
			return err
		}
		_, err := b.load()
		return err
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w at %s", ErrNoKeyFile, b.path)
	case err != nil:
		return fmt.Errorf("read the secret key file: %w", err)
	}
	if b.loaded && stampOf(fi) == b.stamp {
		return nil
	}
	_, err = b.load()
	return err
}

// load reads the key file and returns its keys as bytes.
func (b *Box) load() ([][]byte, error) {
	f, err := os.Open(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoKeyFile, b.path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the secret key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read the secret key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; make it private with 'chmod 600 %s'", ErrUnsafeKeyFile, b.path, fi.Mode().Perm(), b.path)
	}
	raws, err := parseKeys(f, b.path)
	if err != nil {
		return nil, err
	}
	keys := make([]key, 0, len(raws))
	for _, raw := range raws {
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	b.keys, b.loaded, b.stamp = keys, true, stampOf(fi)
	return raws, nil
}

func parseKeys(f *os.File, path string) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("the secret key file %s is damaged: line %d is not a key", path, n)
		}
		out = append(out, raw)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the secret key file: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the secret key file %s holds no key", path)
	}
	return out, nil
}

const fileHeader = `# kassa's secret key: it encrypts the Shopify credentials stored in the database.
# Keep this file private (mode 0600) and back it up apart from the database: without it
# the stored credentials cannot be read, and the shops must be connected again.
# The first key encrypts; any further key only decrypts (while a rotation runs).
`

func encodeKeys(raws [][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	for _, raw := range raws {
		buf.WriteString(base64.StdEncoding.EncodeToString(raw))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// createKeyFile writes a key file with one new key, unless one exists by the time it is
// written (another process created it first: that one is kept).
func createKeyFile(path string) error {
	raw, err := NewKey()
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, encodeKeys([][]byte{raw}))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// A hard link appears whole and fails when the name is taken.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create the secret key file: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data to a new private file beside path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make the secret key folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".secret-key-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("write the secret key file: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write the secret key file: %w", err)
	}
	return f.Name(), nil
}

// replaceKeyFile writes keys to the key file in one step (a rename).
func replaceKeyFile(path string, raws [][]byte) error {
	tmp, err := writeTemp(path, encodeKeys(raws))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write the secret key file: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync the secret key folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync the secret key folder: %w", err)
	}
	return nil
}

// StartRotation makes a new key the sealing key of the key file and keeps the old keys
// in it, so that values sealed under them still open. It returns the new key's id. When
// the file already holds several keys (a rotation that was interrupted), it changes
// nothing and returns the current sealing key: the rotation resumes with it. A key file
// that does not exist is created.
func (b *Box) StartRotation() (string, error) {
	if b.path == "" {
		return "", errors.New("only a key file can be rotated")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.refresh(true); err != nil {
		return "", err
	}
	raws, err := b.load()
	if err != nil {
		return "", err
	}
	if len(raws) == 1 {
		fresh, err := NewKey()
		if err != nil {
			return "", err
		}
		raws = append([][]byte{fresh}, raws...)
		if err := replaceKeyFile(b.path, raws); err != nil {
			return "", err
		}
		if _, err := b.load(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(keyID(raws[0])), nil
}

// FinishRotation drops every key but the sealing key from the key file, once every value
// is sealed again under it. It returns the ids of the keys it dropped.
func (b *Box) FinishRotation() ([]string, error) {
	if b.path == "" {
		return nil, errors.New("only a key file can be rotated")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	raws, err := b.load()
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, raw := range raws[1:] {
		dropped = append(dropped, hex.EncodeToString(keyID(raw)))
	}
	if len(dropped) == 0 {
		return nil, nil
	}
	if err := replaceKeyFile(b.path, raws[:1]); err != nil {
		return nil, err
	}
	_, err = b.load()
	return dropped, err
}
