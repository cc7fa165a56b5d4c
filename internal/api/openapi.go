package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// openAPI builds the OpenAPI 3 document from the routes and the JSON types'
// struct tags (json, oa:"required", enum, format), so the document cannot
// drift from the code.
func openAPI(routes []Route) ([]byte, error) {
	g := &schemaGen{components: map[string]any{}, types: map[string]reflect.Type{}}
	g.schema(reflect.TypeOf(ErrorBody{}))
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"description": "Roles: " + roleNames(rt.Roles) + ".",
			"responses":   g.responses(rt),
		}
		if params := parameters(rt); len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	if g.err != nil {
		return nil, g.err
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "Hotline API",
			"version": "1",
			"description": "The Slobozhanske community's contact centre: appeal cards (звернення), the operator queue, " +
				"the duty roster and after-hours escalations, the working-hours schedule. Every request needs " +
				"`Authorization: Bearer <token>`; executors see only their organisation's cards. Errors are " +
				"`{\"error\": {\"code\", \"message\", \"field\"}}`; a stale `version` is a 409.",
		},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"schemas":         g.components,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("build OpenAPI document: %w", err)
	}
	return b, nil
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func operationID(rt Route) string {
	s := strings.ToLower(rt.Method) + "_" + strings.NewReplacer("/api/v1/", "", "/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.Path)
	return strings.TrimSuffix(s, "_")
}

func parameters(rt Route) []any {
	var out []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		out = append(out, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.Query {
		s := map[string]any{"type": q.Type}
		if q.Format != "" {
			s["format"] = q.Format
		}
		out = append(out, map[string]any{"name": q.Name, "in": "query", "required": false, "description": q.Doc, "schema": s})
	}
	return out
}

func (g *schemaGen) responses(rt Route) map[string]any {
	errorAnswer := func(d string) map[string]any {
		return map[string]any{"description": d, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/ErrorBody"}}}}
	}
	// Any route may find the database away: the answer says when to retry.
	unavailable := errorAnswer("The database is unavailable (or the state a change needs is not loaded yet); retry after Retry-After seconds")
	unavailable["headers"] = map[string]any{"Retry-After": map[string]any{
		"description": "Seconds to wait before retrying", "schema": map[string]any{"type": "integer"}}}
	success := map[string]any{"description": http.StatusText(rt.Status)}
	switch ct := rt.ContentType; {
	case rt.Response != nil:
		if ct == "" {
			ct = "application/json"
		}
		success["content"] = map[string]any{ct: map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
	case ct != "":
		success["content"] = map[string]any{ct: map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	out := map[string]any{
		strconv.Itoa(rt.Status): success,
		"400":                   errorAnswer("Bad input; error.field names it"),
		"401":                   errorAnswer("No or unknown bearer token"),
		"403":                   errorAnswer("The role may not do this"),
		"404":                   errorAnswer("No such resource"),
		"500":                   errorAnswer("Internal error"),
		"503":                   unavailable,
	}
	if rt.Request != nil {
		out["413"] = errorAnswer("Body too large")
	}
	for status, d := range rt.Errors {
		if status == http.StatusServiceUnavailable {
			unavailable["description"] = d + "; or the database is unavailable"
			continue
		}
		out[strconv.Itoa(status)] = errorAnswer(d)
	}
	return out
}

// schemaGen turns Go types into JSON Schemas, named structs into components.
type schemaGen struct {
	components map[string]any
	types      map[string]reflect.Type // which type a component's name stands for
	err        error
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t.Kind() == reflect.Pointer:
		return g.schema(t.Elem())
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" { // an anonymous struct is described in place
			return g.object(t)
		}
		if other, done := g.types[t.Name()]; done {
			if other != t && g.err == nil {
				g.err = fmt.Errorf("build OpenAPI document: two types are named %s (%s and %s); rename one", t.Name(), other.PkgPath(), t.PkgPath())
			}
		} else {
			g.types[t.Name()] = t
			g.components[t.Name()] = map[string]any{} // a placeholder stops recursion
			g.components[t.Name()] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

// fields adds a struct's JSON fields; embedded structs are flattened as
// encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if enum := f.Tag.Get("enum"); enum != "" {
			s["enum"] = strings.Split(enum, ",")
		}
		if format := f.Tag.Get("format"); format != "" {
			s["format"] = format
		}
		props[name] = s
		if f.Tag.Get("oa") == "required" {
			*required = append(*required, name)
		}
	}
}
