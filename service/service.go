// Package service holds ncm's use cases: bootstrap, access keys,
// organizations, Advanced certificate requests, domain validation approval,
// issuance, private key registration and listing. It works over the
// interfaces of the root package (Store, Issuer, Sealer, Clock) and is where
// authorisation by member happens: every call made for an API caller takes
// the caller's Principal and only ever touches that member's rows.
package service

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"time"

	"github.com/ncmhq/ncm"
)

// Principal is an authenticated API caller.
type Principal struct {
	MemberNo    string
	AccessKeyID string
	KeyKind     ncm.KeyKind
}

// Config configures a Service. Store, Issuer, Sealer are required.
type Config struct {
	Store  ncm.Store
	Issuer ncm.Issuer
	Sealer ncm.Sealer
	// Clock defaults to the system clock.
	Clock ncm.Clock
	// Zone is the server's zone, reported as domainCode. Default "PUB".
	Zone string
	// DisplayZone is where "end of day" is computed for notAfter (NCP's
	// Advanced certificates end at 23:59:59 Korean time). Default Asia/Seoul.
	DisplayZone *time.Location
	// Validity is the lifetime of issued certificates. Default 365 days.
	Validity time.Duration
	// AutoValidate passes domain validation at once on every request, so a
	// request is issued without an operator's approval.
	AutoValidate bool
	// NameMaxLength is the maximum certificateName length on create. Default 20
	// (NCP's rule since 2026-09-17).
	NameMaxLength int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Lifecycle configures domain validation, the job worker and renewal
	// (lifecycle.go); zero fields take their defaults.
	Lifecycle LifecycleConfig
}

// Service implements the use cases. It is safe for concurrent use.
type Service struct {
	cfg Config
}

// New returns a Service, filling in defaults.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = ncm.SystemClock{}
	}
	if cfg.Zone == "" {
		cfg.Zone = ncm.ZonePublic
	}
	if cfg.DisplayZone == nil {
		cfg.DisplayZone = time.FixedZone("KST", 9*3600)
	}
	if cfg.Validity == 0 {
		cfg.Validity = 365 * 24 * time.Hour
	}
	if cfg.NameMaxLength == 0 {
		cfg.NameMaxLength = 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Lifecycle.setDefaults()
	return &Service{cfg: cfg}
}

// Now returns the service clock's time in UTC.
func (s *Service) Now() time.Time { return s.cfg.Clock.Now().UTC() }

// Credentials is a freshly created access key with its secret, shown once.
type Credentials struct {
	MemberNo    string
	AccessKeyID string
	SecretKey   string
	Kind        ncm.KeyKind
}

// Bootstrap creates the main account and its first access key when the
// store holds no member yet. It returns nil credentials when there was
// already a member.
func (s *Service) Bootstrap(ctx context.Context) (*Credentials, error) {
	var creds *Credentials
	errBootstrapped := errors.New("another node created the main account")
	err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		n, err := tx.CountMembers(ctx)
		if err != nil || n > 0 {
			return err
		}
		c, err := s.createMember(ctx, tx, "main")
		if err != nil {
			return err
		}
		// Nodes starting together on PostgreSQL may all have counted
		// none. Creating took the member counter's row lock, so they
		// queue there, and each counts again seeing what those before it
		// committed (READ COMMITTED): all but the first find another
		// member and give theirs back.
		if n, err = tx.CountMembers(ctx); err != nil {
			return err
		}
		if n > 1 {
			return errBootstrapped
		}
		creds = c
		return nil
	})
	if errors.Is(err, errBootstrapped) {
		return nil, nil
	}
	return creds, err
}

// CreateMember creates a new account with a main-account access key.
func (s *Service) CreateMember(ctx context.Context, name string) (*Credentials, error) {
	var creds *Credentials
	err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) (err error) {
		creds, err = s.createMember(ctx, tx, name)
		return err
	})
	return creds, err
}

func (s *Service) createMember(ctx context.Context, tx ncm.Tx, name string) (*Credentials, error) {
	m := &ncm.Member{Name: name, CreatedAt: s.Now()}
	if err := tx.CreateMember(ctx, m); err != nil {
		return nil, err
	}
	return s.createAccessKey(ctx, tx, m.No, ncm.KeyMain)
}

// CreateAccessKey adds an access key to an existing member. ENOTFOUND if the
// member does not exist.
func (s *Service) CreateAccessKey(ctx context.Context, memberNo string, kind ncm.KeyKind) (*Credentials, error) {
	if kind != ncm.KeyMain && kind != ncm.KeySub {
		return nil, ncm.Invalid("kind", "must be %q or %q", ncm.KeyMain, ncm.KeySub)
	}
	var creds *Credentials
	err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if _, err := tx.Member(ctx, memberNo); err != nil {
			return err
		}
		var err error
		creds, err = s.createAccessKey(ctx, tx, memberNo, kind)
		return err
	})
	return creds, err
}

// keyAlphabet gives access key IDs NCP's look: upper-case letters and digits.
var keyAlphabet = base32.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").WithPadding(base32.NoPadding)

func (s *Service) createAccessKey(ctx context.Context, tx ncm.Tx, memberNo string, kind ncm.KeyKind) (*Credentials, error) {
	id := "ncm_" + keyAlphabet.EncodeToString(randomBytes(10))
	secret := keyAlphabet.EncodeToString(randomBytes(25))
	sealed, err := s.cfg.Sealer.Seal([]byte(secret), ncm.LabelAccessKeySecret)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	k := &ncm.AccessKey{ID: id, MemberNo: memberNo, Kind: kind, SecretSealed: sealed, CreatedAt: s.Now()}
	if err := tx.CreateAccessKey(ctx, k); err != nil {
		return nil, err
	}
	return &Credentials{MemberNo: memberNo, AccessKeyID: id, SecretKey: secret, Kind: kind}, nil
}

// Authenticate looks an access key up and returns its owner and secret. The
// gateway verifies the signature with the secret. An unknown or disabled key
// is EUNAUTHORIZED; the caller must answer it exactly like a bad signature.
func (s *Service) Authenticate(ctx context.Context, accessKeyID string) (*Principal, []byte, error) {
	var k *ncm.AccessKey
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		k, err = tx.AccessKey(ctx, accessKeyID)
		return err
	})
	if ncm.ErrorKind(err) == ncm.ENOTFOUND || (err == nil && k.Disabled) {
		return nil, nil, ncm.Errorf(ncm.EUNAUTHORIZED, "", "unknown or disabled access key")
	}
	if err != nil {
		return nil, nil, err
	}
	secret, err := s.cfg.Sealer.Open(k.SecretSealed, ncm.LabelAccessKeySecret)
	if err != nil {
		return nil, nil, ncm.Internal(err)
	}
	return &Principal{MemberNo: k.MemberNo, AccessKeyID: k.ID, KeyKind: k.Kind}, secret, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}
