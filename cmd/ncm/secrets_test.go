package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/internal/pgtest"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// secret is one piece of key material the test must not find at rest.
type secret struct {
	what  string
	bytes []byte
}

// keyForms returns the encodings a private key could leak in: PKCS#8 and
// PKCS#1/SEC1 DER, their PEM bodies (whole and first line), and base64 and
// hex of the DER.
func keyForms(t *testing.T, name string, key crypto.Signer) []secret {
	t.Helper()
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ders := map[string][]byte{"PKCS#8": p8}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		ders["PKCS#1"] = x509.MarshalPKCS1PrivateKey(k)
	case *ecdsa.PrivateKey:
		sec1, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		ders["SEC1"] = sec1
	}
	var out []secret
	for form, der := range ders {
		body := pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: der})
		lines := strings.Split(string(body), "\n")
		out = append(out,
			secret{name + " " + form + " DER", der},
			secret{name + " " + form + " PEM first line", []byte(lines[1])},
			secret{name + " " + form + " base64", []byte(base64.StdEncoding.EncodeToString(der))},
			secret{name + " " + form + " hex", []byte(hex.EncodeToString(der))},
		)
	}
	return out
}

// scan fails the test for every secret found in data.
func scan(t *testing.T, where string, data []byte, secrets []secret) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(data, s.bytes) {
			t.Errorf("%s holds %s in plaintext", where, s.what)
		}
	}
}

// scanFiles scans the database and its WAL (those that exist).
func scanFiles(t *testing.T, dataDir string, secrets []secret) int {
	t.Helper()
	n := 0
	for _, f := range []string{"ncm.db", "ncm.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		scan(t, f, b, secrets)
		n++
	}
	return n
}

// TestSecretsAtRestAndMasterKeyRotation runs a full scenario on `ncm serve`
// (two members, paid certificates with RSA and EC keys registered in PKCS#8,
// PKCS#1 and SEC1 form, certificates imported with their keys through API
// 1.0 and 2.0), then looks for every secret key and every private
// key (the CA's too) in the database, its WAL, a pg_dump and the server's
// log; then rotates the master key, interrupted midway and resumed.
func TestSecretsAtRestAndMasterKeyRotation(t *testing.T) {
	bin := buildNCM(t)
	dataDir := t.TempDir()
	var dbArgs []string
	var pgSchema string
	if e2eOnPostgres {
		var dsn string
		dsn, pgSchema = pgtest.SchemaName(t, pgtest.BaseDSN())
		dbArgs = []string{"--db", dsn}
	}
	p := startProc(t, bin, dataDir, append([]string{"--auto-validate", "--log-format", "json"}, dbArgs...)...)
	_, ak, sk := p.credentials()
	ctx := context.Background()

	// Member B, made by the admin command beside the running server.
	var out, errb bytes.Buffer
	if code := Main(ctx, append([]string{"admin", "member", "create", "--name", "b", "--data-dir", dataDir}, dbArgs...),
		strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("admin member create: %d %s", code, errb.String())
	}
	var akB, skB string
	for _, m := range exportLine.FindAllStringSubmatch(out.String(), -1) {
		switch m[1] {
		case "NCLOUD_ACCESS_KEY_ID":
			akB = m[2]
		case "NCLOUD_SECRET_ACCESS_KEY":
			skB = m[2]
		}
	}
	secrets := []secret{{"main secret key", []byte(sk)}, {"member B's secret key", []byte(skB)}}

	rsaKey, ecKey, rsaKey2 := mustRSAKey(t, 0), mustECKey(t), mustRSAKey(t, 1)
	p1, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	issue := []struct {
		ak, sk, name string
		key          crypto.Signer
		pem          string
	}{
		{ak, sk, "rsa-pkcs8", rsaKey, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p1}))},
		{ak, sk, "ec-sec1", ecKey, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))},
		{akB, skB, "rsa-pkcs1", rsaKey2, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey2)}))},
	}
	for _, is := range issue {
		c, err := client.New(client.Config{Endpoint: p.endpoint, AccessKey: is.ak, SecretKey: is.sk})
		if err != nil {
			t.Fatal(err)
		}
		cn := is.name + ".example.com"
		pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, is.key, cn, cn), CertificateType: "NCP_PAID_DV_01", CertificateName: is.name,
			CommonName: cn, ValidationMethod: "D",
		})
		if err != nil {
			t.Fatalf("request %s: %v", is.name, err)
		}
		if err := c.RegisterPrivateKey(ctx, pc.CertificateNo, is.pem); err != nil {
			t.Fatalf("register %s key: %v", is.name, err)
		}
		secrets = append(secrets, keyForms(t, is.name, is.key)...)
	}

	// Imports through API 2.0 (PKCS#8 key with a chain) and API 1.0
	// (PKCS#1 key).
	cA, err := client.New(client.Config{Endpoint: p.endpoint, AccessKey: ak, SecretKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	ca := testpki.NewCA(t, "Secrets Root")
	inter := ca.Intermediate(t, "Secrets Intermediate")
	impKey, impKey1 := testpki.MustKey(t, testpki.RSA2048), testpki.MustKeyN(t, testpki.RSA2048, 1)
	if _, _, err := cA.RegisterExternalCertificate(ctx, ncpapi.RegisterExternalCertificateRequest{
		CertificateName: "imported-v2", PrivateKey: testpki.PKCS8PEM(t, impKey),
		CertificateBody:  testpki.CertPEM(inter.Leaf(t, impKey, testpki.LeafOptions{CommonName: "imp2.example.com"})),
		CertificateChain: testpki.CertPEM(inter.Cert, ca.Cert),
	}); err != nil {
		t.Fatalf("import (API 2.0): %v", err)
	}
	if _, _, err := cA.V1CreateExternalCertificate(ctx, ncpapi.CreateExternalCertificateRequest{
		CertificateName: "imported-v1", PrivateKey: testpki.PKCS1PEM(t, impKey1),
		PublicKeyCertificate: testpki.CertPEM(inter.Leaf(t, impKey1, testpki.LeafOptions{CommonName: "imp1.example.com"})),
	}); err != nil {
		t.Fatalf("import (API 1.0): %v", err)
	}
	// An ACME EAB credential: its HMAC key is a secret too.
	eab, err := cA.CreateEabCredential(ctx, ncpapi.CreateEabRequest{ValidationMode: "PRE", CertificateTypeCode: "NPD_01", ValidityDays: 90, Alias: "secrets"})
	if err != nil || eab.EabHmacKey == "" {
		t.Fatalf("create EAB credential: %+v, %v", eab, err)
	}
	secrets = append(secrets, secret{"EAB HMAC key", []byte(eab.EabHmacKey)})
	if raw, err := base64.RawURLEncoding.DecodeString(eab.EabHmacKey); err == nil && len(raw) >= 16 {
		secrets = append(secrets, secret{"EAB HMAC key bytes", raw}, secret{"EAB HMAC key hex", []byte(hex.EncodeToString(raw))})
	}
	secrets = append(secrets, keyForms(t, "imported v2 key", impKey)...)
	secrets = append(secrets, keyForms(t, "imported v1 key", impKey1)...)

	// The server is running: the newest writes are in the WAL.
	if !e2eOnPostgres && scanFiles(t, dataDir, secrets) != 2 {
		t.Error("expected both ncm.db and ncm.db-wal while the server runs")
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.stop(sctx); err != nil {
		t.Fatalf("ncm serve exited with %v after SIGTERM", err)
	}

	// The CA's keys, opened with the master key.
	key, err := masterkey.Load(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, caKeyForms(t, dataDir, dbArgs, key)...)

	t.Run("no plaintext in the database, its WAL, a dump or the log", func(t *testing.T) {
		if e2eOnPostgres {
			dump := pgDump(t, pgSchema)
			scan(t, "pg_dump", dump, secrets)
		} else {
			scanFiles(t, dataDir, secrets)
		}
		log := p.stderr.String()
		if !strings.Contains(log, `"msg":"request"`) {
			t.Fatalf("the captured log has no access log lines:\n%s", log)
		}
		scan(t, "the server log", []byte(log), secrets)
	})

	t.Run("rotate-master-key interrupted midway, then resumed", func(t *testing.T) {
		newKeyFile := filepath.Join(t.TempDir(), "new.key")
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		if err := os.WriteFile(newKeyFile, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		newKey, err := masterkey.Load(newKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		o := storeOptions{DataDir: dataDir, Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
		if len(dbArgs) > 0 {
			o.DB = dbArgs[1]
		}

		// Cancel as soon as the first batch (of one row) is committed.
		rctx, cancel := context.WithCancel(ctx)
		err = rotateMasterKey(rctx, o, newKeyFile, 1, cancelOnWrite{cancel})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted rotation returned %v, want context.Canceled", err)
		}
		oldN, newN := countSealed(t, o, key, newKey)
		if oldN == 0 || newN == 0 {
			t.Fatalf("after the interruption: %d values under the old key, %d under the new; want some of each", oldN, newN)
		}
		if k, err := masterkey.Load(filepath.Join(dataDir, "master.key")); err != nil || k.KeyID() != key.KeyID() {
			t.Fatalf("master.key changed before the rotation finished (%v)", err)
		}

		// Half rotated, the server still starts, opens its CA and
		// authenticates both members.
		checkServes(t, bin, dataDir, dbArgs, [][2]string{{ak, sk}, {akB, skB}})

		var out bytes.Buffer
		if err := rotateMasterKey(ctx, o, newKeyFile, 2, &out); err != nil {
			t.Fatalf("resumed rotation: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "resuming") {
			t.Errorf("the rerun did not say it resumed:\n%s", out.String())
		}
		if k, err := masterkey.Load(filepath.Join(dataDir, "master.key")); err != nil || k.KeyID() != newKey.KeyID() {
			t.Fatalf("master.key is not the new key after the rotation (%v)", err)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "master.key.next")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("master.key.next still exists after the rotation (%v)", err)
		}
		if oldN, newN := countSealed(t, o, key, newKey); oldN != 0 || newN == 0 {
			t.Fatalf("after the rotation: %d values under the old key, %d under the new; want 0 and all", oldN, newN)
		}
		checkServes(t, bin, dataDir, dbArgs, [][2]string{{ak, sk}, {akB, skB}})

		// The command line: the same key again is nothing to do; no key
		// file is a usage error.
		var cout, cerr bytes.Buffer
		args := append([]string{"admin", "rotate-master-key", "--new-key-file", newKeyFile, "--data-dir", dataDir}, dbArgs...)
		if code := Main(ctx, args, strings.NewReader(""), &cout, &cerr); code != 0 || !strings.Contains(cout.String(), "already in use") {
			t.Errorf("ncm %v: exit %d, stdout %q, stderr %q; want 0 and nothing to do", args, code, cout.String(), cerr.String())
		}
		if code := Main(ctx, []string{"admin", "rotate-master-key", "--data-dir", dataDir}, strings.NewReader(""), &cout, &cerr); code != exitUsage {
			t.Errorf("rotate-master-key without --new-key-file: exit %d, want %d", code, exitUsage)
		}
	})
}

// cancelOnWrite cancels a context on the first progress line.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (c cancelOnWrite) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("re-sealed")) {
		c.cancel()
	}
	return len(p), nil
}

// caKeyForms returns the local CA's private keys in every form.
func caKeyForms(t *testing.T, dataDir string, dbArgs []string, key ncm.Sealer) []secret {
	t.Helper()
	o := storeOptions{DataDir: dataDir, Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
	if len(dbArgs) > 0 {
		o.DB = dbArgs[1]
	}
	a, err := openApp(context.Background(), o, service.Config{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var m *ncm.CAMaterial
	if err := a.store.Read(context.Background(), func(tx ncm.Tx) (err error) { m, err = tx.CA(context.Background()); return err }); err != nil {
		t.Fatal(err)
	}
	var out []secret
	for name, sealed := range map[string][]byte{"CA root key": m.RootKeySealed, "CA intermediate key": m.IntermediateKeySealed} {
		der, err := key.Open(sealed, ncm.LabelCAKey)
		if err != nil {
			t.Fatal(err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			if k, err = x509.ParseECPrivateKey(der); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		out = append(out, keyForms(t, name, k.(crypto.Signer))...)
	}
	return out
}

// pgDump dumps the test's PostgreSQL schema.
func pgDump(t *testing.T, schema string) []byte {
	t.Helper()
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Fatalf("%s is set but pg_dump is not installed: %v", pgtest.EnvVar, err)
	}
	cmd := exec.Command("pg_dump", "--schema", schema, "--dbname", pgtest.BaseDSN())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, stderr.String())
	}
	return out
}

// countSealed counts, in every column of every table, the values sealed
// under the old and under the new key. Looking at every column (not only
// the registered *_sealed ones) is what catches a sealed column a rotation
// missed.
func countSealed(t *testing.T, o storeOptions, oldKey, newKey *masterkey.Key) (oldN, newN int) {
	t.Helper()
	count := func(v []byte) {
		switch {
		case bytes.HasPrefix(v, oldKey.Header()):
			oldN++
		case bytes.HasPrefix(v, newKey.Header()):
			newN++
		}
	}
	if o.DB != "" {
		// In a dump bytea values are written as \x followed by hex.
		for _, line := range strings.Split(string(pgDumpDSN(t, o.DB)), "\n") {
			oldN += strings.Count(line, `\x`+hex.EncodeToString(oldKey.Header()))
			newN += strings.Count(line, `\x`+hex.EncodeToString(newKey.Header()))
		}
		return oldN, newN
	}
	db, err := sql.Open("sqlite", filepath.Join(o.DataDir, "ncm.db")+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tbl := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					count(v)
				case string:
					count([]byte(v))
				}
			}
		}
		rows.Close()
	}
	return oldN, newN
}

// pgDumpDSN dumps the schema a test DSN points at (its search_path).
func pgDumpDSN(t *testing.T, dsn string) []byte {
	t.Helper()
	i := strings.Index(dsn, "ncm_test_")
	if i < 0 {
		t.Fatalf("no test schema in %s", dsn)
	}
	schema := dsn[i:]
	if j := strings.IndexAny(schema, "&%,"); j >= 0 {
		schema = schema[:j]
	}
	return pgDump(t, schema)
}

// checkServes starts the server on the data directory and wants a signed
// list call of every key answered 200, then stops it.
func checkServes(t *testing.T, bin, dataDir string, dbArgs []string, keys [][2]string) {
	t.Helper()
	p := startProc(t, bin, dataDir, dbArgs...)
	for _, k := range keys {
		c, err := client.New(client.Config{Endpoint: p.endpoint, AccessKey: k[0], SecretKey: k[1]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{}); err != nil {
			t.Errorf("list with key %s: %v", k[0], err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.stop(ctx); err != nil {
		t.Errorf("ncm serve exited with %v after SIGTERM", err)
	}
}
