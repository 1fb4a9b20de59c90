package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/terminal"
)

// terminalCommand is "kassa terminal", the register terminal UI for store staff.
func (c *cli) terminalCommand() *cobra.Command {
	var baseURL, token, reg, logFile, reportDir string
	cmd := &cobra.Command{
		Use:   "terminal",
		Short: "Run the register terminal: open and close the register, sales, payments, Shopify orders, reports",
		Long: `The register terminal is a full-screen, keyboard-driven UI for store staff. It talks to
a running kassa daemon ('kassa serve') with a token from 'kassa token create'.

The daemon's address, the token and the register are read from --url, --token and
--register, else KASSA_URL, KASSA_TOKEN and KASSA_REGISTER. The terminal logs to
--log-file (never to the screen) and saves closing reports as text in --report-dir
(default kassa/reports in $XDG_STATE_HOME, else ~/.local/state): private files (0600) in a
private folder (0700); a folder other users can open is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pick := func(flag, env, def string) string {
				if v := strings.TrimSpace(flag); v != "" {
					return v
				}
				if v := strings.TrimSpace(c.getenv(env)); v != "" {
					return v
				}
				return def
			}
			baseURL = pick(baseURL, "KASSA_URL", "http://127.0.0.1:8080")
			token = pick(token, "KASSA_TOKEN", "")
			reg = pick(reg, "KASSA_REGISTER", "")
			if u, err := url.Parse(baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageError("--url %q is not the daemon's address, e.g. http://127.0.0.1:8080", baseURL)
			}
			if token == "" {
				return usageError("the terminal needs a token: pass --token or set KASSA_TOKEN (create one with 'kassa token create --name NAME --role cashier')")
			}
			if logFile == "" {
				cache, err := c.cacheDir()
				if err != nil {
					return err
				}
				logFile = filepath.Join(cache, "terminal.log")
			}
			if reportDir == "" {
				state, err := c.stateDir()
				if err != nil {
					return err
				}
				reportDir = filepath.Join(state, "reports")
			}
			if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err != nil {
				return fmt.Errorf("make the log file's folder: %w", err)
			}
			f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("open log file: %w", err)
			}
			defer f.Close()
			log := zerolog.New(f).With().Timestamp().Str("component", "terminal").Logger()
			log.Info().Str("url", baseURL).Str("register", reg).Msg("terminal starting")
			cfg := terminal.Config{
				Register: reg, Clock: c.now, Logger: log, ReportDir: reportDir,
				Renderer: lipgloss.NewRenderer(c.stdout),
			}
			err = terminal.Run(cmd.Context(), terminal.NewClient(baseURL, token), cfg, os.Stdin, c.stdout)
			if err != nil {
				log.Error().Err(err).Msg("terminal stopped")
				return err
			}
			log.Info().Msg("terminal stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&baseURL, "url", "", "the kassa daemon's address (default: $KASSA_URL, else http://127.0.0.1:8080)")
	cmd.Flags().StringVar(&token, "token", "", "API token (default: $KASSA_TOKEN)")
	cmd.Flags().StringVar(&reg, "register", "", "register to work, e.g. Front or Gent/Front (default: $KASSA_REGISTER, else the only one)")
	cmd.Flags().StringVar(&logFile, "log-file", "", "where the terminal logs (default: kassa/terminal.log in the user's cache folder)")
	cmd.Flags().StringVar(&reportDir, "report-dir", "", "where closing reports are saved for printing, a private folder (default: kassa/reports in the user's state folder)")
	return cmd
}

// cacheDir is kassa's folder in the user's cache folder ($XDG_CACHE_HOME, else
// ~/.cache), read through the command's environment so tests can move it. There is no
// fallback to a shared folder such as /tmp.
func (c *cli) cacheDir() (string, error) {
	if d := c.getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "kassa"), nil
	}
	if h := c.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "kassa"), nil
	}
	return "", usageError("kassa cannot tell where the user's cache folder is: set HOME or give --log-file")
}

// stateDir is kassa's folder in the user's state folder ($XDG_STATE_HOME, else
// ~/.local/state), where the terminal keeps the closing reports it saves.
func (c *cli) stateDir() (string, error) {
	if d := c.getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "kassa"), nil
	}
	if h := c.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "kassa"), nil
	}
	return "", usageError("kassa cannot tell where the user's state folder is: set HOME or give --report-dir")
}
