package api

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaGen turns Go types into OpenAPI 3.0 schemas that describe what
// encoding/json writes and reads for them:
//
//   - field names, omitempty/omitzero, "-" and ",string" from json tags;
//   - embedded structs flattened with encoding/json's dominance rules;
//   - a field is required unless it is omitempty/omitzero or comes from an
//     embedded pointer (encoding/json always writes the others);
//   - pointers are nullable; slices and maps are not (our outputs never
//     write them as null);
//   - named struct types become components/schemas, named by the Go type
//     (its package name is prefixed where two packages use the same name).
type schemaGen struct {
	comps  map[reflect.Type]*component
	order  []reflect.Type // components in the order first met
	linked map[*openapi3.SchemaRef]bool
}

// component is a named struct type and every $ref made to it; the refs get
// their names in finish, once every type is known, so naming does not
// depend on the order routes are listed in.
type component struct {
	schema *openapi3.Schema
	refs   []*openapi3.SchemaRef
}

func newSchemaGen() *schemaGen {
	return &schemaGen{comps: map[reflect.Type]*component{}, linked: map[*openapi3.SchemaRef]bool{}}
}

var (
	timeType           = reflect.TypeFor[time.Time]()
	rawMessageType     = reflect.TypeFor[json.RawMessage]()
	stringOrObjectType = reflect.TypeFor[StringOrObject]()
	jsonMarshalerType  = reflect.TypeFor[json.Marshaler]()
	textMarshalerType  = reflect.TypeFor[encoding.TextMarshaler]()
)

// ref returns the schema of t, a $ref for named struct types.
func (g *schemaGen) ref(t reflect.Type) *openapi3.SchemaRef {
	switch t {
	case timeType:
		return inline(openapi3.NewDateTimeSchema())
	case rawMessageType:
		return inline(&openapi3.Schema{Nullable: true, Description: "any JSON value"})
	case stringOrObjectType:
		return g.component(t, func(s *openapi3.Schema) {
			s.Description = "a JSON string, or an object with one string property whose value is used"
			one := openapi3.NewObjectSchema().WithAdditionalProperties(openapi3.NewStringSchema())
			one.MinProps, one.MaxProps = 1, openapi3.Ptr(uint64(1))
			s.OneOf = openapi3.SchemaRefs{inline(openapi3.NewStringSchema()), inline(one)}
		})
	}
	if t.Kind() == reflect.Pointer {
		return g.nullable(g.ref(t.Elem()))
	}
	if t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType) {
		// A custom encoding the reflector cannot see through.
		return inline(&openapi3.Schema{Nullable: true, Description: "any JSON value"})
	}
	if t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		return inline(openapi3.NewStringSchema())
	}
	switch t.Kind() {
	case reflect.Bool:
		return inline(openapi3.NewBoolSchema())
	case reflect.Int, reflect.Int8, reflect.Int16:
		return inline(openapi3.NewIntegerSchema())
	case reflect.Int32:
		return inline(openapi3.NewInt32Schema())
	case reflect.Int64:
		return inline(openapi3.NewInt64Schema())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return inline(openapi3.NewIntegerSchema().WithMin(0))
	case reflect.Float32:
		return inline(&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNumber}, Format: "float"})
	case reflect.Float64:
		return inline(openapi3.NewFloat64Schema())
	case reflect.String:
		return inline(openapi3.NewStringSchema())
	case reflect.Interface:
		return inline(&openapi3.Schema{Nullable: true, Description: "any JSON value"})
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			return inline(openapi3.NewBytesSchema())
		}
		return inline(&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: g.ref(t.Elem())})
	case reflect.Array:
		n := uint64(t.Len())
		return inline(&openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: g.ref(t.Elem()), MinItems: n, MaxItems: &n})
	case reflect.Map:
		s := openapi3.NewObjectSchema()
		s.AdditionalProperties = openapi3.AdditionalProperties{Schema: g.ref(t.Elem())}
		return inline(s)
	case reflect.Struct:
		if t.Name() == "" {
			s := openapi3.NewObjectSchema()
			g.fillObject(s, t)
			return inline(s)
		}
		return g.component(t, func(s *openapi3.Schema) { g.fillObject(s, t) })
	}
	panic(fmt.Sprintf("openapi: type %s (%s) has no JSON form", t, t.Kind()))
}

func inline(s *openapi3.Schema) *openapi3.SchemaRef { return &openapi3.SchemaRef{Value: s} }

// component returns a new $ref to the component of t, building the
// component with fill the first time t is met.
func (g *schemaGen) component(t reflect.Type, fill func(*openapi3.Schema)) *openapi3.SchemaRef {
	c, ok := g.comps[t]
	if !ok {
		// Registered before fill so that recursive types end in a $ref.
		c = &component{schema: &openapi3.Schema{}}
		g.comps[t] = c
		g.order = append(g.order, t)
		fill(c.schema)
	}
	r := &openapi3.SchemaRef{Value: c.schema}
	c.refs = append(c.refs, r)
	g.linked[r] = true
	return r
}

// nullable lets r also be null. OpenAPI 3.0 ignores siblings of $ref, so a
// component is wrapped in allOf.
func (g *schemaGen) nullable(r *openapi3.SchemaRef) *openapi3.SchemaRef {
	if g.linked[r] {
		return inline(&openapi3.Schema{AllOf: openapi3.SchemaRefs{r}, Nullable: true})
	}
	s := *r.Value
	s.Nullable = true
	return inline(&s)
}

// jsonField is one property of a struct as encoding/json sees it.
type jsonField struct {
	name     string
	typ      reflect.Type
	index    []int
	tagged   bool // the name comes from a json tag
	optional bool // omitempty, omitzero, or reached through an embedded pointer
	quoted   bool // ",string"
}

func (g *schemaGen) fillObject(s *openapi3.Schema, t reflect.Type) {
	s.Type = &openapi3.Types{openapi3.TypeObject}
	s.Properties = openapi3.Schemas{}
	for _, f := range jsonFields(t) {
		var p *openapi3.SchemaRef
		if f.quoted {
			p = g.quoted(f.typ)
		} else {
			p = g.ref(f.typ)
		}
		s.Properties[f.name] = p
		if !f.optional {
			s.Required = append(s.Required, f.name)
		}
	}
}

// quoted is the schema of a ",string" field: encoding/json writes numbers
// and booleans inside a JSON string.
func (g *schemaGen) quoted(t reflect.Type) *openapi3.SchemaRef {
	base, ptr := t, false
	if base.Kind() == reflect.Pointer {
		base, ptr = base.Elem(), true
	}
	switch base.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		s := openapi3.NewStringSchema()
		s.Nullable = ptr
		return inline(s)
	}
	return g.ref(t)
}

// jsonFields lists the properties encoding/json writes for struct t,
// embedded structs flattened, in field order.
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var walk func(t reflect.Type, index []int, viaPointer bool, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, viaPointer bool, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
				if name == "" && et.Kind() == reflect.Struct {
					walk(et, append(append([]int(nil), index...), i), viaPointer || ft.Kind() == reflect.Pointer, seen)
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			f := jsonField{name: name, typ: ft, index: append(append([]int(nil), index...), i), tagged: name != "", optional: viaPointer}
			if f.name == "" {
				f.name = sf.Name
			}
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					f.optional = true
				case "string":
					f.quoted = true
				}
			}
			all = append(all, f)
		}
	}
	walk(t, nil, false, map[reflect.Type]bool{})

	// Dominance: for each name the shallowest field wins; among equally
	// shallow ones a single tagged field wins; otherwise none is written.
	byName := map[string][]jsonField{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []jsonField
	for _, f := range all {
		if dominates(f, byName[f.name]) {
			out = append(out, f)
		}
	}
	return out
}

// dominates reports whether f is the field encoding/json writes among fs,
// the fields of the same name.
func dominates(f jsonField, fs []jsonField) bool {
	depth := len(f.index)
	var top, tagged int
	for _, o := range fs {
		switch {
		case len(o.index) < depth:
			return false
		case len(o.index) == depth:
			top++
			if o.tagged {
				tagged++
			}
		}
	}
	return top == 1 || (tagged == 1 && f.tagged)
}

// finish names the components, points every $ref at its name and adds the
// schemas to components.
func (g *schemaGen) finish(schemas openapi3.Schemas) {
	count := map[string]int{}
	for _, t := range g.order {
		count[typeName(t)]++
	}
	used := map[string]bool{}
	for _, t := range g.order {
		name := typeName(t)
		if count[name] > 1 {
			name = exportName(path.Base(t.PkgPath())) + name
		}
		for base, n := name, 2; used[name]; n++ {
			name = fmt.Sprintf("%s%d", base, n)
		}
		used[name] = true
		c := g.comps[t]
		schemas[name] = inline(c.schema)
		for _, r := range c.refs {
			r.Ref = "#/components/schemas/" + name
		}
	}
}

// typeName is t's name fit for a component key (^[a-zA-Z0-9._-]+$):
// Page[pkg/path.UserView] becomes Page_UserView.
func typeName(t reflect.Type) string {
	var parts []string
	for p := range strings.FieldsFuncSeq(t.Name(), func(r rune) bool { return r == '[' || r == ']' || r == ',' }) {
		if i := strings.LastIndexAny(p, "./"); i >= 0 {
			p = p[i+1:]
		}
		parts = append(parts, strings.Map(func(r rune) rune {
			if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
				return r
			}
			return '_'
		}, p))
	}
	return strings.Join(parts, "_")
}

func exportName(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
