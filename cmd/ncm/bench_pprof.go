package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// pprofAddrEnv names the variable that turns on Go's profiling endpoints for
// measuring (docs/PERFORMANCE.md). Unset, nothing listens; set, it must be a
// loopback address, and the endpoints answer without authentication, so
// they stay on a port of their own, never on the API's.
const pprofAddrEnv = "NCM_PPROF_ADDR"

func init() {
	addr := os.Getenv(pprofAddrEnv)
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "ncm: %s=%q ignored: give a loopback address such as 127.0.0.1:6060\n", pprofAddrEnv, addr)
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ncm: %s: %v\n", pprofAddrEnv, err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go func() { _ = http.Serve(ln, mux) }()
}
