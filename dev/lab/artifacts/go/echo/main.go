// Command echo is the lab's test backend: an HTTP server that answers every request with the
// pod's hostname and the request's Host header, one "key=value" per line, so drills can see which
// pod behind a load balancer answered which virtual host.
//
//	echo [-listen :8080]     (PORT in the environment also sets the port)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		listen = ":" + p
	}
	flag.StringVar(&listen, "listen", listen, "address to listen on")
	flag.Parse()
	hostname, err := os.Hostname()
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Echo-Hostname", hostname)
		fmt.Fprintf(w, "hostname=%s\nhost=%s\nmethod=%s\npath=%s\nremote=%s\n", hostname, r.Host, r.Method, r.URL.Path, r.RemoteAddr)
	})
	srv := &http.Server{Addr: listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("echo: %s listening on %s", hostname, listen)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
