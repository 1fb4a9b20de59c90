package common

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveReportIsPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state", "kassa", "reports")
	path, err := SaveReport(dir, "CLOSING REPORT\n", "closing", "Gent/Front", "12")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir || filepath.Base(path) != "closing-Gent_Front-12.txt" {
		t.Errorf("saved as %s", path)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o (%v), want %04o", p, fi.Mode().Perm(), err, want)
		}
	}
	// A report saved before with a wider mode is replaced by a private one.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SaveReport(dir, "AGAIN\n", "closing", "Gent/Front", "12"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("report saved again: mode %04o, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != "AGAIN\n" {
		t.Errorf("report reads %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".report-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestSaveReportRefusesAFolderOthersCanOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	_, err := SaveReport(dir, "CLOSING REPORT\n", "closing", "1")
	if err == nil || !strings.Contains(err.Error(), "make it private with 'chmod 700 "+dir+"'") {
		t.Fatalf("save into a folder of mode 0755: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written into the shared folder: %v", entries)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("the folder's mode was changed to %04o", fi.Mode().Perm())
	}
}
