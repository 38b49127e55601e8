package main

// Helpers for the reliability tests that run `ncm serve` as a separate
// process: it can then be killed with SIGKILL, stopped with SIGTERM and its
// log read whole.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runAsNCM, set in the environment of a child process, makes the test
// binary run main() instead of the tests: the test binary holds all of
// package main, so it is the ncm binary, built once by go test itself.
const runAsNCM = "NCM_TEST_RUN_AS_NCM"

func init() {
	if os.Getenv(runAsNCM) == "1" {
		main()
	}
}

// buildNCM returns the path of an ncm binary: the test binary, which runs
// main() when runAsNCM is set (startProc sets it).
func buildNCM(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one `ncm serve` process.
type proc struct {
	t        *testing.T
	cmd      *exec.Cmd
	endpoint string
	stdout   *syncBuffer
	stderr   *syncBuffer
	done     chan struct{}
	err      error // the exit status, once done is closed
}

var listeningLine = regexp.MustCompile(`ncm listening.*endpoint"?[=:]"?(http://[^"\s]+)`)

// startProc runs `BIN serve --data-dir DIR --addr 127.0.0.1:0 ARGS` and
// returns once it listens. The process is killed when t ends if still
// running.
func startProc(t *testing.T, bin, dataDir string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Env = append(os.Environ(), runAsNCM+"=1")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := listeningLine.FindStringSubmatch(p.stderr.String()); m != nil {
			p.endpoint = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("ncm serve exited before listening (%v)\nstderr:\n%s", p.err, p.stderr.String())
		case <-deadline:
			t.Fatalf("ncm serve did not listen within 60 s\nstderr:\n%s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// credentials returns the main account's key printed on first start.
// Stdout and stderr are copied from the process by separate goroutines, so
// the export lines may arrive after the "listening" log line: wait for them.
func (p *proc) credentials() (memberNo, ak, sk string) {
	// stdout and stderr reach the test through two pipes, copied by two
	// goroutines: the listening line on stderr can arrive before what was
	// printed earlier on stdout, so wait for it a little.
	out := p.stdout.String()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "NCLOUD_SECRET_ACCESS_KEY") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		out = p.stdout.String()
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "NCLOUD_SECRET_ACCESS_KEY=") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		out = p.stdout.String()
	}
	for _, m := range exportLine.FindAllStringSubmatch(out, -1) {
		switch m[1] {
		case "NCLOUD_ACCESS_KEY_ID":
			ak = m[2]
		case "NCLOUD_SECRET_ACCESS_KEY":
			sk = m[2]
		}
	}
	if m := memberLine.FindStringSubmatch(out); m != nil {
		memberNo = m[1]
	}
	if ak == "" || sk == "" || memberNo == "" {
		p.t.Fatalf("serve printed no credentials:\n%s", out)
	}
	return memberNo, ak, sk
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and returns the exit error (nil for status 0).
func (p *proc) stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.t.Fatalf("ncm serve did not exit after SIGTERM\nstderr:\n%s", p.stderr.String())
		return nil
	}
}
