// Package deploy_test checks the files of deploy/ with the tools that read them, where the
// machine has them.
package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitIsValidAndHardened has systemd read deploy/kassa.service (with ExecStart
// pointed at a freshly built kassa): no unknown or misspelt setting, and an exposure
// level of at most 2.0 ("OK") by systemd's own security review.
func TestSystemdUnitIsValidAndHardened(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	t.Parallel()
	unit, err := os.ReadFile("kassa.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/kassa serve --migrate\n", "EnvironmentFile=/etc/kassa/kassa.env\n",
		"Restart=on-failure\n", "User=kassa\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("kassa.service lacks %q", strings.TrimSpace(want))
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kassa")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kassa")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "kassa.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/kassa"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	}
}

// TestEnvironmentFileSetsWhatKassaReads checks that deploy/kassa.env sets only variables
// kassa serve reads, each in the README's configuration table.
func TestEnvironmentFileSetsWhatKassaReads(t *testing.T) {
	t.Parallel()
	env, err := os.ReadFile("kassa.env")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	set := 0
	for _, line := range strings.Split(string(env), "\n") {
		name, _, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		set++
		if !bytes.Contains(readme, []byte("| `"+name+"` |")) {
			t.Errorf("kassa.env sets %s, which the README's configuration table does not list", name)
		}
	}
	if set == 0 {
		t.Fatal("kassa.env sets nothing")
	}
}
