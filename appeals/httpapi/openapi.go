package httpapi

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

// openAPI builds the OpenAPI 3 document from the route table and the JSON
// types' struct tags, so the document cannot drift from the code.
func (h *Handler) openAPI() ([]byte, error) {
	g := &schemaGen{components: map[string]any{}}
	g.schema(reflect.TypeOf(ErrorBody{}))
	paths := map[string]map[string]any{}
	for _, rt := range h.routes {
		var roles []string
		for _, r := range rt.roles() {
			roles = append(roles, string(r))
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.summary,
			"description": "Roles: " + strings.Join(roles, ", ") + ".",
			"responses":   g.responses(rt),
		}
		if params := parameters(rt); len(params) > 0 {
			op["parameters"] = params
		}
		if rt.request != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.request))}}}
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "Hotline appeals API (звернення)",
			"version": "1",
			"description": "Appeal cards of the Slobozhanske community's contact centre. Every request needs " +
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

func operationID(rt route) string {
	s := strings.ToLower(rt.method) + "_" + strings.NewReplacer("/api/v1/", "", "/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.path)
	return strings.TrimSuffix(s, "_")
}

func parameters(rt route) []any {
	var out []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		out = append(out, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.query {
		s := map[string]any{"type": q.typ}
		if q.format != "" {
			s["format"] = q.format
		}
		out = append(out, map[string]any{"name": q.name, "in": "query", "required": false, "description": q.doc, "schema": s})
	}
	return out
}

func (g *schemaGen) responses(rt route) map[string]any {
	errRef := map[string]any{"content": map[string]any{"application/json": map[string]any{
		"schema": map[string]any{"$ref": "#/components/schemas/ErrorBody"}}}}
	withDesc := func(d string) map[string]any {
		m := map[string]any{"description": d}
		for k, v := range errRef {
			m[k] = v
		}
		return m
	}
	out := map[string]any{
		strconv.Itoa(rt.status): map[string]any{"description": http.StatusText(rt.status),
			"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.response))}}},
		"400": withDesc("Bad input; error.field names it"),
		"401": withDesc("No or unknown bearer token"),
		"403": withDesc("The role may not do this"),
		"404": withDesc("No such appeal (or not the executor's)"),
		"500": withDesc("Internal error"),
	}
	if rt.request != nil {
		out["409"] = withDesc("Stale version, or not possible in the appeal's status")
		out["413"] = withDesc("Body too large")
	}
	if rt.path == "/api/v1/calls/{call_id}/read-back" {
		out["502"] = withDesc("Telephony could not read the number")
		out["503"] = withDesc("No telephony connected")
	}
	return out
}

// schemaGen turns Go types into JSON Schemas, structs into components.
type schemaGen struct {
	components map[string]any
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
	case reflect.Int, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Int64:
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
		if _, done := g.components[t.Name()]; !done {
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
