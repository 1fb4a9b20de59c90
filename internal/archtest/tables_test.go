package archtest

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// exempt are the packages whose SQL may name any table, and why. Test files are exempt
// too, as are test-support packages (a name ending in "test", such as internal/dbtest).
var exempt = map[string]string{
	"migrations":    "the schema itself: it creates, changes and drops every table",
	"internal/soak": "the reliability harness: it checks invariants across every table after its scenarios",
}

// sqlTableRef finds the tables a statement names: after FROM, JOIN, INTO, UPDATE, TABLE,
// REFERENCES, COPY or TRUNCATE (upper case: kassa writes SQL keywords so, and prose in
// strings rarely does), with the further tables of a comma-separated FROM list.
var sqlTableRef = regexp.MustCompile(`\b(FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES|COPY|TRUNCATE)\s+(?:ONLY\s+)?([A-Za-z_][A-Za-z0-9_.]*)`)

// fromListItem is what follows a FROM list's item up to the next one: an optional alias,
// a comma, and the next item's name (a name followed by "(" is a function, such as
// unnest, and ends the list).
var fromListItem = regexp.MustCompile(`^(?:\s+(?:AS\s+)?[A-Za-z_][A-Za-z0-9_]*)?\s*,\s*([A-Za-z_][A-Za-z0-9_.]*)(\s*\(?)`)

// tableRef is a name in SQL after a keyword that names a table, and where it is in the
// statement.
type tableRef struct {
	name   string
	offset int
}

// tableRefs returns the names after SQL keywords in s, in order, each once.
func tableRefs(s string) []tableRef {
	var out []tableRef
	add := func(name string, offset int) {
		name = strings.ToLower(name)
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:] // schema.table
		}
		if !slices.ContainsFunc(out, func(r tableRef) bool { return r.name == name }) {
			out = append(out, tableRef{name, offset})
		}
	}
	for _, m := range sqlTableRef.FindAllStringSubmatchIndex(s, -1) {
		add(s[m[4]:m[5]], m[4])
		if s[m[2]:m[3]] != "FROM" {
			continue
		}
		at := m[5]
		for {
			f := fromListItem.FindStringSubmatchIndex(s[at:])
			if f == nil || strings.HasSuffix(s[at+f[4]:at+f[5]], "(") {
				break
			}
			add(s[at+f[2]:at+f[3]], at+f[2])
			at += f[3]
		}
	}
	return out
}

// names returns the names of refs.
func names(refs []tableRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.name)
	}
	return out
}

// ownsTables reads a line "Owns tables: a, b and c." (which may run on over the next lines)
// from a package comment.
var ownsTables = regexp.MustCompile(`(?ms)^Owns tables:\s*([^.]*)\.`)

// sqlUse is a table a package's SQL names.
type sqlUse struct {
	table string
	pos   string // file:line
}

// pkgSQL is one package of the module: its owned tables and the tables its SQL names.
type pkgSQL struct {
	owns []string
	uses []sqlUse
}

// scanSQL reads every package under root: what its package comment says it owns, and the
// tables named in the string literals of its non-test files.
func scanSQL(t *testing.T, root string) map[string]*pkgSQL {
	t.Helper()
	out := map[string]*pkgSQL{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		ps := out[pkg]
		if ps == nil {
			ps = &pkgSQL{}
			out[pkg] = ps
		}
		if f.Doc != nil {
			if m := ownsTables.FindStringSubmatch(f.Doc.Text()); m != nil {
				for _, name := range strings.FieldsFunc(m[1], func(r rune) bool {
					return r == ',' || r == ' ' || r == '\n' || r == '\t'
				}) {
					if name != "and" {
						ps.owns = append(ps.owns, name)
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, ref := range tableRefs(s) {
				pos := fset.Position(lit.Pos())
				line := pos.Line + strings.Count(s[:ref.offset], "\n")
				ps.uses = append(ps.uses, sqlUse{table: ref.name, pos: filepath.ToSlash(mustRel(root, pos.Filename)) + ":" + strconv.Itoa(line)})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustRel(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return rel
}

// schemaTables lists the tables of a freshly migrated database.
func schemaTables(t *testing.T) []string {
	t.Helper()
	db := dbtest.New(t)
	var tables []string
	err := db.SelectContext(context.Background(), &tables, `
		SELECT tablename FROM pg_catalog.pg_tables
		WHERE schemaname = current_schema() AND tablename <> 'goose_db_version' ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// checkOwnership returns what breaks the rule "each table has one owning package, and no
// other package names it in SQL": tables with no owner or several, owned names that are no
// table, and SQL of a package naming a table it does not own.
func checkOwnership(pkgs map[string]*pkgSQL, tables []string) []string {
	var problems []string
	owner := map[string]string{}
	pkgNames := slices.Sorted(func(yield func(string) bool) {
		for p := range pkgs {
			if !yield(p) {
				return
			}
		}
	})
	for _, p := range pkgNames {
		for _, table := range pkgs[p].owns {
			switch {
			case !slices.Contains(tables, table):
				problems = append(problems, p+" says it owns "+table+", which is no table of the schema")
			case owner[table] != "":
				problems = append(problems, table+" has two owners: "+owner[table]+" and "+p)
			default:
				owner[table] = p
			}
		}
	}
	for _, table := range tables {
		if owner[table] == "" {
			problems = append(problems, table+" has no owner: name it in the doc.go of the package that owns it (\"Owns tables: ...\")")
		}
	}
	for _, p := range pkgNames {
		if _, ok := exempt[p]; ok || strings.HasSuffix(path.Base(p), "test") {
			continue
		}
		for _, u := range pkgs[p].uses {
			if o := owner[u.table]; o != "" && o != p {
				problems = append(problems, u.pos+": "+p+" names "+u.table+" in SQL; it is "+o+"'s: call a function of "+o)
			}
		}
	}
	return problems
}

// TestEachTableHasOneOwner enforces DESIGN.md's "each table has one owning package; no
// other package reads or writes it in SQL". The owners are read from the packages' doc
// comments ("Owns tables: ..."), the tables from a migrated database, and the SQL from the
// string literals of every non-test file.
func TestEachTableHasOneOwner(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	pkgs := scanSQL(t, root)
	tables := schemaTables(t)
	if len(tables) < 20 {
		t.Fatalf("only %d tables in the migrated schema: the test reads the wrong database", len(tables))
	}
	// The scan must see SQL where it is known to be: else it checks nothing.
	uses := 0
	for _, p := range pkgs {
		uses += len(p.uses)
	}
	if sales := pkgs["sales"]; sales == nil || !slices.ContainsFunc(sales.uses, func(u sqlUse) bool { return u.table == "sales" }) || uses < 100 {
		t.Fatalf("the scan found %d table names in SQL, none of sales in package sales: it reads the source wrongly", uses)
	}
	for _, p := range checkOwnership(pkgs, tables) {
		t.Error(p)
	}
}

// TestOwnershipCheckFindsStrays checks the check itself on a made-up module: a package
// naming another's table in SQL, a table with two owners, one with none and an owned name
// that is no table are each reported.
func TestOwnershipCheckFindsStrays(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"shop/doc.go": "// Package shop sells.\n//\n// Owns tables: sales, sale_lines and customers.\npackage shop\n",
		"shop/shop.go": "package shop\n\nconst q = `SELECT s.id FROM sales s JOIN sale_lines l ON l.sale_id = s.id`\n" +
			"const w = `INSERT INTO customers (email) VALUES ($1)`\n",
		"stock/doc.go":   "// Package stock counts.\n//\n// Owns tables: products,\n// stock_levels and customers.\npackage stock\n",
		"stock/stock.go": "package stock\n\nconst q = `SELECT p.id FROM products p, stock_levels l WHERE l.product_id = p.id`\n",
		"report/report.go": "package report\n\nconst q = `\n\tSELECT count(*)\n\tFROM sales s, sale_lines l\n\tWHERE l.sale_id = s.id`\n" +
			"const ok = \"the money taken from sales\" // prose, not SQL\n",
		"report/report_test.go": "package report\n\nconst q = `DELETE FROM products`\n",
		"toolstest/t.go":        "package toolstest\n\nconst q = `TRUNCATE products`\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := checkOwnership(scanSQL(t, root), []string{"customers", "payments", "products", "sale_lines", "sales", "stock_levels"})
	want := []string{
		"customers has two owners: shop and stock",
		"payments has no owner: name it in the doc.go of the package that owns it (\"Owns tables: ...\")",
		"report/report.go:5: report names sales in SQL; it is shop's: call a function of shop",
		"report/report.go:5: report names sale_lines in SQL; it is shop's: call a function of shop",
	}
	if !slices.Equal(got, want) {
		t.Errorf("the check reports\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if got := checkOwnership(map[string]*pkgSQL{"a": {owns: []string{"ghosts"}}}, nil); !slices.Equal(got, []string{"a says it owns ghosts, which is no table of the schema"}) {
		t.Errorf("an owned name that is no table: %q", got)
	}
}

// TestTableRefs checks how table names are read from SQL.
func TestTableRefs(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string][]string{
		`SELECT a FROM sales s JOIN registers r ON r.id = s.register_id LEFT JOIN api_tokens k ON true`: {"sales", "registers", "api_tokens"},
		`INSERT INTO customers AS c (email) VALUES ($1) ON CONFLICT DO NOTHING`:                         {"customers"},
		`UPDATE products SET published = true`:                                                          {"products"},
		`DELETE FROM payments WHERE id = $1`:                                                            {"payments"},
		`COPY import_outcomes (run_id) FROM STDIN`:                                                      {"import_outcomes", "stdin"},
		`SELECT l.id FROM sale_lines l, unnest(l.tax_rates) AS t(rate)`:                                 {"sale_lines"},
		`SELECT 1 FROM public.outlets o, registers r`:                                                   {"outlets", "registers"},
		`SELECT x FROM (SELECT 1) AS y`:                                                                 nil,
		`the money taken from sales`:                                                                    nil,
	} {
		if got := names(tableRefs(sql)); !slices.Equal(got, want) {
			t.Errorf("tableRefs(%q) = %q, want %q", sql, got, want)
		}
	}
}
