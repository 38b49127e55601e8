package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// This file converts between Go values and stored values (see the package
// comment). Arguments go through the *Arg functions; scans through the
// Scanner types, which accept what both drivers return.

// timeArg stores t as UTC Unix microseconds; the zero time is NULL.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timePtrArg stores *t like timeArg; nil is NULL.
func timePtrArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeArg(*t)
}

// refArg stores a reference to another row: 0, "none", is NULL so that
// foreign keys hold.
func refArg(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// listArg stores a string list as a JSON array; an empty list is NULL.
func listArg(list []string) (any, error) {
	if len(list) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// timeScan scans a stored time into *dst; NULL is the zero time.
type timeScan struct{ dst *time.Time }

func (s timeScan) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.dst = time.Time{}
	case int64:
		*s.dst = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("stored time is %T, want integer microseconds", v)
	}
	return nil
}

// timePtrScan scans a stored time into *dst; NULL is nil.
type timePtrScan struct{ dst **time.Time }

func (s timePtrScan) Scan(v any) error {
	if v == nil {
		*s.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeScan{&t}).Scan(v); err != nil {
		return err
	}
	*s.dst = &t
	return nil
}

// refScan scans a reference to another row; NULL is 0.
type refScan struct{ dst *int64 }

func (s refScan) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.dst = 0
	case int64:
		*s.dst = v
	default:
		return fmt.Errorf("stored reference is %T, want integer", v)
	}
	return nil
}

// listScan scans a JSON array of strings; NULL is nil.
type listScan struct{ dst *[]string }

func (s listScan) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case nil:
		*s.dst = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("stored list is %T, want JSON text", v)
	}
	list, ok := plainList(b)
	if !ok {
		if err := json.Unmarshal(b, &list); err != nil {
			return fmt.Errorf("stored list: %w", err)
		}
	}
	if len(list) == 0 {
		list = nil
	}
	*s.dst = list
	return nil
}

// plainList reads the JSON arrays listArg writes for plain strings (DNS
// names, instance numbers: no quote, backslash or control character, so
// json.Marshal escapes nothing) without the reflection of json.Unmarshal,
// which listings pay twice per row. Anything else reports !ok, for
// json.Unmarshal to read.
func plainList(b []byte) ([]string, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	inner := b[1 : len(b)-1]
	if len(inner) == 0 {
		return nil, true
	}
	if !utf8.Valid(inner) {
		return nil, false
	}
	for _, c := range inner {
		if c == '\\' || c < 0x20 || c == ' ' {
			return nil, false
		}
	}
	parts := bytes.Split(inner, []byte(","))
	list := make([]string, len(parts))
	for i, p := range parts {
		if len(p) < 2 || p[0] != '"' || p[len(p)-1] != '"' || bytes.IndexByte(p[1:len(p)-1], '"') >= 0 {
			return nil, false
		}
		list[i] = string(p[1 : len(p)-1])
	}
	return list, true
}
