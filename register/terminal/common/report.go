package common

import (
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
// returns the file's path.
func SaveReport(dir, text string, nameParts ...string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make report folder: %w", err)
	}
	name := unsafeName.ReplaceAllString(strings.Join(nameParts, "-"), "_") + ".txt"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("save report: %w", err)
	}
	return path, nil
}
