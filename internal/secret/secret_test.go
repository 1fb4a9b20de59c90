package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	b := KeyFile(filepath.Join(t.TempDir(), "kassa", "secret.key"))
	sealed, err := b.Seal([]byte("shpat_abc"), "connection 1 access_token")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("shpat_abc")) {
		t.Fatal("the sealed value holds the plain text")
	}
	plain, err := b.Open(sealed, "connection 1 access_token")
	if err != nil || string(plain) != "shpat_abc" {
		t.Fatalf("open: %q, %v", plain, err)
	}
	// Sealing twice gives two different values (a fresh nonce each time).
	again, _ := b.Seal([]byte("shpat_abc"), "connection 1 access_token")
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one value are equal")
	}
	// A value sealed for one field does not open as another.
	if _, err := b.Open(sealed, "connection 2 access_token"); !errors.Is(err, ErrDamaged) {
		t.Errorf("open under another context: %v, want ErrDamaged", err)
	}
	// Any changed byte is refused.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x40
		if _, err := b.Open(bad, "connection 1 access_token"); err == nil {
			t.Fatalf("a value changed at byte %d opened", i)
		}
	}
	if _, err := b.Open([]byte("shpat_abc"), "x"); !errors.Is(err, ErrDamaged) {
		t.Errorf("open of plain text: %v, want ErrDamaged", err)
	}
}

func TestKeyFileIsCreatedPrivateOnFirstSeal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "config", "kassa")
	path := filepath.Join(dir, "secret.key")
	b := KeyFile(path)
	if _, err := b.Open(make([]byte, 64), "x"); err == nil {
		t.Fatal("open with no key file succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("opening a value created the key file (%v); only sealing may", err)
	}
	if _, err := b.Seal([]byte("s"), "x"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("key folder mode %04o, want 0700", di.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".secret-key-*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestConcurrentFirstSealsAgreeOnOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	const n = 8
	sealed := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if sealed[i], err = KeyFile(path).Seal([]byte("v"), "c"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	reader := KeyFile(path)
	for i, s := range sealed {
		if _, err := reader.Open(s, "c"); err != nil {
			t.Errorf("value %d sealed by a racing first use does not open: %v", i, err)
		}
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	sealed, err := KeyFile(path).Seal([]byte("v"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = KeyFile(path).Open(sealed, "c")
	if !errors.Is(err, ErrUnsafeKeyFile) || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("open with a group-readable key file: %v, want a refusal that says to chmod 600", err)
	}
	if _, err := KeyFile(path).Seal([]byte("v"), "c"); !errors.Is(err, ErrUnsafeKeyFile) {
		t.Fatalf("seal with a group-readable key file: %v, want a refusal", err)
	}
}

func TestDamagedKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(path, []byte("# comment\nnot-a-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := KeyFile(path).Seal([]byte("v"), "c")
	if err == nil || !strings.Contains(err.Error(), "line 2 is not a key") {
		t.Fatalf("seal with a damaged key file: %v", err)
	}
}

func TestAnotherKeyIsNamed(t *testing.T) {
	t.Parallel()
	k1, _ := NewKey()
	k2, _ := NewKey()
	b1, _ := NewBox(k1)
	b2, _ := NewBox(k2)
	sealed, err := b1.Seal([]byte("v"), "c")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := KeyOf(sealed)
	_, err = b2.Open(sealed, "c")
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), id) {
		t.Fatalf("open with another key: %v, want ErrUnknownKey naming %s", err, id)
	}
	both, _ := NewBox(k2, k1)
	if _, err := both.Open(sealed, "c"); err != nil {
		t.Fatalf("a box holding the old key as a second key: %v", err)
	}
	again, _ := both.Seal([]byte("v"), "c")
	if got, _ := KeyOf(again); got == id {
		t.Error("a box sealed with its second key, not its first")
	}
}

// A rotation done through one Box is followed by another Box on the same file (another
// process, e.g. a running daemon) without being told.
func TestRotationIsFollowedByOtherBoxes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	daemon, admin := KeyFile(path), KeyFile(path)
	old, err := daemon.Seal([]byte("token"), "c")
	if err != nil {
		t.Fatal(err)
	}
	oldID, _ := KeyOf(old)
	newID, err := admin.StartRotation()
	if err != nil {
		t.Fatal(err)
	}
	if newID == oldID {
		t.Fatal("the rotation kept the old key as the sealing key")
	}
	// Resuming an interrupted rotation keeps the new key.
	if again, err := admin.StartRotation(); err != nil || again != newID {
		t.Fatalf("second StartRotation: %s, %v; want %s again", again, err, newID)
	}
	// During the rotation both keys open, and the daemon seals with the new key.
	if _, err := daemon.Open(old, "c"); err != nil {
		t.Fatalf("old value during the rotation: %v", err)
	}
	resealed, err := admin.Seal([]byte("token"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyOf(resealed); id != newID {
		t.Fatalf("sealed under %s during the rotation, want %s", id, newID)
	}
	fromDaemon, err := daemon.Seal([]byte("token"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := KeyOf(fromDaemon); id != newID {
		t.Errorf("the daemon still seals under %s after the rotation started, want %s", id, newID)
	}
	dropped, err := admin.FinishRotation()
	if err != nil || len(dropped) != 1 || dropped[0] != oldID {
		t.Fatalf("FinishRotation: %v, %v; want [%s]", dropped, err, oldID)
	}
	if plain, err := daemon.Open(resealed, "c"); err != nil || string(plain) != "token" {
		t.Fatalf("the daemon opens the re-sealed value: %q, %v", plain, err)
	}
	if _, err := KeyFile(path).Open(old, "c"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("the old value after the rotation: %v, want ErrUnknownKey", err)
	}
	ids, err := KeyFile(path).KeyIDs()
	if err != nil || len(ids) != 1 || ids[0] != newID {
		t.Fatalf("keys after the rotation: %v, %v", ids, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after the rotation: %04o", fi.Mode().Perm())
	}
}
