package ncm

// GatewayTx is the part of Tx for state the API gateway shares across nodes
// (replay nonces).
type GatewayTx interface {
}
