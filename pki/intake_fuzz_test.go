package pki_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// FuzzIntake runs the whole intake pipeline (Accept) on arbitrary
// certificate, key and chain texts. It must never panic; a refusal must be
// an EINVALID *ncm.Error naming one of the three fields; an acceptance must
// be internally consistent (the key is the leaf's, every chain element
// signs the one below it) and stable: feeding back the normalised form
// gives the same leaf and chain with nothing reordered. Seeds are in
// testdata/fuzz/FuzzIntake (made with openssl; see the file names).
func FuzzIntake(f *testing.F) {
	f.Add("", "", "")
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "")
	f.Fuzz(func(t *testing.T, cert, key, chain string) {
		in, err := pki.Accept(pki.IntakeInput{Certificate: cert, PrivateKey: key, Chain: chain})
		if err != nil {
			var e *ncm.Error
			if !errors.As(err, &e) || e.Kind != ncm.EINVALID {
				t.Fatalf("err=%#v, want an EINVALID *ncm.Error", err)
			}
			switch e.Field {
			case "certificateBody", "privateKey", "certificateChain":
			default:
				t.Fatalf("error names field %q: %v", e.Field, err)
			}
			// 26040 keeps NCP's exact wording ("Public key in certificate
			// does not match with private key"), which clients match on;
			// its Field still names privateKey.
			if !strings.HasPrefix(e.Message, e.Field) && e.Code != ncm.CodeKeyMismatch {
				t.Fatalf("message %q does not start with the field %q", e.Message, e.Field)
			}
			return
		}
		if err := pki.CheckKeyMatch(in.Leaf, in.Key); err != nil {
			t.Fatalf("accepted a key that does not match: %v", err)
		}
		below := in.Leaf
		for i, c := range in.Chain {
			if !bytes.Equal(c.RawSubject, below.RawIssuer) || below.CheckSignatureFrom(c) != nil {
				t.Fatalf("chain element %d does not sign the certificate below it", i+1)
			}
			below = c
		}
		again, err := pki.Accept(pki.IntakeInput{Certificate: in.CertificatePEM(), PrivateKey: string(in.KeyPEM), Chain: in.ChainPEM()})
		if err != nil {
			t.Fatalf("normalised form is refused: %v", err)
		}
		if again.Metadata.Fingerprint != in.Metadata.Fingerprint || again.ChainPEM() != in.ChainPEM() {
			t.Fatal("normalised form reads back differently")
		}
		for _, n := range again.Notes {
			if strings.Contains(n, "reordered") || strings.Contains(n, "dropped") {
				t.Fatalf("normalised form needed repairs: %s", n)
			}
		}
	})
}
