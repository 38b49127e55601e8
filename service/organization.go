package service

import (
	"context"
	"strings"

	"github.com/ncmhq/ncm"
)

// NewOrganization describes an organization to create for OV certificates.
type NewOrganization struct {
	NameEng                string
	NameKor                string
	BusinessRegistrationNo string
	Country                string
	State                  string
	Locality               string
}

// CreateOrganization stores an organization of the member, already verified
// (verificationProgressCode 7): ncm has no document review, the operator who
// runs `ncm admin org create` vouches for it.
func (s *Service) CreateOrganization(ctx context.Context, memberNo string, in NewOrganization) (*ncm.Organization, error) {
	in.NameEng = strings.TrimSpace(in.NameEng)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if in.NameEng == "" || len(in.NameEng) > 64 {
		return nil, ncm.Invalid("organizationNameEng", "is required, at most 64 characters")
	}
	if len(in.Country) != 2 || in.Country[0] < 'A' || in.Country[0] > 'Z' || in.Country[1] < 'A' || in.Country[1] > 'Z' {
		return nil, ncm.Invalid("country", "must be a two-letter ISO 3166 code such as KR, got %q", in.Country)
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"organizationNameEng", in.NameEng, 64}, {"organizationNameKor", in.NameKor, 128},
		{"businessRegistrationNo", in.BusinessRegistrationNo, 32}, {"state", in.State, 128}, {"locality", in.Locality, 128}} {
		if err := checkText(f.field, f.v, f.max); err != nil {
			return nil, err
		}
	}
	o := &ncm.Organization{
		MemberNo:                 memberNo,
		NameKor:                  in.NameKor,
		NameEng:                  in.NameEng,
		BusinessRegistrationNo:   in.BusinessRegistrationNo,
		Country:                  in.Country,
		State:                    in.State,
		Locality:                 in.Locality,
		VerificationType:         "BUSINESS_REGISTRATION",
		VerificationProgressCode: 7,
		CreatedAt:                s.Now(),
	}
	err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if _, err := tx.Member(ctx, memberNo); err != nil {
			return err
		}
		return tx.CreateOrganization(ctx, o)
	})
	return o, err
}
