// Package pki holds everything X.509 that ncm does: lenient-but-safe PEM
// reading, CSR, private key and certificate parsing, key matching and the
// metadata extracted from a certificate at intake. Every function is pure:
// no I/O, no clock, no global state.
//
// Errors are *ncm.Error values of kind ncm.EINVALID whose Message names the
// request field and, where it helps, the PEM block ("certificateChain: PEM
// block 2 (CERTIFICATE): base64 is corrupt at line 14"). PEM-level failures
// (nothing that looks like PEM, a BEGIN without END, bad base64) carry
// ncm.CodeNotPEM in every parser; failures of the content carry the parser's
// own code (ncm.CodeInvalidCert, ncm.CodeInvalidKey, ncm.CodeInvalidCSR).
package pki

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/ncmhq/ncm"
)

// Bounds on one PEM field. They keep a hostile request from making the
// server decode megabytes of base64 or thousands of certificates; a real
// chain has 2 to 4 certificates of 1 to 2 KiB each.
const (
	MaxPEMBytes  = 64 << 10 // bytes of input text per field
	MaxPEMBlocks = 16       // PEM blocks per field
)

// ReadBlocks reads every PEM block in input, which came from the request
// field named field.
//
// It accepts what has one obvious meaning: CRLF, CR or mixed line endings, a
// UTF-8 byte-order mark, text before, between and after blocks, trailing
// whitespace, no final newline, whitespace inside the base64 lines, literal
// `\n` and `\r\n` escapes (and `\/`) when input has no real line break at all
// (what JSON tools produce when a PEM file is escaped twice), and blocks glued
// on one line ("-----END CERTIFICATE----------BEGIN CERTIFICATE-----"), which
// it splits; pem.Decode finds no block at all in such input.
//
// It refuses what is ambiguous or broken: a BEGIN without a matching END,
// BEGIN and END of different types, an END without BEGIN, an empty block and
// bad base64, each with the block number and line. Input with no PEM block
// gives ncm.CodeNotPEM. More than MaxPEMBytes bytes or MaxPEMBlocks blocks is
// an EINVALID error naming the limit.
//
// Legacy RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") are returned in
// Block.Headers so callers can recognise encrypted keys.
func ReadBlocks(field, input string) ([]*pem.Block, error) {
	return readBlocks(field, input, "PEM data")
}

// readBlocks is ReadBlocks with the noun for the "no PEM" message, so that
// each parser can say what it expected, as NCP does ("Unable to load
// certificate").
func readBlocks(field, input, noun string) ([]*pem.Block, error) {
	if len(input) > MaxPEMBytes {
		return nil, ncm.Invalid(field, "is %d bytes, more than the limit of %d bytes", len(input), MaxPEMBytes)
	}
	text := normaliseText(input)
	if strings.TrimSpace(text) == "" {
		return nil, notPEM(field, "is empty. Unable to load %s. Expecting PEM format file.", noun)
	}
	r := blockReader{field: field}
	for i, line := range strings.Split(text, "\n") {
		if err := r.readLine(i+1, line); err != nil {
			return nil, err
		}
	}
	if r.cur != nil {
		return nil, r.errorf("%s: BEGIN at line %d has no matching END", r.cur.name(), r.cur.beginLine)
	}
	if len(r.blocks) == 0 {
		return nil, notPEM(field, "Unable to load %s. Expecting PEM format file.%s", noun, hint(text))
	}
	return r.blocks, nil
}

// normaliseText removes a byte-order mark, undoes one level of JSON-style
// escaping when the input has no real line break, and turns every line
// ending into "\n".
func normaliseText(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	if !strings.ContainsAny(s, "\r\n") && strings.Contains(s, `\n`) {
		// Backslashes never occur in PEM, so undoing the escapes cannot
		// change the meaning of a valid input.
		s = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n", `\/`, "/").Replace(s)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// hint explains the most likely reason why no block was found.
func hint(text string) string {
	if i := strings.Index(text, "BEGIN"); i >= 0 {
		line := strings.Count(text[:i], "\n") + 1
		return fmt.Sprintf(" Line %d mentions BEGIN but is not a PEM BEGIN line (-----BEGIN TYPE----- with five dashes on each side).", line)
	}
	compact := strings.Join(strings.Fields(text), "")
	if _, err := base64.StdEncoding.DecodeString(compact); err == nil {
		return " The input looks like bare base64 (DER) without the -----BEGIN/-----END lines."
	}
	return ""
}

// blockReader is the state machine of ReadBlocks: outside a block, or inside
// block cur.
type blockReader struct {
	field  string
	blocks []*pem.Block
	cur    *openBlock
}

// openBlock is a block whose BEGIN line has been read.
type openBlock struct {
	n         int // 1-based block number
	typ       string
	beginLine int
	headers   map[string]string
	data      []dataLine
}

// dataLine is one line of base64 with its line number, for error messages.
type dataLine struct {
	no   int
	text string
}

func (b *openBlock) name() string { return fmt.Sprintf("PEM block %d (%s)", b.n, b.typ) }

const (
	base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	beginPrefix    = "-----BEGIN "
	endPrefix      = "-----END "
	dashes         = "-----"
)

// readLine feeds one line to the state machine. A line may hold several
// markers (glued blocks), so it is cut into markers and the text between.
func (r *blockReader) readLine(no int, line string) error {
	for line != "" {
		bi, ei := strings.Index(line, beginPrefix), strings.Index(line, endPrefix)
		i, prefix, begin := bi, beginPrefix, true
		if bi < 0 || (ei >= 0 && ei < bi) {
			i, prefix, begin = ei, endPrefix, false
		}
		if i < 0 {
			return r.text(no, line)
		}
		if err := r.text(no, line[:i]); err != nil {
			return err
		}
		rest := line[i+len(prefix):]
		j := strings.Index(rest, dashes)
		typ := ""
		if j >= 0 {
			typ = strings.TrimSpace(rest[:j])
		}
		if typ == "" || !printable(typ) {
			return r.errorf("line %d: malformed %s line; expected %sTYPE-----", no, strings.Trim(prefix, "- "), prefix)
		}
		line = rest[j+len(dashes):]
		var err error
		if begin {
			err = r.begin(no, typ)
		} else {
			err = r.end(no, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// printable reports whether a block type holds only printable ASCII, as RFC
// 7468 labels do.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (r *blockReader) begin(no int, typ string) error {
	if r.cur != nil {
		return r.errorf("%s: BEGIN at line %d has no matching END before the next BEGIN at line %d", r.cur.name(), r.cur.beginLine, no)
	}
	n := len(r.blocks) + 1
	if n > MaxPEMBlocks {
		return ncm.Invalid(r.field, "has more than %d PEM blocks", MaxPEMBlocks)
	}
	r.cur = &openBlock{n: n, typ: typ, beginLine: no}
	return nil
}

func (r *blockReader) end(no int, typ string) error {
	b := r.cur
	if b == nil {
		return r.errorf("line %d: END %s without a BEGIN line before it", no, typ)
	}
	if typ != b.typ {
		return r.errorf("%s: BEGIN %s at line %d ends with END %s at line %d", b.name(), b.typ, b.beginLine, typ, no)
	}
	der, err := b.decode()
	if err != nil {
		return r.errorf("%s: %s", b.name(), err)
	}
	r.blocks = append(r.blocks, &pem.Block{Type: b.typ, Headers: b.headers, Bytes: der})
	r.cur = nil
	return nil
}

// text handles anything that is not a marker: explanatory text outside a
// block, headers or base64 inside one.
func (r *blockReader) text(no int, s string) error {
	s = strings.TrimSpace(s)
	b := r.cur
	if b == nil || s == "" {
		return nil
	}
	// RFC 1421 headers come before the base64; base64 never holds ':'.
	if k, v, ok := strings.Cut(s, ":"); ok && len(b.data) == 0 {
		if b.headers == nil {
			b.headers = make(map[string]string)
		}
		b.headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil
	}
	b.data = append(b.data, dataLine{no: no, text: strings.Join(strings.Fields(s), "")})
	return nil
}

// decode decodes the base64 of a block; an error names the line at fault.
func (b *openBlock) decode() ([]byte, error) {
	if len(b.data) == 0 {
		return nil, errors.New("the block is empty")
	}
	var sb strings.Builder
	starts := make([]int, len(b.data))
	for i, l := range b.data {
		starts[i] = sb.Len()
		sb.WriteString(l.text)
	}
	der, err := base64.StdEncoding.DecodeString(sb.String())
	if err == nil {
		return der, nil
	}
	var ce base64.CorruptInputError
	if !errors.As(err, &ce) {
		return nil, fmt.Errorf("base64 is corrupt: %v", err)
	}
	at := b.data[len(b.data)-1].no
	for i := len(starts) - 1; i >= 0; i-- {
		if int64(starts[i]) <= int64(ce) {
			at = b.data[i].no
			break
		}
	}
	if off := int(ce); off >= sb.Len() || strings.IndexByte(base64Alphabet, sb.String()[off]) >= 0 {
		// Every character is legal, so the length or the padding is wrong.
		return nil, fmt.Errorf("base64 is incomplete at line %d (characters are missing or were cut)", at)
	}
	return nil, fmt.Errorf("base64 is corrupt at line %d", at)
}

func (r *blockReader) errorf(format string, args ...any) error {
	return notPEM(r.field, format, args...)
}

// notPEM is the error for input that cannot be read as PEM.
func notPEM(field, format string, args ...any) *ncm.Error {
	return fieldError(field, ncm.CodeNotPEM, format, args...)
}

// fieldError returns an EINVALID error with the NCP code, whose message
// starts with the field name.
func fieldError(field, code, format string, args ...any) *ncm.Error {
	return &ncm.Error{Kind: ncm.EINVALID, Code: code, Field: field,
		Message: field + ": " + fmt.Sprintf(format, args...)}
}
