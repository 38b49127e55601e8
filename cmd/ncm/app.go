package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/localca"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/service"
	"github.com/ncmhq/ncm/sqlstore"
	"github.com/spf13/pflag"
)

// storeOptions are the flags that say where ncm keeps its state; serve and
// the admin commands share them.
type storeOptions struct {
	DataDir         string
	DB              string
	MasterKeyFile   string
	Zone            string
	DisplayTimezone string

	// clockMode picks the clock (admin_emulator.go): the zero value follows
	// the database's emulator mode, as ncm admin does; serve sets it.
	clockMode clockMode
}

func (o *storeOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", "ncm-data", "directory for the database, master key and CA files")
	fs.StringVar(&o.DB, "db", "", "database DSN: sqlite:PATH or postgres://... (default sqlite:<data-dir>/ncm.db)")
	fs.StringVar(&o.MasterKeyFile, "master-key-file", "", "file holding the master key that seals secrets at rest (default <data-dir>/master.key, created 0600)")
	fs.StringVar(&o.Zone, "zone", ncm.ZonePublic, "zone reported as domainCode: PUB, GOV or FIN")
	fs.StringVar(&o.DisplayTimezone, "display-timezone", "Asia/Seoul", "time zone of dates on the wire")
}

// requireDatabase refuses to go on when the default SQLite database does
// not exist: an operator command run away from the server's data directory
// would otherwise create a new, empty installation (a new master key and
// CA) and then report that nothing is found.
func (o storeOptions) requireDatabase() error {
	if o.DB != "" {
		return nil
	}
	path := filepath.Join(o.DataDir, "ncm.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		abs, _ := filepath.Abs(path)
		return usageError{fmt.Errorf("no ncm database at %s: run this where the server's --data-dir is, or pass --data-dir (or --db)", abs)}
	}
	return nil
}

// app is ncm wired together over one data directory.
type app struct {
	opts    storeOptions
	store   ncm.Store
	sealer  ncm.Sealer
	ca      *localca.CA
	svc     *service.Service
	zone    *time.Location
	clock   ncm.Clock
	created bool // the master key was created by this start
}

// openApp opens (and on first start creates) the data directory, master
// key, database and local CA, and returns the service over them.
func openApp(ctx context.Context, o storeOptions, svcCfg service.Config, logger *slog.Logger) (*app, error) {
	switch o.Zone {
	case ncm.ZonePublic, ncm.ZoneGovernment, ncm.ZoneFinancial:
	default:
		return nil, usageError{fmt.Errorf("--zone must be PUB, GOV or FIN, got %q", o.Zone)}
	}
	loc, err := time.LoadLocation(o.DisplayTimezone)
	if err != nil {
		return nil, usageError{fmt.Errorf("--display-timezone %q: %v", o.DisplayTimezone, err)}
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	keyFile := o.MasterKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(o.DataDir, "master.key")
	}
	mk, created, err := masterkey.LoadOrCreate(keyFile)
	if err != nil {
		return nil, err
	}
	// During a master key rotation (rotate.go) new values are sealed under
	// the next key and values of both keys are opened.
	key, err := sealerFor(keyFile, mk)
	if err != nil {
		return nil, err
	}
	dsn := o.DB
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(o.DataDir, "ncm.db")
	}
	store, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	// The emulated clock when the database is in emulator mode (admin) or
	// --emulator is on (serve); svcCfg.Clock, else the system clock, is the
	// real time under it.
	clock, err := openClock(ctx, store, o.clockMode, svcCfg.Clock, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	ca, err := ensureCA(ctx, store, key, clock)
	if err != nil {
		store.Close()
		return nil, err
	}
	// Public CA certificates beside the database, for openssl verify and
	// trust stores. They are derived; the database is the source of truth.
	if err := writeCAFiles(o.DataDir, ca); err != nil {
		logger.Warn("could not write CA certificates to the data directory", "err", err)
	}
	svcCfg.Store, svcCfg.Issuer, svcCfg.Sealer, svcCfg.Clock = store, ca, key, clock
	svcCfg.Zone, svcCfg.DisplayZone, svcCfg.Logger = o.Zone, loc, logger
	return &app{opts: o, store: store, sealer: key, ca: ca, svc: service.New(svcCfg), zone: loc, clock: clock, created: created}, nil
}

func (a *app) Close() error { return a.store.Close() }

// ensureCA loads the local CA from the store, creating it on first start.
// When several nodes start at once, one CreateCA wins and the others load
// what it stored.
func ensureCA(ctx context.Context, store ncm.Store, sealer ncm.Sealer, clock ncm.Clock) (*localca.CA, error) {
	var m *ncm.CAMaterial
	err := store.Read(ctx, func(tx ncm.Tx) (err error) {
		m, err = tx.CA(ctx)
		return err
	})
	if ncm.ErrorKind(err) == ncm.ENOTFOUND {
		gen, gerr := localca.Generate(clock.Now(), sealer, localca.Options{})
		if gerr != nil {
			return nil, gerr
		}
		err = store.Write(ctx, func(tx ncm.Tx) error { return tx.CreateCA(ctx, gen) })
		if ncm.ErrorKind(err) == ncm.ECONFLICT {
			return ensureCA(ctx, store, sealer, clock)
		}
		m = gen
	}
	if err != nil {
		return nil, err
	}
	return localca.New(m, sealer, clock)
}

func writeCAFiles(dir string, ca *localca.CA) error {
	caDir := filepath.Join(dir, "ca")
	if err := os.MkdirAll(caDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(caDir, "root.pem"), []byte(ca.RootPEM()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(caDir, "intermediate.pem"), []byte(ca.IntermediatePEM()), 0o644)
}
