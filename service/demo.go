package service

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// Demo fills the member's empty account with sample orders whose
// certificates the CA really issues: Advanced OV and DV certificates with
// several SANs, one with its private key registered, one waiting for it, and
// one still Ongoing. It does nothing if the member already has an Advanced
// certificate.
func (s *Service) Demo(ctx context.Context, memberNo string) error {
	p := &Principal{MemberNo: memberNo, KeyKind: ncm.KeyMain}
	existing, err := s.ListAdvanced(ctx, p, ncm.AdvancedFilter{PageSize: 1})
	if err != nil || existing.Total > 0 {
		return err
	}
	org, err := s.CreateOrganization(ctx, memberNo, NewOrganization{
		NameEng: "Example Corporation", NameKor: "예제 주식회사", BusinessRegistrationNo: "123-45-67890",
		Country: "KR", State: "Sample-state", Locality: "Sample-city",
	})
	if err != nil {
		return err
	}
	samples := []struct {
		name, cn string
		sans     []string
		typ      ncm.CertificateType
		method   string
		issue    bool
		register bool
	}{
		{"sample-cert-01", "example.com", []string{"www.example.com", "api.example.com"}, ncm.TypePaidOV, ncm.ValidationDNS, true, true},
		{"shop-dv", "shop.example.net", []string{"cdn.shop.example.net"}, ncm.TypePaidDV, ncm.ValidationPersistentDNS, true, false},
		{"wildcard-ov", "*.example.org", []string{"example.org"}, ncm.TypePaidOV, ncm.ValidationDNS, true, true},
		{"pending-dv", "new.example.com", nil, ncm.TypePaidDV, ncm.ValidationDNS, false, false},
	}
	for i, d := range samples {
		var key crypto.Signer
		if i%2 == 0 {
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return ncm.Internal(err)
		}
		csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: d.cn}, DNSNames: append([]string{d.cn}, d.sans...),
		}, key)
		if err != nil {
			return ncm.Internal(err)
		}
		req := AdvancedRequest{
			CSR:             string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
			CertificateType: d.typ, CertificateName: d.name, CommonName: d.cn, DNSNames: d.sans,
			ValidationMethod: d.method,
		}
		if d.typ == ncm.TypePaidOV {
			req.OrganizationNo = org.No
		}
		demo := *s
		demo.cfg.AutoValidate = false // the pending sample must stay Ongoing
		cert, _, err := demo.RequestAdvanced(ctx, p, req)
		if err != nil {
			return fmt.Errorf("demo certificate %s: %w", d.name, err)
		}
		if !d.issue {
			continue
		}
		if _, err := s.ApproveValidation(ctx, cert.No); err != nil {
			return err
		}
		if d.register {
			keyPEM, err := pki.MarshalPrivateKeyPEM(key)
			if err != nil {
				return ncm.Internal(err)
			}
			if _, err := s.RegisterPrivateKey(ctx, p, cert.No, string(keyPEM)); err != nil {
				return err
			}
		}
	}
	return nil
}
