package shopifysim

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// The GraphQL Admin API of the simulator is a schema subset in SDL files (schema/*.graphql)
// and a small executor: gqlparser parses and validates every query against the schema, and
// the executor walks the validated selection sets, calling a resolver per field. A field
// without a resolver reads its value from a map[string]any parent by name. Resolvers and
// SDL files are added per resource (shop, webhooks, and later orders, products, inventory)
// without changing the executor.

//go:embed schema/*.graphql
var schemaFiles embed.FS

var (
	adminSchemaOnce sync.Once
	adminSchema     *ast.Schema
	adminSchemaErr  error
)

// AdminSchema returns the simulator's subset of Shopify's GraphQL Admin API schema, parsed
// and validated. kassa's tests check kassa's own query documents against it.
func AdminSchema() (*ast.Schema, error) {
	adminSchemaOnce.Do(func() {
		var sources []*ast.Source
		names, err := fs.Glob(schemaFiles, "schema/*.graphql")
		if err != nil {
			adminSchemaErr = err
			return
		}
		sort.Strings(names)
		for _, n := range names {
			b, err := schemaFiles.ReadFile(n)
			if err != nil {
				adminSchemaErr = err
				return
			}
			sources = append(sources, &ast.Source{Name: n, Input: string(b)})
		}
		adminSchema, adminSchemaErr = gqlparser.LoadSchema(sources...)
		if adminSchemaErr != nil {
			adminSchemaErr = fmt.Errorf("load the simulator's GraphQL schema: %w", adminSchemaErr)
		}
	})
	return adminSchema, adminSchemaErr
}

// ValidateQuery parses query and validates it against the simulator's Admin API schema, as
// the simulator does before running it. It returns the validation errors, if any, each
// with its position.
func ValidateQuery(query string) error {
	schema, err := AdminSchema()
	if err != nil {
		return err
	}
	_, errs := gqlparser.LoadQueryWithRules(schema, query, rules.NewDefaultRules())
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// gqlFieldFunc resolves one field of an object: parent is the object's value, args the
// field's arguments with variables substituted and defaults applied.
type gqlFieldFunc func(rc *gqlRequest, parent any, args map[string]any) (any, error)

// gqlTyped is an object value that names its GraphQL type, for fields of an interface or
// union type.
type gqlTyped struct {
	typeName string
	value    any
}

// gqlError is one entry of a GraphQL answer's errors list.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// codedError is a resolver error with an extensions code (ACCESS_DENIED, NOT_FOUND, ...).
type codedError struct {
	code string
	msg  string
	ext  map[string]any
}

func (e *codedError) Error() string { return e.msg }

// orderedObject is a JSON object that keeps its keys in selection order.
type orderedObject struct {
	keys []string
	vals map[string]any
	raw  []byte // when set, the object's JSON as written earlier
}

func newOrderedObject(n int) *orderedObject {
	return &orderedObject{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

func (o *orderedObject) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// remove deletes a key.
func (o *orderedObject) remove(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// MarshalJSON writes the object with its keys in the order they were set.
func (o *orderedObject) MarshalJSON() ([]byte, error) {
	if o.raw != nil {
		return o.raw, nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// gqlRequest is one GraphQL request being run: its validated document and variables, the
// errors found so far and the actual cost of what was returned.
type gqlRequest struct {
	s         *Server
	schema    *ast.Schema
	resolvers map[string]map[string]gqlFieldFunc
	doc       *ast.QueryDocument
	op        *ast.OperationDefinition
	vars      map[string]any
	token     *accessToken // the token the request was authenticated with
	// field is the field whose resolver runs, for resolvers that read its directives.
	field  *ast.Field
	errors []gqlError
	actual int
	// bulk is set for a bulk operation's query: connections give all their nodes.
	bulk bool
}

// gqlParse parses and validates a request and picks its operation. The errors are in
// GraphQL's shape.
func gqlParse(schema *ast.Schema, query, operationName string, variables map[string]any) (*ast.QueryDocument, *ast.OperationDefinition, map[string]any, []gqlError) {
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, rules.NewDefaultRules())
	if len(errs) > 0 {
		return nil, nil, nil, fromGQLErrors(errs)
	}
	var op *ast.OperationDefinition
	switch {
	case operationName != "":
		op = doc.Operations.ForName(operationName)
		if op == nil {
			return nil, nil, nil, []gqlError{{Message: fmt.Sprintf("No operation named %q", operationName)}}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		return nil, nil, nil, []gqlError{{Message: "An operation name is required"}}
	}
	if op.Operation == ast.Subscription {
		return nil, nil, nil, []gqlError{{Message: "Subscriptions are not supported"}}
	}
	if variables == nil {
		variables = map[string]any{}
	}
	vars, err := validator.VariableValues(schema, op, variables)
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return nil, nil, nil, fromGQLErrors(gqlerror.List{ge})
		}
		return nil, nil, nil, []gqlError{{Message: err.Error()}}
	}
	return doc, op, vars, nil
}

func fromGQLErrors(errs gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(errs))
	for _, e := range errs {
		ge := gqlError{Message: e.Message, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
		if e.Rule != "" {
			ge.Extensions["rule"] = e.Rule
		}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, gqlLocation{Line: l.Line, Column: l.Column})
		}
		for _, p := range e.Path {
			switch v := p.(type) {
			case ast.PathName:
				ge.Path = append(ge.Path, string(v))
			case ast.PathIndex:
				ge.Path = append(ge.Path, int(v))
			}
		}
		out = append(out, ge)
	}
	return out
}

// rootType is the object type of the operation's root.
func (rc *gqlRequest) rootType() *ast.Definition {
	if rc.op.Operation == ast.Mutation {
		return rc.schema.Mutation
	}
	return rc.schema.Query
}

// execute runs the operation and returns its data (nil when a non-null error reached the
// root).
func (rc *gqlRequest) execute() any {
	root := rc.rootType()
	obj, ok := rc.selectionSet(root, nil, rc.op.SelectionSet, nil, false)
	if !ok {
		return nil
	}
	return obj
}

// fieldGroup is the fields of one response key, merged as GraphQL's CollectFields does.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collectFields gathers the fields a selection set asks of an object of type typeName,
// following fragments whose type condition the type meets and honouring @skip and
// @include.
func (rc *gqlRequest) collectFields(typeName string, sel ast.SelectionSet, groups []fieldGroup, index map[string]int, visited map[string]bool) []fieldGroup {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !rc.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if i, ok := index[key]; ok {
				groups[i].fields = append(groups[i].fields, s)
				continue
			}
			index[key] = len(groups)
			groups = append(groups, fieldGroup{key: key, fields: []*ast.Field{s}})
		case *ast.InlineFragment:
			if !rc.included(s.Directives) || (s.TypeCondition != "" && !rc.typeMatches(typeName, s.TypeCondition)) {
				continue
			}
			groups = rc.collectFields(typeName, s.SelectionSet, groups, index, visited)
		case *ast.FragmentSpread:
			if !rc.included(s.Directives) || visited[s.Name] {
				continue
			}
			visited[s.Name] = true
			frag := rc.doc.Fragments.ForName(s.Name)
			if frag == nil || !rc.typeMatches(typeName, frag.TypeCondition) {
				continue
			}
			groups = rc.collectFields(typeName, frag.SelectionSet, groups, index, visited)
		}
	}
	return groups
}

// included evaluates @skip(if:) and @include(if:).
func (rc *gqlRequest) included(ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(rc.vars)["if"].(bool); v {
			return false
		}
	}
	if d := ds.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(rc.vars)["if"].(bool); !v {
			return false
		}
	}
	return true
}

// typeMatches reports whether an object of type typeName meets a type condition: the type
// itself, an interface it implements or a union it belongs to.
func (rc *gqlRequest) typeMatches(typeName, condition string) bool {
	if typeName == condition {
		return true
	}
	for _, d := range rc.schema.PossibleTypes[condition] {
		if d.Name == typeName {
			return true
		}
	}
	return false
}

// selectionSet resolves the fields sel asks of obj, an object of type typ. It returns
// false when a non-null field came out null, which makes the object itself null. free
// means the objects below cost nothing (a mutation's payload: the mutation costs 10).
func (rc *gqlRequest) selectionSet(typ *ast.Definition, obj any, sel ast.SelectionSet, path []any, free bool) (*orderedObject, bool) {
	mutationRoot := rc.schema.Mutation != nil && typ == rc.schema.Mutation
	groups := rc.collectFields(typ.Name, sel, nil, map[string]int{}, map[string]bool{})
	out := newOrderedObject(len(groups))
	for _, g := range groups {
		f := g.fields[0]
		fpath := append(append([]any(nil), path...), g.key)
		if f.Name == "__typename" {
			out.set(g.key, typ.Name)
			continue
		}
		if strings.HasPrefix(f.Name, "__") {
			rc.fail(f, fpath, &codedError{code: "INTROSPECTION_DISABLED", msg: "Introspection is not served by the simulator"})
			out.set(g.key, nil)
			continue
		}
		def := typ.Fields.ForName(f.Name)
		if def == nil {
			rc.fail(f, fpath, fmt.Errorf("field %q does not exist on type %q", f.Name, typ.Name))
			return nil, false
		}
		args := f.ArgumentMap(rc.vars)
		var value any
		var err error
		if fn := rc.resolvers[typ.Name][f.Name]; fn != nil {
			rc.field = f
			value, err = fn(rc, obj, args)
		} else if m, ok := obj.(map[string]any); ok {
			value = m[f.Name]
		} else {
			err = fmt.Errorf("the simulator cannot resolve %s.%s", typ.Name, f.Name)
		}
		if err != nil {
			rc.fail(f, fpath, err)
			if def.Type.NonNull {
				return nil, false
			}
			out.set(g.key, nil)
			continue
		}
		if mutationRoot {
			// A mutation costs 10, whatever its payload holds.
			rc.actual += mutationCost
		}
		merged := mergedSelection(g.fields)
		v, ok := rc.complete(def.Type, value, merged, f, fpath, free || mutationRoot)
		if !ok {
			if def.Type.NonNull {
				return nil, false
			}
			v = nil
		}
		out.set(g.key, v)
	}
	return out, true
}

func mergedSelection(fields []*ast.Field) ast.SelectionSet {
	if len(fields) == 1 {
		return fields[0].SelectionSet
	}
	var sel ast.SelectionSet
	for _, f := range fields {
		sel = append(sel, f.SelectionSet...)
	}
	return sel
}

// complete turns a resolved value into its answer for type t: a leaf as it is, a list
// element by element, an object through its selection set. A value that comes out null
// (missing, or an element or field below it that had to be non-null) is null here; complete
// returns false when t does not allow that, so that the null reaches the parent.
func (rc *gqlRequest) complete(t *ast.Type, value any, sel ast.SelectionSet, f *ast.Field, path []any, free bool) (any, bool) {
	null := func() (any, bool) { return nil, !t.NonNull }
	if isNil(value) {
		if t.NonNull {
			rc.fail(f, path, fmt.Errorf("cannot return null for non-nullable field %s", f.Name))
		}
		return null()
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(value)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			rc.fail(f, path, fmt.Errorf("field %s: the simulator resolved a list to %T", f.Name, value))
			return null()
		}
		// The nodes of a connection each cost; a list of objects that is not a connection
		// costs what one element does, as its requested cost counts it.
		each := f.ObjectDefinition != nil && isConnection(f.ObjectDefinition)
		out := make([]any, rv.Len())
		for i := range out {
			v, ok := rc.complete(t.Elem, rv.Index(i).Interface(), sel, f, append(append([]any(nil), path...), i), free || (i > 0 && !each))
			if !ok {
				return null()
			}
			out[i] = v
		}
		return out, true
	}
	def := rc.schema.Types[t.NamedType]
	if def == nil {
		rc.fail(f, path, fmt.Errorf("unknown type %s", t.NamedType))
		return null()
	}
	if def.IsLeafType() {
		return value, true
	}
	objType := def
	if def.IsAbstractType() {
		typed, ok := value.(gqlTyped)
		if !ok || rc.schema.Types[typed.typeName] == nil {
			rc.fail(f, path, fmt.Errorf("field %s: the simulator gave no concrete type", f.Name))
			return null()
		}
		objType, value = rc.schema.Types[typed.typeName], typed.value
	} else if typed, ok := value.(gqlTyped); ok {
		value = typed.value
	}
	if !free {
		rc.actual += objectCost(objType)
	}
	obj, ok := rc.selectionSet(objType, value, sel, path, free)
	if !ok {
		return null()
	}
	return obj, true
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// fail records a field error at path.
func (rc *gqlRequest) fail(f *ast.Field, path []any, err error) {
	ge := gqlError{Message: err.Error(), Path: path}
	if f != nil && f.Position != nil {
		ge.Locations = []gqlLocation{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	var ce *codedError
	if errors.As(err, &ce) {
		ge.Extensions = map[string]any{"code": ce.code}
		for k, v := range ce.ext {
			ge.Extensions[k] = v
		}
	}
	rc.errors = append(rc.errors, ge)
}

// Argument helpers: variables arrive decoded from JSON (float64), literals as int64.

func argInt(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int64:
		return int(v), true
	case int:
		return v, true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func argString(args map[string]any, name string) (string, bool) {
	s, ok := args[name].(string)
	return s, ok
}

func argBool(args map[string]any, name string) bool {
	b, _ := args[name].(bool)
	return b
}

func argStrings(args map[string]any, name string) ([]string, bool) {
	raw, ok := args[name].([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out, true
}
