package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/config"
)

// setupHealthcheck is `ssogate healthcheck`: the container image's
// HEALTHCHECK. Distroless images have no curl, so the binary asks its own
// server; it reads the same --listen (flag, SSOGATE_LISTEN, config file)
// the server was started with.
func setupHealthcheck(env *Env, fs *pflag.FlagSet) runFunc {
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	settings := config.Bind(fs, config.AllSettings)
	return func(ctx context.Context, args []string) error {
		cfg, err := configured(env, settings, args)
		if err != nil {
			return err
		}
		url := healthURL(cfg)
		if err := probe(ctx, url, *timeout); err != nil {
			return fmt.Errorf("%s: %w", url, err)
		}
		fmt.Fprintf(env.Stdout, "%s: ok\n", url)
		return nil
	}
}

// healthURL is /healthz on the listen address, reached over loopback
// when the server listens on every interface.
func healthURL(cfg config.Config) string {
	host, port, _ := net.SplitHostPort(cfg.Listen)
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
}

func probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The certificate names the public host, not the loopback address
	// asked here; what is checked is that the server answers.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s", res.Status)
	}
	return nil
}
