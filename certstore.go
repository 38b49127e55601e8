package ncm

// CertificateTx is the part of Tx for certificate intake and the
// certificate API (register, list, chain, download, delete, instances).
type CertificateTx interface {
}
