package ncm

// LifecycleTx is the part of Tx for the Advanced certificate lifecycle:
// domain validation records, orders, leased background jobs, events and the
// emulator's shared state (clock, faults).
type LifecycleTx interface {
}
