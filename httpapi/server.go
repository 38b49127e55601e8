// Package httpapi serves the NCP Certificate Manager API over HTTP: the
// gateway in front (trace IDs, recovery, access log, body limits, signature
// v2 check) and the handlers of /api/v1 and /api/v2, which translate between
// the wire types of ncpapi and the use cases of service.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/emulator"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/ncmhq/ncm/service"
)

// DefaultMaxBodyBytes bounds request bodies (a certificate with its chain
// and key is well under 100 KiB).
const DefaultMaxBodyBytes = 1 << 20

// Server is the HTTP face of ncm. Build one with its fields set, then serve
// Handler().
type Server struct {
	Service *service.Service
	Logger  *slog.Logger
	Clock   ncm.Clock
	// Verifier checks signatures. Its Strict field is --strict-signature.
	Verifier ncpsig.Verifier
	// DisplayZone is the zone of dates on the wire. Default Asia/Seoul.
	DisplayZone *time.Location
	// LegacyFieldNames also emits orderID and certificateTypeCode beside
	// orderId and certificateType (--legacy-field-names).
	LegacyFieldNames bool
	// AllowSubAccountV2 lets sub-account keys call API 2.0, which NCP refuses
	// with an empty 403.
	AllowSubAccountV2 bool
	// MaxBodyBytes bounds request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RateLimit is the requests per second allowed per access key
	// (--rate-limit); 0 turns rate limiting off. RateBurst is the bucket
	// size (--rate-burst), default RateLimit rounded up. See abuse.go.
	RateLimit float64
	RateBurst int
	// RejectReplays refuses a signed request whose signature was already
	// seen within the signature window (--reject-replays).
	RejectReplays bool
	// Emulator, when set (ncm serve --emulator), serves the control plane
	// under /_ncm/v1/ and injects its faults into the API; Clock should
	// then be its clock. nil turns both off. See control.go.
	Emulator *emulator.Emulator

	// patterns are the route patterns, recorded by routes() (Routes).
	patterns []string
}

// Handler returns the complete HTTP handler: gateway middleware and routes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Clock == nil {
		s.Clock = ncm.SystemClock{}
	}
	if s.DisplayZone == nil {
		s.DisplayZone = time.FixedZone("KST", 9*3600)
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return s.routes()
}
