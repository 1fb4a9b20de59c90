package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// secretKeyPath is where kassa's secret key file is: $KASSA_SECRET_KEY_FILE, else
// kassa/secret.key in the user's configuration folder ($XDG_CONFIG_HOME, else ~/.config).
func (c *cli) secretKeyPath() (string, error) {
	if p := strings.TrimSpace(c.getenv("KASSA_SECRET_KEY_FILE")); p != "" {
		return filepath.Abs(p)
	}
	if d := c.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "kassa", "secret.key"), nil
	}
	if h := c.getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "kassa", "secret.key"), nil
	}
	return "", errors.New("kassa cannot tell where its secret key file is: set KASSA_SECRET_KEY_FILE (or HOME)")
}

// secrets is the Box on kassa's secret key file. Nothing is read until it is used; the
// file is created, with a new key, the first time a credential is stored.
func (c *cli) secrets() (*secret.Box, error) {
	path, err := c.secretKeyPath()
	if err != nil {
		return nil, err
	}
	return secret.KeyFile(path), nil
}

// sealPlainCredentials seals the credentials of connections made before kassa encrypted
// them (see migration 12); it needs the key only when there are some.
func (c *cli) sealPlainCredentials(ctx context.Context, db *sqlx.DB) (int, *secret.Box, error) {
	box, boxErr := c.secrets()
	n, err := shopify.ConnectionStore{Secrets: box}.SealPlainCredentials(ctx, db)
	if errors.Is(err, shopify.ErrNoSecrets) && boxErr != nil {
		return 0, nil, fmt.Errorf("the Shopify credentials in the database are not encrypted yet: %w", boxErr)
	}
	return n, box, err
}

func (c *cli) secretCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Show and rotate the key that encrypts the stored Shopify credentials",
		Long: `kassa encrypts the Shopify credentials it stores in the database (AES-256-GCM) with a key
kept in a file outside the database: $KASSA_SECRET_KEY_FILE, else kassa/secret.key in the
user's configuration folder ($XDG_CONFIG_HOME, else ~/.config). kassa creates it, mode 0600,
the first time it stores a credential, and refuses a key file other users can read. Back it
up apart from the database: without it the credentials cannot be read again.`,
		Args: cobra.NoArgs,
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the key file, its keys and what the stored credentials are encrypted with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			box, err := c.secrets()
			if err != nil {
				return err
			}
			ids, err := box.KeyIDs()
			if err != nil {
				return err
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			counts, err := shopify.ConnectionStore{}.CredentialKeys(ctx, db)
			if err != nil {
				return err
			}
			if c.jsonOut {
				type count struct {
					KeyID string `json:"key_id"`
					Count int    `json:"count"`
				}
				out := struct {
					KeyFile     string   `json:"key_file"`
					Keys        []string `json:"keys"`
					Credentials []count  `json:"credentials"`
				}{KeyFile: box.Path(), Keys: append([]string{}, ids...), Credentials: []count{}}
				for _, n := range counts {
					out.Credentials = append(out.Credentials, count{n.KeyID, n.Count})
				}
				return c.printJSON(out)
			}
			fmt.Fprintf(c.stdout, "key file: %s\n", box.Path())
			switch len(ids) {
			case 0:
				fmt.Fprintln(c.stdout, "keys:     none yet (kassa makes one when it first stores a credential)")
			default:
				fmt.Fprintf(c.stdout, "keys:     %s (encrypts)", ids[0])
				for _, id := range ids[1:] {
					fmt.Fprintf(c.stdout, ", %s (decrypts only: a rotation is unfinished)", id)
				}
				fmt.Fprintln(c.stdout)
			}
			if len(counts) == 0 {
				fmt.Fprintln(c.stdout, "stored credentials: none")
			}
			for _, n := range counts {
				switch {
				case n.KeyID == "":
					fmt.Fprintf(c.stdout, "stored credentials: %d in plain text (run 'kassa migrate up' to encrypt them)\n", n.Count)
				case len(ids) > 0 && n.KeyID == ids[0]:
					fmt.Fprintf(c.stdout, "stored credentials: %d encrypted under key %s\n", n.Count, n.KeyID)
				default:
					fmt.Fprintf(c.stdout, "stored credentials: %d encrypted under key %s, which is not this file's encrypting key\n", n.Count, n.KeyID)
				}
			}
			return nil
		},
	}
	c.addJSONFlag(status)

	var keepOld bool
	rotate := &cobra.Command{
		Use:   "rotate [--keep-old-key]",
		Short: "Encrypt every stored credential again under a new key, then drop the old key",
		Long: `Rotate the secret key: put a new key first in the key file (the old key stays in it, so
everything stays readable meanwhile), encrypt every stored credential of the database again
under the new key in one transaction, then remove the old key from the file. Running daemons
read the new key file by themselves. When the rotation is interrupted, run it again: it
finishes with the same new key.

Database backups made before the rotation hold credentials under the old key: keep a copy of
the old key file with them, or connect the shops again after restoring one. When one key
file serves several databases, rotate each with --keep-old-key but the last.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			box, err := c.secrets()
			if err != nil {
				return err
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			newID, err := box.StartRotation()
			if err != nil {
				return err
			}
			n, err := shopify.ConnectionStore{Secrets: box}.ResealCredentials(ctx, db)
			if err != nil {
				return fmt.Errorf("%w (the key file keeps both keys: run 'kassa secret rotate' again)", err)
			}
			var dropped []string
			if !keepOld {
				if dropped, err = box.FinishRotation(); err != nil {
					return err
				}
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{"key_file": box.Path(), "key_id": newID, "encrypted_again": n,
					"dropped_keys": append([]string{}, dropped...)})
			}
			fmt.Fprintf(c.stdout, "encrypted %d stored credential(s) again under the new key %s\n", n, newID)
			switch {
			case keepOld:
				fmt.Fprintf(c.stdout, "the old key stays in %s: rotate the other databases that use it, the last without --keep-old-key\n", box.Path())
			case len(dropped) > 0:
				fmt.Fprintf(c.stdout, "removed the old key %s from %s; backups made before now need a copy of the old key file\n",
					strings.Join(dropped, ", "), box.Path())
			}
			return nil
		},
	}
	rotate.Flags().BoolVar(&keepOld, "keep-old-key", false, "leave the old key in the file (another database still uses it)")
	c.addJSONFlag(rotate)
	cmd.AddCommand(status, rotate)
	return cmd
}

// credentialSource says where shopify connect takes one credential from.
type credentialSource struct {
	what     string // "the Admin API access token"
	prompt   string // "Shopify Admin API access token"
	file     string // --token-file
	fileFlag string
	value    string // --token (deprecated)
	flag     string
	env      string // KASSA_SHOPIFY_TOKEN
}

// credential reads one credential: from its file flag (a trailing newline ignored), else
// the deprecated bare flag (with a warning: it shows in ps and the shell's history), else
// its environment variable, else a prompt that does not echo, when kassa runs on a
// terminal.
func (c *cli) credential(cmd *cobra.Command, s credentialSource) (string, error) {
	fileSet, valueSet := cmd.Flags().Changed(s.fileFlag), cmd.Flags().Changed(s.flag)
	switch {
	case fileSet && valueSet:
		return "", usageError("give --%s or --%s, not both", s.fileFlag, s.flag)
	case fileSet:
		return readCredentialFile(s)
	case valueSet:
		fmt.Fprintf(c.stderr, "kassa: warning: --%s shows %s to every user of this machine (ps) and keeps it in the shell's history: use --%s or %s instead\n",
			s.flag, s.what, s.fileFlag, s.env)
		if strings.TrimSpace(s.value) == "" {
			return "", usageError("--%s is empty", s.flag)
		}
		return s.value, nil
	}
	if v := strings.TrimRight(c.getenv(s.env), "\r\n"); v != "" {
		return v, nil
	}
	if c.stdin != nil && isTerminal(c.stdin) && isTerminal(c.stderr) {
		fmt.Fprintf(c.stderr, "%s (not shown as you type): ", s.prompt)
		b, err := term.ReadPassword(c.stdin.Fd())
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("could not read %s from the terminal", s.what)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", usageError("%s is empty", s.what)
		}
		return v, nil
	}
	return "", usageError("shopify connect needs %s: give --%s FILE or set %s (on a terminal kassa asks for it)", s.what, s.fileFlag, s.env)
}

func readCredentialFile(s credentialSource) (string, error) {
	b, err := os.ReadFile(s.file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", usageError("--%s %q cannot be read: %v", s.fileFlag, s.file, err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	switch {
	case strings.TrimSpace(v) == "":
		return "", usageError("--%s %q is empty: it should hold %s", s.fileFlag, s.file, s.what)
	case strings.ContainsAny(v, "\r\n"):
		return "", usageError("--%s %q holds more than one line: it should hold only %s", s.fileFlag, s.file, s.what)
	}
	return v, nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
