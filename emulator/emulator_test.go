package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/emulator"
	"github.com/ncmhq/ncm/internal/pgtest"
	"github.com/ncmhq/ncm/sqlstore"
)

// fixedClock is a real-time stand-in that only moves when told.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var start = time.Date(2026, 3, 1, 1, 15, 30, 0, time.UTC)

// forEachDatabase runs fn on SQLite, and on PostgreSQL when
// NCM_TEST_POSTGRES_DSN is set. open opens one more store on the same
// database, as another node or an `ncm admin` process would.
func forEachDatabase(t *testing.T, fn func(t *testing.T, open func() ncm.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "ncm.db")
		fn(t, func() ncm.Store { return mustOpen(t, dsn) })
	})
	t.Run("postgres", func(t *testing.T) {
		base := pgtest.BaseDSN()
		if base == "" {
			t.Skip(pgtest.EnvVar + " is not set")
		}
		dsn := pgtest.Schema(t, base)
		fn(t, func() ncm.Store { return mustOpen(t, dsn) })
	})
}

func mustOpen(t *testing.T, dsn string) ncm.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"ok/60d":     60 * 24 * time.Hour,
		"ok/1d12h":   36 * time.Hour,
		"ok/1.5d":    36 * time.Hour,
		"ok/90m":     90 * time.Minute,
		"ok/-2h":     -2 * time.Hour,
		"ok/+3s":     3 * time.Second,
		"ok/0":       0,
		"ok/2h30m5s": 2*time.Hour + 30*time.Minute + 5*time.Second,
		"ok/ 7d ":    7 * 24 * time.Hour,
		"ok/250ms":   250 * time.Millisecond,
	} {
		t.Run(in, func(t *testing.T) {
			got, err := emulator.ParseDuration(in[len("ok/"):])
			if err != nil || got != want {
				t.Fatalf("ParseDuration = %v, %v; want %v", got, err, want)
			}
		})
	}
	for _, in := range []string{"", "60", "d", "5x", "1d2", "1..5d", "200000000d", "--1h"} {
		t.Run("error/"+in, func(t *testing.T) {
			if got, err := emulator.ParseDuration(in); err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestFormatDurationReadsBack(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, 60 * 24 * time.Hour, 36*time.Hour + time.Minute, -49 * time.Hour} {
		s := emulator.FormatDuration(d)
		got, err := emulator.ParseDuration(s)
		if err != nil || got != d {
			t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", d, s, got, err)
		}
	}
	if got := emulator.FormatDuration(60 * 24 * time.Hour); got != "60d" {
		t.Errorf("FormatDuration(60 days) = %q, want 60d", got)
	}
}

func TestClock(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, open func() ncm.Store) {
		t.Run("StartsOnTheRealTime", func(t *testing.T) {
			base := &fixedClock{t: start}
			c := emulator.NewClock(open(), emulator.ClockConfig{Base: base})
			if got := c.Now(); !got.Equal(start) {
				t.Fatalf("Now = %v, want the base time %v", got, start)
			}
			base.add(time.Hour)
			if got := c.Now(); !got.Equal(start.Add(time.Hour)) {
				t.Fatalf("Now = %v, want it to follow the base time to %v", got, start.Add(time.Hour))
			}
		})
	})
	forEachDatabase(t, func(t *testing.T, open func() ncm.Store) {
		base := &fixedClock{t: start}
		// Two nodes on one database: a refreshes at every read, b keeps
		// its cache for an hour (so only State reads the store for it).
		a := emulator.NewClock(open(), emulator.ClockConfig{Base: base, Refresh: time.Nanosecond})
		b := emulator.NewClock(open(), emulator.ClockConfig{Base: base, Refresh: time.Hour})
		_ = b.Now() // fills b's cache

		t.Run("AdvanceIsShared", func(t *testing.T) {
			st, err := a.Advance(ctx, 60*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			want := start.Add(60 * 24 * time.Hour)
			if !st.Now.Equal(want) || st.Offset != 60*24*time.Hour || st.Frozen {
				t.Fatalf("Advance answered %+v, want now %v, offset 60d, running", st, want)
			}
			if got := a.Now(); !got.Equal(want) {
				t.Fatalf("a.Now = %v, want %v at once on the node that moved it", got, want)
			}
			if got := b.Now(); !got.Equal(start) {
				t.Fatalf("b.Now = %v, want the cached %v until b refreshes", got, start)
			}
			bs, err := b.State(ctx)
			if err != nil || !bs.Now.Equal(want) {
				t.Fatalf("b.State = %+v, %v; want now %v from the store", bs, err, want)
			}
			if got := b.Now(); !got.Equal(want) {
				t.Fatalf("b.Now after State = %v, want %v", got, want)
			}
		})
		t.Run("Set", func(t *testing.T) {
			want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			if _, err := b.Set(ctx, want.In(time.FixedZone("KST", 9*3600))); err != nil {
				t.Fatal(err)
			}
			if got := a.Now(); !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("a.Now = %v, want %v in UTC", got, want)
			}
		})
		t.Run("FreezeStopsAndUnfreezeResumes", func(t *testing.T) {
			frozenAt := a.Now()
			if _, err := a.Freeze(ctx, true); err != nil {
				t.Fatal(err)
			}
			base.add(10 * time.Minute)
			if got := a.Now(); !got.Equal(frozenAt) {
				t.Fatalf("frozen Now = %v, want %v while the real time moves", got, frozenAt)
			}
			if _, err := a.Advance(ctx, time.Hour); err != nil {
				t.Fatal(err)
			}
			if got := a.Now(); !got.Equal(frozenAt.Add(time.Hour)) {
				t.Fatalf("frozen Now after advance = %v, want %v", got, frozenAt.Add(time.Hour))
			}
			st, err := a.Freeze(ctx, false)
			if err != nil || st.Frozen {
				t.Fatalf("unfreeze = %+v, %v", st, err)
			}
			base.add(time.Minute)
			if got := a.Now(); !got.Equal(frozenAt.Add(time.Hour + time.Minute)) {
				t.Fatalf("Now after unfreeze = %v, want it to run on from %v", got, frozenAt.Add(time.Hour))
			}
		})
		t.Run("Reset", func(t *testing.T) {
			if _, err := a.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if got := a.Now(); !got.Equal(base.Now()) {
				t.Fatalf("Now after reset = %v, want the real time %v", got, base.Now())
			}
		})
		t.Run("ConcurrentAdvancesAllCount", func(t *testing.T) {
			if _, err := a.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 20 {
				c := a
				if i%2 == 1 {
					c = b
				}
				wg.Go(func() {
					if _, err := c.Advance(ctx, time.Hour); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			st, err := a.State(ctx)
			if err != nil || st.Offset != 20*time.Hour {
				t.Fatalf("offset after 20 concurrent advances of 1h = %v, %v; want 20h", st.Offset, err)
			}
		})
	})
}

func TestAdminToken(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, open func() ncm.Store) {
		store := open()
		e := emulator.New(store, emulator.NewClock(store, emulator.ClockConfig{}))
		generated, err := emulator.Enable(ctx, store, "", start)
		if err != nil || len(generated) < emulator.MinTokenLength {
			t.Fatalf("first Enable = %q, %v; want a generated token", generated, err)
		}
		if on, err := emulator.Enabled(ctx, open()); err != nil || !on {
			t.Fatalf("Enabled = %v, %v; want true on another store of the database", on, err)
		}
		t.Run("GeneratedOnce", func(t *testing.T) {
			again, err := emulator.Enable(ctx, open(), "", start)
			if err != nil || again != "" {
				t.Fatalf("second Enable = %q, %v; want no new token", again, err)
			}
		})
		t.Run("Check", func(t *testing.T) {
			for token, want := range map[string]bool{generated: true, generated + "x": false, "": false, generated[:len(generated)-1]: false} {
				if ok, err := e.CheckAdminToken(ctx, token); err != nil || ok != want {
					t.Errorf("CheckAdminToken(%q) = %v, %v; want %v", token, ok, err, want)
				}
			}
		})
		t.Run("GivenTokenReplaces", func(t *testing.T) {
			const given = "a-token-of-my-own-choosing"
			if got, err := emulator.Enable(ctx, open(), given, start); err != nil || got != "" {
				t.Fatalf("Enable(given) = %q, %v", got, err)
			}
			if ok, _ := e.CheckAdminToken(ctx, given); !ok {
				t.Error("the given token is refused")
			}
			if ok, _ := e.CheckAdminToken(ctx, generated); ok {
				t.Error("the replaced token still works")
			}
		})
		t.Run("ErrShortToken", func(t *testing.T) {
			if _, err := emulator.Enable(ctx, store, "short", start); ncm.ErrorKind(err) != ncm.EINVALID {
				t.Fatalf("Enable(short) = %v, want EINVALID", err)
			}
		})
		t.Run("Disable", func(t *testing.T) {
			if was, err := emulator.Disable(ctx, store, start); err != nil || !was {
				t.Fatalf("Disable = %v, %v; want true", was, err)
			}
			if on, _ := emulator.Enabled(ctx, store); on {
				t.Fatal("still enabled after Disable")
			}
			if was, err := emulator.Disable(ctx, store, start); err != nil || was {
				t.Fatalf("second Disable = %v, %v; want false", was, err)
			}
		})
	})
}

const route = "GET /api/v2/certificate/getPaidCertificates"

func TestFaults(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, open func() ncm.Store) {
		store := open()
		e := emulator.New(store, emulator.NewClock(store, emulator.ClockConfig{Base: &fixedClock{t: start}}))

		t.Run("CountConsumedExactly", func(t *testing.T) {
			f, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Count: 3, Status: http.StatusServiceUnavailable})
			if err != nil {
				t.Fatal(err)
			}
			if f.ReturnCode != "500" || f.Message != "Endpoint Error" || f.Remaining != 3 {
				t.Fatalf("stored fault %+v, want the gateway's 500 Endpoint Error, 3 left", f)
			}
			if other, err := e.TakeFault(ctx, "POST /api/v2/certificate/registPrivateKey"); err != nil || other != nil {
				t.Fatalf("TakeFault(another route) = %+v, %v; want none", other, err)
			}
			for want := 2; want >= 0; want-- {
				got, err := e.TakeFault(ctx, route)
				if err != nil || got == nil || got.ID != f.ID || got.Remaining != want {
					t.Fatalf("TakeFault = %+v, %v; want fault %d with %d left", got, err, f.ID, want)
				}
			}
			if got, err := e.TakeFault(ctx, route); err != nil || got != nil {
				t.Fatalf("TakeFault after 3 = %+v, %v; want none", got, err)
			}
			if fs, _ := e.Faults(ctx); len(fs) != 0 {
				t.Fatalf("Faults = %d, want none with requests left", len(fs))
			}
		})
		t.Run("ConcurrentTakersShareTheCount", func(t *testing.T) {
			if _, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Count: 5, Status: http.StatusTooManyRequests}); err != nil {
				t.Fatal(err)
			}
			other := emulator.New(open(), emulator.NewClock(store, emulator.ClockConfig{}))
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				taken int
			)
			for i := range 40 {
				node := e
				if i%2 == 1 {
					node = other
				}
				wg.Go(func() {
					f, err := node.TakeFault(ctx, route)
					if err != nil {
						t.Error(err)
						return
					}
					if f != nil {
						mu.Lock()
						taken++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if taken != 5 {
				t.Fatalf("%d of 40 concurrent requests got the fault, want exactly 5", taken)
			}
		})
		t.Run("AnyRouteAndOrder", func(t *testing.T) {
			first, _ := e.AddFault(ctx, emulator.FaultSpec{Route: ncm.FaultAnyRoute, Latency: "10ms"})
			second, _ := e.AddFault(ctx, emulator.FaultSpec{Route: route, ReturnCode: "1006", Message: "No certificate exists."})
			got, err := e.TakeFault(ctx, route)
			if err != nil || got == nil || got.ID != first.ID || got.Latency != 10*time.Millisecond {
				t.Fatalf("TakeFault = %+v, %v; want the older '*' fault %d", got, err, first.ID)
			}
			got, err = e.TakeFault(ctx, route)
			if err != nil || got == nil || got.ID != second.ID || got.Status != http.StatusOK || emulator.IsGateway(got) {
				t.Fatalf("TakeFault = %+v, %v; want the business fault %d with HTTP 200", got, err, second.ID)
			}
		})
		t.Run("Status400", func(t *testing.T) {
			business, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Status: 400, ReturnCode: "2000"})
			if err != nil || emulator.IsGateway(business) || business.Status != 400 {
				t.Fatalf("400 with returnCode 2000 = %+v, %v; want a business error with HTTP 400", business, err)
			}
			gw, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Status: 400})
			if err != nil || !emulator.IsGateway(gw) || gw.ReturnCode != "100" || gw.Message != "Bad Request Exception" {
				t.Fatalf("400 alone = %+v, %v; want the gateway's 100 Bad Request Exception", gw, err)
			}
			known, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, ReturnCode: "1006"})
			if err != nil || known.Message != "No certificate exists." {
				t.Fatalf("returnCode 1006 = %+v, %v; want NCP's message", known, err)
			}
			permission, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Status: 401, ReturnCode: "210"})
			if err != nil || !emulator.IsGateway(permission) || permission.Message != "Permission Denied" {
				t.Fatalf("401 with code 210 = %+v, %v; want the gateway's Permission Denied", permission, err)
			}
			e.ClearFaults(ctx)
		})
		t.Run("Clear", func(t *testing.T) {
			e.AddFault(ctx, emulator.FaultSpec{Route: route, Count: 2, Status: 500})
			e.AddFault(ctx, emulator.FaultSpec{Route: route, Count: 1, Status: 504})
			if n, err := e.ClearFaults(ctx); err != nil || n != 2 {
				t.Fatalf("ClearFaults = %d, %v; want 2", n, err)
			}
			if got, _ := e.TakeFault(ctx, route); got != nil {
				t.Fatalf("TakeFault after clear = %+v", got)
			}
		})
		for name, spec := range map[string]emulator.FaultSpec{
			"ErrNoRoute":        {Status: 503},
			"ErrNothingToDo":    {Route: route},
			"ErrStatus":         {Route: route, Status: 502},
			"ErrCount":          {Route: route, Status: 503, Count: -1},
			"ErrLatency":        {Route: route, Latency: "2h"},
			"ErrLatencySyntax":  {Route: route, Latency: "soon"},
			"ErrReturnCodeZero": {Route: route, ReturnCode: "0"},
			"ErrReturnCodeText": {Route: route, ReturnCode: "oops"},
			"Err200NoCode":      {Route: route, Status: 200},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.AddFault(ctx, spec)
				var ne *ncm.Error
				if !errors.As(err, &ne) || ne.Kind != ncm.EINVALID || ne.Field == "" {
					t.Fatalf("AddFault(%+v) = %v, want EINVALID naming a field", spec, err)
				}
				if fs, _ := e.Faults(ctx); len(fs) != 0 {
					t.Fatalf("a refused fault was stored: %+v", fs[0])
				}
			})
		}
	})
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, open func() ncm.Store) {
		store := open()
		base := &fixedClock{t: start}
		clock := emulator.NewClock(store, emulator.ClockConfig{Base: base})
		e := emulator.New(store, clock)
		token, err := emulator.Enable(ctx, store, "", start)
		if err != nil {
			t.Fatal(err)
		}
		var mainNo, otherNo string
		err = store.Write(ctx, func(tx ncm.Tx) error {
			for i, name := range []string{"main", "other"} {
				m := &ncm.Member{Name: name, CreatedAt: start.Add(time.Duration(i) * time.Second)}
				if err := tx.CreateMember(ctx, m); err != nil {
					return err
				}
				if err := tx.CreateAccessKey(ctx, &ncm.AccessKey{ID: "key-" + name, MemberNo: m.No, Kind: ncm.KeyMain, SecretSealed: []byte("sealed"), CreatedAt: start}); err != nil {
					return err
				}
				if err := tx.CreateOrganization(ctx, &ncm.Organization{MemberNo: m.No, NameEng: "Example", Country: "KR", CreatedAt: start}); err != nil {
					return err
				}
				if i == 0 {
					mainNo = m.No
				} else {
					otherNo = m.No
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.AddFault(ctx, emulator.FaultSpec{Route: route, Status: 503}); err != nil {
			t.Fatal(err)
		}
		if _, err := clock.Advance(ctx, 400*24*time.Hour); err != nil {
			t.Fatal(err)
		}

		kept, err := e.Reset(ctx)
		if err != nil || kept != mainNo {
			t.Fatalf("Reset = %q, %v; want the main account %s kept", kept, err, mainNo)
		}
		err = store.Read(ctx, func(tx ncm.Tx) error {
			if n, err := tx.CountMembers(ctx); err != nil || n != 1 {
				t.Errorf("CountMembers = %d, %v; want 1", n, err)
			}
			if _, err := tx.AccessKey(ctx, "key-main"); err != nil {
				t.Errorf("the main account's key is gone: %v", err)
			}
			if _, err := tx.AccessKey(ctx, "key-other"); ncm.ErrorKind(err) != ncm.ENOTFOUND {
				t.Errorf("AccessKey(other) = %v, want ENOTFOUND", err)
			}
			if _, err := tx.Member(ctx, otherNo); ncm.ErrorKind(err) != ncm.ENOTFOUND {
				t.Errorf("Member(other) = %v, want ENOTFOUND", err)
			}
			if orgs, err := tx.ListOrganizations(ctx, mainNo, ncm.OrganizationFilter{}); err != nil || len(orgs) != 0 {
				t.Errorf("organizations after reset = %d, %v; want none", len(orgs), err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fs, _ := e.Faults(ctx); len(fs) != 0 {
			t.Errorf("faults after reset: %d, want none", len(fs))
		}
		if got := clock.Now(); !got.Equal(start) {
			t.Errorf("clock after reset = %v, want the real time %v", got, start)
		}
		if ok, _ := e.CheckAdminToken(ctx, token); !ok {
			t.Error("the admin token no longer works after reset")
		}
	})
}
