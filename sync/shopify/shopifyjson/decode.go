package shopifyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ValueError is a value Decode could not read, named by its path in the document
// ("line_items[3].price"; "" for the document itself).
type ValueError struct {
	Path string
	Err  error
}

// Error implements error.
func (e *ValueError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ValueError) Unwrap() error { return e.Err }

// Decode decodes the JSON object data into v, a pointer to a struct shape. Keys match the
// shape's json tags as encoding/json matches them (an exact match first, else one that
// differs only in case); unknown keys are ignored whatever their value. Beyond what
// encoding/json reads, an empty object {} where the shape has a list is an empty list, and
// an empty array [] where it has an object is no object (some serialisers write empty
// containers so). A value that cannot be read is an error naming its path, a *ValueError;
// which one is reported when several are bad is the first in the document.
//
// The whole document is decoded by one call of encoding/json; only when that fails does
// Decode go through it value by value (Reread), to apply the rules above or find the path of
// the value at fault. On error, v is left in an unspecified state.
func Decode(data []byte, v any) error {
	if err := isObject(data); err != nil {
		return err
	}
	if json.Unmarshal(data, v) == nil {
		return nil
	}
	return Reread(data, v)
}

// Reread decodes data into v as Decode does, going through the document value by value. It
// is Decode's way when encoding/json refuses a document; a caller that tried a document with
// encoding/json itself (a json.Decoder reading one value of a larger document) calls it
// after that attempt fails. v is replaced as a whole only when data is read without error.
func Reread(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("shopifyjson: decode into %T: want a non-nil pointer", v)
	}
	if err := isObject(data); err != nil {
		return err
	}
	if !json.Valid(data) {
		var x any
		err := json.Unmarshal(data, &x)
		return &ValueError{Err: fmt.Errorf("not valid JSON: %w", err)}
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := walk(bytes.TrimSpace(data), fresh.Elem(), ""); err != nil {
		return err
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// isObject checks that data is (or at least starts as) a JSON object.
func isObject(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '{' {
		return &ValueError{Err: fmt.Errorf("not a JSON object: got %s", Kind(data))}
	}
	return nil
}

// walk decodes one valid JSON value into v, which is addressable.
func walk(data []byte, v reflect.Value, path string) error {
	if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
		if err := u.UnmarshalJSON(data); err != nil {
			var ve *ValueError
			if errors.As(err, &ve) {
				return &ValueError{Path: join(path, ve.Path), Err: ve.Err}
			}
			return &ValueError{Path: path, Err: err}
		}
		return nil
	}
	null := string(data) == "null"
	switch v.Kind() {
	case reflect.Pointer:
		if null || isEmpty(data, '[', ']') {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return walk(data, v.Elem(), path)
	case reflect.Struct:
		if null || isEmpty(data, '[', ']') {
			return nil
		}
		if data[0] != '{' {
			return &ValueError{Path: path, Err: fmt.Errorf("want an object, got %s", Kind(data))}
		}
		return walkObject(data, v, path)
	case reflect.Slice:
		if null || isEmpty(data, '{', '}') {
			v.SetZero()
			return nil
		}
		if data[0] != '[' {
			return &ValueError{Path: path, Err: fmt.Errorf("want an array, got %s", Kind(data))}
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return &ValueError{Path: path, Err: err}
		}
		// As encoding/json does, decode into the elements already there (a key given
		// twice), then cut the list to its new length.
		if v.Cap() < len(elems) {
			grown := reflect.MakeSlice(v.Type(), v.Len(), len(elems))
			reflect.Copy(grown, v)
			v.Set(grown)
		}
		v.SetLen(len(elems))
		for i, e := range elems {
			if err := walk(e, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		if len(elems) == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return nil
	default:
		if err := json.Unmarshal(data, v.Addr().Interface()); err != nil {
			return &ValueError{Path: path, Err: err}
		}
		return nil
	}
}

// walkObject decodes the members of a JSON object, in document order, into the struct v.
func walkObject(data []byte, v reflect.Value, path string) error {
	fields := fieldsOf(v.Type())
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return &ValueError{Path: path, Err: err}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return &ValueError{Path: path, Err: err}
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return &ValueError{Path: join(path, key), Err: err}
		}
		f, ok := fields.find(key)
		if !ok {
			continue
		}
		if err := walk(value, v.Field(f.index), join(path, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// field is a struct field a JSON key can fill.
type field struct {
	name  string
	index int
}

type fieldList []field

// fieldsOf lists the fields of a struct type by their JSON names.
func fieldsOf(t reflect.Type) fieldList {
	var out fieldList
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = sf.Name
		}
		out = append(out, field{name: name, index: i})
	}
	return out
}

// find returns the field a key fills: the one of that name, else one whose name differs
// only in case.
func (fs fieldList) find(key string) (field, bool) {
	for _, f := range fs {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

// join adds a key or an index ("[2]") to a path.
func join(path, key string) string {
	switch {
	case path == "":
		return key
	case key == "":
		return path
	case strings.HasPrefix(key, "["):
		return path + key
	}
	return path + "." + key
}

// isEmpty reports whether b is the empty object or array delimited by open and close.
func isEmpty(b []byte, open, close byte) bool {
	if len(b) < 2 || b[0] != open || b[len(b)-1] != close {
		return false
	}
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}
