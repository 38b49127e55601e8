package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/dnscheck/dnstest"
	"github.com/ncmhq/ncm/internal/pgtest"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// startNodes starts `ncm serve` processes (the test binary run as ncm, see
// proc_test.go) all at once, each with args, and waits until every one
// listens. Starting them together is the point: they race to migrate the
// empty database, create the main account and the CA.
func startNodes(t *testing.T, n int, args ...string) []*proc {
	t.Helper()
	bin := buildNCM(t)
	procs := make([]*proc, n)
	stdouts := make([]string, n)
	for i := range procs {
		p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin, append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, args...)...)
		// stdout goes to a file, written by the process itself: what it
		// printed before logging that it listens is there once it does
		// (through a pipe it could still be on its way).
		stdouts[i] = filepath.Join(t.TempDir(), "stdout")
		out, err := os.Create(stdouts[i])
		if err != nil {
			t.Fatal(err)
		}
		p.cmd.Stdout, p.cmd.Stderr = out, p.stderr
		p.cmd.Env = append(os.Environ(), runAsNCM+"=1")
		err = p.cmd.Start()
		out.Close()
		if err != nil {
			t.Fatal(err)
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				// SIGTERM first: a node that stops cleanly says so.
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-p.done:
				case <-time.After(10 * time.Second):
					t.Errorf("node %d did not stop within 10 s of SIGTERM", i+1)
					_ = p.cmd.Process.Kill()
					<-p.done
				}
			}
		})
		procs[i] = p
	}
	deadline := time.After(60 * time.Second)
	for i, p := range procs {
		for p.endpoint == "" {
			if m := listeningLine.FindStringSubmatch(p.stderr.String()); m != nil {
				p.endpoint = m[1]
				break
			}
			select {
			case <-p.done:
				t.Fatalf("node %d exited before listening (%v)\nstderr:\n%s", i+1, p.err, p.stderr.String())
			case <-deadline:
				t.Fatalf("node %d did not listen within 60 s\nstderr:\n%s", i+1, p.stderr.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		b, err := os.ReadFile(stdouts[i])
		if err != nil {
			t.Fatal(err)
		}
		p.stdout.Write(b)
		t.Logf("node %d: pid %d, %s", i+1, p.cmd.Process.Pid, p.endpoint)
	}
	return procs
}

// TestMultiNode runs three `ncm serve` processes on one PostgreSQL database,
// as the README's "Running many nodes" describes. They start together on an
// empty database (one applies the migrations, one creates the main account
// and one the CA; all agree). Requests go round-robin over the nodes; what
// one node accepted the next lists at once. Certificates are issued by the
// nodes' job workers once the test's DNS server answers their TXT records.
// In the middle of the run one node is killed with SIGKILL, with requests
// in flight and job leases held; clients that lose their connection send
// the same request to a surviving node, and once the shared emulator clock
// has moved past the leases the survivors finish the dead node's jobs.
// Afterwards every acknowledged certificate is there exactly once, each was
// issued exactly once by exactly one job, and the numbers have neither
// duplicates nor gaps.
func TestMultiNode(t *testing.T) {
	base := pgtest.BaseDSN()
	if base == "" {
		t.Skip("multi-node test: needs PostgreSQL; set " + pgtest.EnvVar + " (README, Development) to run it")
	}
	if e2eOnPostgres {
		t.Skip("multi-node test ran in the first pass of the suite (it needs no second)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	dsn := pgtest.Schema(t, base)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keyFile := filepath.Join(t.TempDir(), "shared.key")
	if _, _, err := masterkey.LoadOrCreate(keyFile); err != nil {
		t.Fatal(err)
	}
	dnsServer := dnstest.Start(t)
	const adminToken = "multi-node-admin-token"

	// Three nodes, started at once on the empty database, each as the
	// README says: the shared database, the shared master key.
	nodeArgs := []string{"--db", dsn, "--master-key-file", keyFile,
		"--emulator", "--admin-token", adminToken, "--dns-resolver", dnsServer.Addr,
		"--worker-interval", "100ms", "--rate-limit", "0", "--shutdown-timeout", "2s"}
	nodes := startNodes(t, 3, nodeArgs...)
	var ak, sk string
	printed := 0
	for _, n := range nodes {
		for _, m := range exportLine.FindAllStringSubmatch(n.stdout.String(), -1) {
			switch m[1] {
			case "NCLOUD_ACCESS_KEY_ID":
				ak = m[2]
				printed++
			case "NCLOUD_SECRET_ACCESS_KEY":
				sk = m[2]
			}
		}
	}
	if printed != 1 {
		t.Fatalf("%d nodes created a main account, want exactly 1", printed)
	}
	clients := make([]*client.Client, len(nodes))
	for i, n := range nodes {
		c, err := client.New(client.Config{Endpoint: n.endpoint, AccessKey: ak, SecretKey: sk,
			HTTPClient: &http.Client{Timeout: 30 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}

	// Every node serves the same CA: the one stored in the database.
	t.Run("OneCA", func(t *testing.T) {
		var roots []string
		for _, n := range nodes {
			b, err := os.ReadFile(filepath.Join(dataDirOf(n), "ca", "root.pem"))
			if err != nil {
				t.Fatal(err)
			}
			roots = append(roots, string(b))
		}
		if roots[0] != roots[1] || roots[1] != roots[2] {
			t.Fatal("the nodes wrote different CA root certificates")
		}
	})

	// The domain owner: publishes every TXT record validation asks for,
	// as a DNS provider would a little after the request.
	publish := func() {
		rows, err := db.QueryContext(ctx, `SELECT record_name, record_value FROM dcv`)
		if err != nil {
			t.Errorf("read the validation records: %v", err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var name, value string
			if rows.Scan(&name, &value) == nil {
				dnsServer.SetTXT(name, value)
			}
		}
	}
	publishing := make(chan struct{})
	stopPublishing := sync.OnceFunc(func() { close(publishing) })
	defer stopPublishing()
	go func() {
		for {
			select {
			case <-publishing:
				return
			case <-time.After(50 * time.Millisecond):
				publish()
			}
		}
	}()

	key := mustECKey(t)
	request := func(c *client.Client, name string) (*ncpapi.PaidCertificate, error) {
		cn := name + ".example.com"
		return c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, key, cn), CertificateType: "NCP_PAID_DV_01", CertificateName: name,
			CommonName: cn, ValidationMethod: "D", SubscriptionPeriod: "2Y", // room for a renewal
		})
	}
	lookup := func(c *client.Client, name string) (ncpapi.AdvancedOrder, ncpapi.AdvancedCertificate, bool, error) {
		resp, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{CertificateName: name})
		if err != nil {
			return ncpapi.AdvancedOrder{}, ncpapi.AdvancedCertificate{}, false, err
		}
		for _, o := range resp.Orders {
			for _, cert := range o.Certificates {
				if cert.CertificateName == name {
					return o, cert, true, nil
				}
			}
		}
		return ncpapi.AdvancedOrder{}, ncpapi.AdvancedCertificate{}, false, nil
	}

	t.Run("PlacedOnOneListedByTheOthers", func(t *testing.T) {
		for i := range nodes {
			name := fmt.Sprintf("seen-%d", i)
			pc, err := request(clients[i], name)
			if err != nil {
				t.Fatalf("request on node %s: %v", nodeName(i), err)
			}
			for j := range nodes {
				if j == i {
					continue
				}
				o, cert, ok, err := lookup(clients[j], name)
				if err != nil || !ok || cert.CertificateNo != pc.CertificateNo || o.OrderID != pc.OrderID {
					t.Errorf("node %s lists %q as %d in order %q (found %v, %v); node %s placed certificate %d in order %s",
						nodeName(j), name, cert.CertificateNo, o.OrderID, ok, err, nodeName(i), pc.CertificateNo, pc.OrderID)
				}
			}
		}
	})

	// The emulator's clock and faults are shared: set through one node,
	// every node follows.
	t.Run("SharedClock", func(t *testing.T) {
		advanceClock(t, ctx, nodes[0].endpoint, adminToken, "1h")
		var want struct {
			OffsetSeconds int64 `json:"offsetSeconds"`
		}
		control(t, ctx, nodes[0].endpoint, adminToken, http.MethodGet, "/_ncm/v1/clock", "", &want)
		for i := range nodes {
			got := want
			got.OffsetSeconds = -1
			// Another node picks a change up within 250 ms.
			for deadline := time.Now().Add(5 * time.Second); got.OffsetSeconds != want.OffsetSeconds && time.Now().Before(deadline); {
				control(t, ctx, nodes[i].endpoint, adminToken, http.MethodGet, "/_ncm/v1/clock", "", &got)
				time.Sleep(50 * time.Millisecond)
			}
			if got.OffsetSeconds != want.OffsetSeconds || want.OffsetSeconds < 3600 {
				t.Errorf("node %s: clock offset %ds, node %s set %ds (want at least 3600)", nodeName(i), got.OffsetSeconds, nodeName(0), want.OffsetSeconds)
			}
		}
	})
	t.Run("SharedFaults", func(t *testing.T) {
		// Two faults set through node 1 strike the next two requests,
		// whichever nodes they reach, and no third.
		control(t, ctx, nodes[0].endpoint, adminToken, http.MethodPost, "/_ncm/v1/faults",
			`{"route":"GET /api/v2/certificate/getPaidCertificates","count":2,"status":503}`, nil)
		for k, i := range []int{2, 1, 0} {
			_, err := clients[i].ListAdvancedCertificates(ctx, client.ListAdvancedOptions{PageSize: 1})
			var ae *client.APIError
			struck := errors.As(err, &ae) && ae.HTTPStatus == http.StatusServiceUnavailable
			if want := k < 2; struck != want || (!want && err != nil) {
				t.Errorf("request %d, on node %s: %v; want the injected 503: %v", k+1, nodeName(i), err, want)
			}
		}
	})

	// The run: workers send requests round-robin; node 2 dies midway.
	const workers, perWorker = 6, 15
	killAt := workers * perWorker / 2
	var (
		mu       sync.Mutex
		acked    = map[string]int64{} // certificate name -> number the API answered
		sent     int
		dead     = map[int]bool{}
		retried  int
		orphaned int
		failures []string
	)
	killed := make(chan struct{})
	alive := func() []int {
		mu.Lock()
		defer mu.Unlock()
		var a []int
		for i := range nodes {
			if !dead[i] {
				a = append(a, i)
			}
		}
		return a
	}
	var run sync.WaitGroup
	for w := range workers {
		run.Go(func() {
			for i := range perWorker {
				name := fmt.Sprintf("run-w%d-%02d", w, i)
				mu.Lock()
				sent++
				if sent == killAt {
					go func() {
						nodes[1].kill()
						// Job leases the dead node held: others may take
						// them only once they have run out.
						owner := fmt.Sprintf("%%/%d/%%", nodes[1].cmd.Process.Pid)
						if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM job WHERE done_at IS NULL AND lease_owner LIKE $1`, owner).Scan(&orphaned); err != nil {
							t.Errorf("count the dead node's leases: %v", err)
						}
						mu.Lock()
						dead[1] = true
						mu.Unlock()
						close(killed)
					}()
				}
				mu.Unlock()
				target := (w + i) % len(nodes)
				// A request whose connection broke may or may not have
				// been committed: send it again to a live node. Either
				// it is stored now, or the name is taken because the
				// first one was.
				var (
					pc  *ncpapi.PaidCertificate
					err error
				)
				for attempt := 0; attempt < 5; attempt++ {
					pc, err = request(clients[target], name)
					var ae *client.APIError
					switch {
					case err == nil:
					case errors.As(err, &ae) && ae.ReturnCode == ncm.CodeNameTaken && attempt > 0:
						_, cert, ok, lerr := lookup(clients[target], name)
						if lerr != nil || !ok {
							err = fmt.Errorf("name %s taken but not listed: %v", name, lerr)
							break
						}
						pc, err = &ncpapi.PaidCertificate{CertificateNo: cert.CertificateNo, CertificateName: name}, nil
					case errors.As(err, &ae):
						// An answer, not a broken connection: a real failure.
					default:
						a := alive()
						target = a[(attempt+w)%len(a)]
						mu.Lock()
						retried++
						mu.Unlock()
						continue
					}
					break
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s: %v", name, err))
				} else {
					acked[name] = pc.CertificateNo
				}
				mu.Unlock()
			}
		})
	}
	run.Wait()
	select {
	case <-killed:
	case <-ctx.Done():
		t.Fatal("the node was not killed")
	}
	for _, f := range failures {
		t.Errorf("request failed: %s", f)
	}
	survivors := alive()
	wantStored := workers*perWorker + len(nodes) // the run and PlacedOnOneListedByTheOthers

	// Finish the jobs: the domain owner publishes the last records, and
	// the shared clock moves past the dead node's leases (and the checks'
	// retry backoff); the node answering runs what fell due.
	publish()
	var pending, round int
	for ; round < 20; round++ {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM certificate WHERE serial_number = ''`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		advanceClock(t, ctx, nodes[survivors[round%len(survivors)]].endpoint, adminToken, "10m")
	}
	t.Logf("%d requests over 3 nodes, node %s killed after %d were sent, holding %d job leases; %d requests resent after a broken connection; clock advanced %d times by 10m to finish",
		workers*perWorker, nodeName(1), killAt, orphaned, retried, round)

	// The surviving nodes agree on what is stored.
	var lists [][]ncpapi.AdvancedOrder
	for _, i := range survivors {
		var orders []ncpapi.AdvancedOrder
		for o, err := range clients[i].AllAdvancedCertificates(ctx, client.ListAdvancedOptions{}) {
			if err != nil {
				t.Fatalf("list on node %s: %v", nodeName(i), err)
			}
			orders = append(orders, o)
		}
		lists = append(lists, orders)
	}
	if diff := cmpDiff(lists[0], lists[1]); diff != "" {
		t.Errorf("the surviving nodes list different certificates (-%s +%s):\n%s", nodeName(survivors[0]), nodeName(survivors[1]), diff)
	}

	names := map[string]ncpapi.AdvancedCertificate{}
	var certNos, orderIDs []int64
	for _, o := range lists[0] {
		id, err := strconv.ParseInt(o.OrderID, 10, 64)
		if err != nil {
			t.Fatalf("orderId %q: %v", o.OrderID, err)
		}
		orderIDs = append(orderIDs, id)
		for _, c := range o.Certificates {
			if prev, dup := names[c.CertificateName]; dup {
				t.Errorf("certificate name %s stored twice: %d and %d", c.CertificateName, prev.CertificateNo, c.CertificateNo)
			}
			names[c.CertificateName] = c
			certNos = append(certNos, c.CertificateNo)
		}
	}
	t.Run("NoneLost", func(t *testing.T) {
		for name, no := range acked {
			got, ok := names[name]
			if !ok || got.CertificateNo != no {
				t.Errorf("acknowledged %s as certificate %d; listed: %d (found %v)", name, no, got.CertificateNo, ok)
			}
		}
		if len(names) != wantStored {
			t.Errorf("%d certificates stored, want %d (every request exactly once)", len(names), wantStored)
		}
	})
	t.Run("IssuedExactlyOnce", func(t *testing.T) {
		serials := map[string]int64{}
		for _, c := range names {
			if c.SerialNumber == "" || c.StatusCode == "0" {
				t.Errorf("certificate %d (%s) not issued: status %s, serial %q", c.CertificateNo, c.CertificateName, c.StatusCode, c.SerialNumber)
				continue
			}
			if other, dup := serials[c.SerialNumber]; dup {
				t.Errorf("serial %s issued to certificates %d and %d", c.SerialNumber, other, c.CertificateNo)
			}
			serials[c.SerialNumber] = c.CertificateNo
		}
		// One issued event per certificate: the CA signed each once.
		issued := queryCounts(t, db, `SELECT certificate_no, COUNT(*) FROM event WHERE kind = $1 GROUP BY certificate_no`, ncm.EventIssued)
		// One validation job per certificate, done, never to run again.
		jobs := queryCounts(t, db, `SELECT subject, COUNT(*) FROM job WHERE kind = $1 AND done_at IS NOT NULL GROUP BY subject`, ncm.JobDCVCheck)
		var open int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM job WHERE kind = $1 AND done_at IS NULL`, ncm.JobDCVCheck).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Errorf("%d validation jobs still open", open)
		}
		for _, c := range names {
			if issued[c.CertificateNo] != 1 || jobs[c.CertificateNo] != 1 {
				t.Errorf("certificate %d: %d issued events, %d finished validation jobs; want 1 and 1",
					c.CertificateNo, issued[c.CertificateNo], jobs[c.CertificateNo])
			}
		}
		if len(issued) != wantStored || len(jobs) != wantStored {
			t.Errorf("issued events for %d certificates, finished jobs for %d; want %d each", len(issued), len(jobs), wantStored)
		}
	})
	t.Run("NumbersWithoutDuplicatesOrGaps", func(t *testing.T) {
		// A transaction cut off by the kill was rolled back with the
		// numbers it had taken, so they run on without a hole.
		for _, k := range []struct {
			name  string
			got   []int64
			first int64
		}{{"certificateNo", certNos, 100001}, {"orderId", orderIDs, 900001}} {
			slices.Sort(k.got)
			for i, n := range k.got {
				if want := k.first + int64(i); n != want {
					t.Fatalf("%s: the %d-th is %d, want %d (a duplicate or a gap): %v", k.name, i+1, n, want, k.got)
				}
			}
		}
	})
	if t.Failed() {
		for i, n := range nodes {
			t.Logf("node %s log:\n%s", nodeName(i), tail(n.stderr.String(), 40))
		}
		return
	}

	// Renewals: the dead node comes back as a new process, every
	// certificate has renewal turned on, and the shared clock jumps into
	// the renewal window. The jobs run on all three nodes at once, and
	// the new node is killed while they do.
	nodes[1] = startNodes(t, 1, nodeArgs...)[0]
	clients[1], err = client.New(client.Config{Endpoint: nodes[1].endpoint, AccessKey: ak, SecretKey: sk,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	originals := slices.Sorted(maps.Values(acked))
	for _, c := range names {
		if !slices.Contains(originals, c.CertificateNo) {
			originals = append(originals, c.CertificateNo)
		}
	}
	for i, no := range originals {
		if err := clients[i%len(clients)].SetRenewalStatus(ctx, no, true); err != nil {
			t.Fatalf("SetRenewalStatus(%d) on node %s: %v", no, nodeName(i%len(clients)), err)
		}
	}
	advanced := make(chan struct{})
	go func() {
		defer close(advanced)
		advanceClock(t, ctx, nodes[0].endpoint, adminToken, "330d")
	}()
	// Kill the new node as soon as it holds leases of renewal work (the
	// others see the new time within 250 ms), or after 2 s at the latest.
	owner := fmt.Sprintf("%%/%d/%%", nodes[1].cmd.Process.Pid)
	var orphanedRenewals int
	for deadline := time.Now().Add(2 * time.Second); orphanedRenewals == 0 && time.Now().Before(deadline); {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM job WHERE done_at IS NULL AND lease_owner LIKE $1`, owner).Scan(&orphanedRenewals); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	nodes[1].kill()
	<-advanced
	publish()
	renewals := func() (n int) {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM certificate WHERE issue_type = $1 AND serial_number <> ''`, string(ncm.IssueRenewal)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	round = 0
	for ; round < 20 && renewals() < len(originals); round++ {
		advanceClock(t, ctx, nodes[survivors[round%len(survivors)]].endpoint, adminToken, "10m")
	}
	t.Logf("renewals: node %s killed while they ran, holding %d job leases; clock advanced %d more times by 10m to finish", nodeName(1), orphanedRenewals, round)

	t.Run("RenewedExactlyOnce", func(t *testing.T) {
		perOrder := queryCounts(t, db, `SELECT order_id, COUNT(*) FROM certificate WHERE issue_type = $1 AND serial_number <> '' GROUP BY order_id`, string(ncm.IssueRenewal))
		for _, id := range orderIDs {
			if perOrder[id] != 1 {
				t.Errorf("order %d holds %d issued renewals, want 1", id, perOrder[id])
			}
		}
		renewJobs := queryCounts(t, db, `SELECT subject, COUNT(*) FROM job WHERE kind = $1 AND done_at IS NOT NULL GROUP BY subject`, ncm.JobRenew)
		for _, no := range originals {
			if renewJobs[no] != 1 {
				t.Errorf("certificate %d: %d finished renewal jobs, want 1", no, renewJobs[no])
			}
		}
		issued := queryCounts(t, db, `SELECT certificate_no, COUNT(*) FROM event WHERE kind = $1 GROUP BY certificate_no`, ncm.EventIssued)
		var all []int64
		rows, err := db.QueryContext(ctx, `SELECT no FROM certificate ORDER BY no`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var no int64
			rows.Scan(&no)
			all = append(all, no)
		}
		rows.Close()
		if len(all) != 2*len(originals) {
			t.Errorf("%d certificates stored after the renewals, want %d", len(all), 2*len(originals))
		}
		for i, no := range all {
			if issued[no] != 1 {
				t.Errorf("certificate %d: issued %d times, want once", no, issued[no])
			}
			if want := int64(100001 + i); no != want {
				t.Fatalf("certificateNo: the %d-th is %d, want %d (a duplicate or a gap): %v", i+1, no, want, all)
			}
		}
	})
	if t.Failed() {
		for i, n := range nodes {
			t.Logf("node %s log:\n%s", nodeName(i), tail(n.stderr.String(), 40))
		}
	}
}

// advanceClock moves the shared emulator clock forward through a node's
// control plane; the node runs the jobs that fell due before answering.
func advanceClock(t *testing.T, ctx context.Context, endpoint, token, by string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/_ncm/v1/clock", strings.NewReader(`{"advance":"`+by+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("advance the clock: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("advance the clock: %d %s", resp.StatusCode, b)
	}
}

// control calls the emulator's control plane of a node and decodes a 200
// answer into out (when not nil).
func control(t *testing.T, ctx context.Context, endpoint, token, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// queryCounts runs a query of (number, count) rows into a map.
func queryCounts(t *testing.T, db *sql.DB, query string, args ...any) map[int64]int {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int64]int{}
	for rows.Next() {
		var k int64
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		m[k] = n
	}
	return m
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// nodeName names the i-th node in messages.
func nodeName(i int) string { return fmt.Sprintf("n%d", i+1) }

// dataDirOf is the --data-dir a node was started with.
func dataDirOf(p *proc) string {
	for i, a := range p.cmd.Args {
		if a == "--data-dir" && i+1 < len(p.cmd.Args) {
			return p.cmd.Args[i+1]
		}
	}
	return ""
}

// TestNodesStartTogether: eight nodes opening one empty PostgreSQL database
// at the same instant migrate it once, store one CA and create one main
// account: exactly one of them gets credentials to print.
func TestNodesStartTogether(t *testing.T) {
	base := pgtest.BaseDSN()
	if base == "" {
		t.Skip("needs PostgreSQL; set " + pgtest.EnvVar + " (README, Development) to run it")
	}
	if e2eOnPostgres {
		t.Skip("ran in the first pass of the suite (it needs no second)")
	}
	ctx := context.Background()
	dsn := pgtest.Schema(t, base)
	keyFile := filepath.Join(t.TempDir(), "shared.key")
	if _, _, err := masterkey.LoadOrCreate(keyFile); err != nil {
		t.Fatal(err)
	}
	const n = 8
	apps := make([]*app, n)
	creds := make([]*service.Credentials, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range apps {
		o := storeOptions{DataDir: t.TempDir(), DB: dsn, MasterKeyFile: keyFile, Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
		wg.Go(func() {
			<-start
			if apps[i], errs[i] = openApp(ctx, o, service.Config{}, discardLogger()); errs[i] == nil {
				creds[i], errs[i] = apps[i].svc.Bootstrap(ctx)
			}
		})
	}
	close(start)
	wg.Wait()
	for i, a := range apps {
		if a != nil {
			defer a.Close()
		}
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i+1, errs[i])
		}
	}
	printed := 0
	for _, c := range creds {
		if c != nil {
			printed++
		}
	}
	var members int
	if err := apps[0].store.Read(ctx, func(tx ncm.Tx) (err error) { members, err = tx.CountMembers(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if printed != 1 || members != 1 {
		t.Errorf("%d nodes got credentials and %d members exist; want 1 and 1", printed, members)
	}
	for i, a := range apps {
		if a.ca.RootPEM() != apps[0].ca.RootPEM() {
			t.Errorf("node %d loaded another CA than node 1", i+1)
		}
	}
}
