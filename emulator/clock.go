// Package emulator is ncm's control plane (ncm serve --emulator): a clock
// that every node and every `ncm admin` command on one database share and
// that tests can move, faults injected into the API, and a reset to an
// empty state. Its state lives in the store (ncm.LifecycleTx, emulator
// part), so any number of nodes agree on it.
package emulator

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncmhq/ncm"
)

// DefaultRefresh is how long a Clock trusts the state it read from the store
// before reading it again. A change made on another node is seen at most
// this much later; a change made through this Clock is seen at once.
const DefaultRefresh = 250 * time.Millisecond

// ClockConfig configures a Clock.
type ClockConfig struct {
	// Base is the real time the offset is added to. Default the system
	// clock; tests pass a fake one.
	Base ncm.Clock
	// Refresh is how often the stored state is read again. Default
	// DefaultRefresh.
	Refresh time.Duration
	// Logger reports a store that cannot be read. Default slog.Default().
	Logger *slog.Logger
}

// Clock is the emulated clock: the real time plus a stored offset, or a
// stored frozen instant. It implements ncm.Clock and is safe for concurrent
// use.
type Clock struct {
	store   ncm.Store
	base    ncm.Clock
	refresh time.Duration
	logger  *slog.Logger

	// mu guards the cache. It is never held while the store is read: Now
	// runs inside transactions that hold a pooled connection, so waiting
	// for mu while another goroutine waits for a connection could
	// deadlock the pool.
	mu       sync.Mutex
	offset   time.Duration
	frozenAt *time.Time
	loadedAt time.Time // the system clock's time of the last read (monotonic)
	loaded   bool
	failing  bool   // the last read failed; logged once until one succeeds
	gen      uint64 // counts changes made through this Clock
	// refreshing lets one goroutine at a time read the store for Now;
	// the others use the cache meanwhile.
	refreshing atomic.Bool
}

var _ ncm.Clock = (*Clock)(nil)

// NewClock returns the emulated clock over store.
func NewClock(store ncm.Store, cfg ClockConfig) *Clock {
	if cfg.Base == nil {
		cfg.Base = ncm.SystemClock{}
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Clock{store: store, base: cfg.Base, refresh: cfg.Refresh, logger: cfg.Logger}
}

// ClockState is what the clock shows and why.
type ClockState struct {
	// Now is the emulated time.
	Now time.Time
	// Real is the real (base) time it was computed from.
	Real time.Time
	// Offset is Now - Real.
	Offset time.Duration
	// Frozen says the clock stands still at Now.
	Frozen bool
}

// Now returns the emulated time in UTC. When the store cannot be read it
// keeps using the last state it read (the real time before the first).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	fresh := c.loaded && time.Since(c.loadedAt) < c.refresh
	c.mu.Unlock()
	if !fresh && c.refreshing.CompareAndSwap(false, true) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.load(ctx)
		cancel()
		c.refreshing.Store(false)
		c.mu.Lock()
		if err != nil && !c.failing {
			c.logger.Error("emulator clock: cannot read the stored clock; keeping the last known one", "err", err)
		}
		c.failing = err != nil
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

// Base returns the real time the emulated one is computed from.
func (c *Clock) Base() time.Time { return c.base.Now().UTC() }

// State reads the stored clock now, bypassing the cache (and refreshing
// it).
func (c *Clock) State(ctx context.Context) (ClockState, error) {
	s, err := c.load(ctx)
	if err != nil {
		return ClockState{}, err
	}
	return stateOf(s, c.base.Now().UTC()), nil
}

// load reads the stored state and puts it in the cache, unless this Clock
// changed the state meanwhile (its cache is then newer than what was read).
func (c *Clock) load(ctx context.Context) (*ncm.EmulatorState, error) {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	var s *ncm.EmulatorState
	err := c.store.Read(ctx, func(tx ncm.Tx) (err error) {
		s, err = tx.EmulatorState(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.offset, c.frozenAt = s.ClockOffset, s.ClockFrozenAt
		c.loadedAt, c.loaded = time.Now(), true
	}
	return s, nil
}

func (c *Clock) nowLocked() time.Time {
	if c.frozenAt != nil {
		return *c.frozenAt
	}
	return c.base.Now().UTC().Add(c.offset)
}

// stateOf is what a stored state shows at the real time real.
func stateOf(s *ncm.EmulatorState, real time.Time) ClockState {
	now := real.Add(s.ClockOffset)
	if s.ClockFrozenAt != nil {
		now = *s.ClockFrozenAt
	}
	return ClockState{Now: now, Real: real, Offset: now.Sub(real), Frozen: s.ClockFrozenAt != nil}
}

// Set moves the clock to t; a frozen clock stays frozen there. Moving back
// is allowed: work already done (expiries, renewals) is not undone.
func (c *Clock) Set(ctx context.Context, t time.Time) (ClockState, error) {
	t = t.UTC()
	return c.change(ctx, func(s *ncm.EmulatorState, real time.Time) {
		if s.ClockFrozenAt != nil {
			s.ClockFrozenAt = &t
			return
		}
		s.ClockOffset = t.Sub(real)
	})
}

// Advance moves the clock forward (or back, for a negative d) by d.
func (c *Clock) Advance(ctx context.Context, d time.Duration) (ClockState, error) {
	return c.change(ctx, func(s *ncm.EmulatorState, _ time.Time) {
		if s.ClockFrozenAt != nil {
			t := s.ClockFrozenAt.Add(d)
			s.ClockFrozenAt = &t
			return
		}
		s.ClockOffset += d
	})
}

// Freeze stops the clock at the time it shows (on) or lets it run again
// from the time it stood at (off).
func (c *Clock) Freeze(ctx context.Context, on bool) (ClockState, error) {
	return c.change(ctx, func(s *ncm.EmulatorState, real time.Time) {
		switch {
		case on && s.ClockFrozenAt == nil:
			t := real.Add(s.ClockOffset)
			s.ClockFrozenAt = &t
		case !on && s.ClockFrozenAt != nil:
			s.ClockOffset = s.ClockFrozenAt.Sub(real)
			s.ClockFrozenAt = nil
		}
	})
}

// Reset puts the clock back on the real time, running.
func (c *Clock) Reset(ctx context.Context) (ClockState, error) {
	return c.change(ctx, func(s *ncm.EmulatorState, _ time.Time) { resetClock(s) })
}

func resetClock(s *ncm.EmulatorState) {
	s.ClockOffset, s.ClockFrozenAt = 0, nil
}

// change applies fn to the stored state in one transaction, the state
// locked against concurrent changes, and puts the result in the cache.
func (c *Clock) change(ctx context.Context, fn func(s *ncm.EmulatorState, real time.Time)) (ClockState, error) {
	var saved *ncm.EmulatorState
	err := c.store.Write(ctx, func(tx ncm.Tx) error {
		s, err := tx.LockEmulatorState(ctx)
		if err != nil {
			return err
		}
		real := c.base.Now().UTC()
		fn(s, real)
		// The store keeps microseconds; the cache keeps what other
		// nodes will read, so they agree to the microsecond.
		s.ClockOffset = s.ClockOffset.Truncate(time.Microsecond)
		if s.ClockFrozenAt != nil {
			t := s.ClockFrozenAt.Truncate(time.Microsecond)
			s.ClockFrozenAt = &t
		}
		s.UpdatedAt = real
		if err := tx.SaveEmulatorState(ctx, s); err != nil {
			return err
		}
		saved = s
		return nil
	})
	if err != nil {
		return ClockState{}, err
	}
	return c.remember(saved), nil
}

// remember puts a state this node wrote into the cache.
func (c *Clock) remember(s *ncm.EmulatorState) ClockState {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset, c.frozenAt = s.ClockOffset, s.ClockFrozenAt
	c.loadedAt, c.loaded, c.failing = time.Now(), true, false
	c.gen++
	return stateOf(s, c.base.Now().UTC())
}
