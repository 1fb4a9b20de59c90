package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kassa-pos/kassa/internal/pg"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// cli is what every command shares: where output goes, the environment and the
// database settings. It is built once per run; commands get it explicitly.
type cli struct {
	stdout, stderr io.Writer
	stdin          *os.File // read only to ask for a secret on a terminal
	getenv         func(string) string
	now            func() time.Time

	databaseURL string // --database-url
	jsonOut     bool   // --json, for the commands that print data

	conn *sqlx.DB // opened by database, closed when the command ends
}

// run executes one kassa command line and returns the process exit code. Errors are
// printed as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, stdin: os.Stdin, getenv: getenv, now: time.Now}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	defer func() {
		if c.conn != nil {
			c.conn.Close()
		}
	}()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "kassa: "+oneLine(staffError(err)))
		return 1
	}
	return 0
}

// staffError is the last guard between an error and staff: the driver's own prefixes
// and codes go ("pq: ... (23505)" reads as PostgreSQL's message), an interrupted command
// says so. Errors are worded for staff where they arise; this only catches what slipped.
func staffError(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("stopped: the command was interrupted")
	}
	msg := err.Error()
	var (
		pqErr   *pq.Error
		opErr   *net.OpError
		pathErr *fs.PathError
	)
	if errors.As(err, &pqErr) {
		msg = strings.Replace(msg, pqErr.Error(), "the database refused it: "+pqErr.Message, 1)
	}
	// "listen tcp 127.0.0.1:8080: bind: address already in use" says "address already in
	// use"; "open /x/y: permission denied" says "/x/y: permission denied".
	if errors.As(err, &opErr) {
		msg = strings.Replace(msg, opErr.Error(), innermost(opErr), 1)
	}
	if errors.As(err, &pathErr) {
		msg = strings.Replace(msg, pathErr.Error(), pathErr.Path+": "+innermost(pathErr), 1)
	}
	return errors.New(msg)
}

// innermost is the message of the deepest error err wraps: the system's own words.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func oneLine(err error) string {
	msg := strings.TrimSpace(err.Error())
	return strings.Join(strings.Fields(msg), " ")
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "kassa",
		Short: "kassa: the back office of a shop that sells in store and through Shopify",
		Long: `kassa keeps a shop's products, stock, sales, payments and register sessions in its own
PostgreSQL database, imports Shopify orders into the sales history, and writes the register
closing and nightly reports.

The database is read from --database-url, else DATABASE_URL, else
` + pg.DefaultURL + `.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: $DATABASE_URL, else "+pg.DefaultURL+")")
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		c.versionCommand(),
		c.migrateCommand(),
		c.outletCommand(),
		c.registerCommand(),
		c.productCommand(),
		c.stockCommand(),
		c.salesCommand(),
		c.shopifySimCommand(),
		c.tokenCommand(),
		c.serveCommand(),
		c.demoCommand(),
		c.paymentsCommand(),
		c.reportCommand(),
		c.terminalCommand(),
		c.shopifyCommand(), c.ordersCommand(), c.importsCommand(),
		c.secretCommand(),
		// Further commands are registered here, one line each.
	)
	guardGroups(root)
	root.SetFlagErrorFunc(flagError)
	return root
}

// guardGroups makes every command group (a command with subcommands and nothing of its
// own to run) refuse an unknown subcommand with a non-zero exit and a suggestion, instead
// of printing its help and exiting 0; the group alone still prints its help.
func guardGroups(cmd *cobra.Command) {
	if cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.SuggestionsMinimumDistance = 2
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		}
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	for _, sub := range cmd.Commands() {
		guardGroups(sub)
	}
}

// unknownCommand says that name is not a subcommand of group, and what it may have meant.
func unknownCommand(group *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, group.CommandPath())
	if s := group.SuggestionsFor(name); len(s) > 0 {
		return fmt.Errorf("%s; did you mean %s?", msg, orList(s))
	}
	return fmt.Errorf("%s; see '%s --help'", msg, group.CommandPath())
}

// flagError rewords a mistake in a command line's flags as one sentence for staff. A
// command group given an unknown subcommand with flags ("kassa register opne --float 100")
// reports the unknown command, not a flag the command would have taken.
func flagError(cmd *cobra.Command, err error) error {
	if cmd.HasSubCommands() {
		if args := cmd.Flags().Args(); len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
	}
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		return usageError("--%s %q is not %s", f.Name, invalid.GetValue(), flagKind(f.Value.Type()))
	}
	var missing *pflag.ValueRequiredError
	if errors.As(err, &missing) {
		if name := missing.GetSpecifiedName(); name == "receipt" {
			return usageError("--receipt needs a receipt number; one that starts with # must be quoted ('#1001'): the shell drops an unquoted # and what follows it")
		}
		return usageError("--%s needs a value (see '%s --help')", missing.GetSpecifiedName(), cmd.CommandPath())
	}
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) {
		return usageError("%s has no flag --%s (see '%s --help')", cmd.CommandPath(), unknown.GetSpecifiedName(), cmd.CommandPath())
	}
	return usageError("%s (see '%s --help')", err.Error(), cmd.CommandPath())
}

// flagKind says what a flag of a pflag type takes.
func flagKind(typ string) string {
	switch typ {
	case "int", "int32", "int64", "uint", "uint64":
		return "a whole number"
	case "bool":
		return "true or false"
	case "duration":
		return "a duration such as 90s, 5m or 1h"
	case "float32", "float64":
		return "a number"
	}
	return "a valid value"
}

// orList joins "a", "b" and "c" as "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// dbURL resolves the database URL: flag, then environment, then the local default.
func (c *cli) dbURL() string {
	if c.databaseURL != "" {
		return c.databaseURL
	}
	if u := c.getenv("DATABASE_URL"); u != "" {
		return u
	}
	return pg.DefaultURL
}

// openDB connects to the database and checks that its schema is current, so that no
// command runs against a schema it does not understand.
func (c *cli) openDB(ctx context.Context) (*sqlx.DB, error) {
	db, err := c.openDBUnchecked(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// database returns the command's connection to a database with a current schema, opening
// it on first use; run closes it when the command ends.
func (c *cli) database(ctx context.Context) (*sqlx.DB, error) {
	if c.conn != nil {
		return c.conn, nil
	}
	db, err := c.openDB(ctx)
	if err != nil {
		return nil, err
	}
	c.conn = db
	return db, nil
}

func (c *cli) openDBUnchecked(ctx context.Context) (*sqlx.DB, error) {
	db, err := pg.Open(ctx, c.dbURL())
	if err != nil {
		return nil, databaseError(c.dbURL(), err)
	}
	return db, nil
}

// databaseError says why the database at dbURL cannot be used, and what to do.
func databaseError(dbURL string, err error) error {
	u, perr := url.Parse(dbURL)
	if perr != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return usageError("the database URL must look like postgres://user@host:5432/kassa (set DATABASE_URL or --database-url)")
	}
	var (
		pqErr *pq.Error
		opErr *net.OpError
	)
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "3D000": // invalid_catalog_name
		return fmt.Errorf("the database %q does not exist: run 'kassa migrate up' to create it, or set DATABASE_URL or --database-url", strings.TrimPrefix(u.Path, "/"))
	case errors.As(err, &pqErr):
		return fmt.Errorf("the database server at %s refused the connection: %s (set DATABASE_URL or --database-url)", u.Host, pqErr.Message)
	case errors.As(err, &opErr):
		why := "it does not answer"
		var sysErr *os.SyscallError
		if errors.As(opErr.Err, &sysErr) {
			why = sysErr.Err.Error()
		}
		return fmt.Errorf("cannot reach the database server at %s (%s): start PostgreSQL, or set DATABASE_URL or --database-url", u.Host, why)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the database server at %s does not answer: start PostgreSQL, or set DATABASE_URL or --database-url", u.Host)
	}
	return fmt.Errorf("cannot use the database at %s: %w (set DATABASE_URL or --database-url)", u.Host, err)
}

// addJSONFlag gives a command the --json flag.
func (c *cli) addJSONFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&c.jsonOut, "json", false, "print JSON instead of text")
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// usageError is a mistake on the command line.
func usageError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func (c *cli) versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print kassa's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.jsonOut {
				return c.printJSON(map[string]string{"version": version})
			}
			fmt.Fprintln(c.stdout, "kassa "+version)
			return nil
		},
	}
	c.addJSONFlag(cmd)
	return cmd
}
