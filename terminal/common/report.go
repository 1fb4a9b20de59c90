package common

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ClosedMsg tells every screen that this terminal closed a session, so the reports
// screen can list its closing report.
type ClosedMsg struct {
	SessionID int64
	Register  string
	ClosedAt  string
	Path      string
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SaveReport writes a printable report into dir under a name made of its parts and
// returns the file's path. A report tells the day's takings: the file is private (0600),
// in a private folder (0700) that is made when missing. A folder that other users can
// enter is refused rather than changed: kassa does not change the modes of folders it did
// not make.
func SaveReport(dir, text string, nameParts ...string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make the report folder %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("read the report folder %s: %w", dir, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the report folder %s can be opened by other users (mode %04o): make it private with 'chmod 700 %s' or choose another --report-dir",
			dir, fi.Mode().Perm(), dir)
	}
	name := unsafeName.ReplaceAllString(strings.Join(nameParts, "-"), "_") + ".txt"
	path := filepath.Join(dir, name)
	// A new private file renamed over the name: a report saved before with a wider mode
	// is replaced, never reused.
	f, err := os.CreateTemp(dir, ".report-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("save report: %w", err)
	}
	_, werr := f.WriteString(text)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("save report: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("save report: %w", err)
	}
	return path, nil
}
