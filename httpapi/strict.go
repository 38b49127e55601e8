package httpapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/ncmhq/ncm"
)

// nameField makes a decoding error that could only blame "body" name the
// field at fault instead. encoding/json names the field of a plain type
// mismatch itself, but not of an error returned by a field's UnmarshalJSON
// (ncpapi.FlexInt: "want an integer, got 1e400"), so the caller would not
// know which field to fix. Each top-level field of the (valid) JSON object is
// decoded alone into a fresh value of v's type; the first that fails is the
// one named.
func nameField(err error, body []byte, v any) error {
	var e *ncm.Error
	if !errors.As(err, &e) || e.Field != "body" || !json.Valid(body) {
		return err
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return err
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range fields {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		one, merr := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if merr != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) != nil {
			return ncm.Invalid(k, "%s", strings.TrimPrefix(e.Message, "body: "))
		}
	}
	return err
}
