package client_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
)

// MustConfigure writes an NCP CLI configure file and returns its path.
func MustConfigure(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "configure")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

const configure = `# written by ncloud configure
[DEFAULT]
ncloud_access_key_id = FILEKEY
ncloud_secret_access_key = FILESECRET
ncloud_api_url = https://ncloud.apigw.gov-ntruss.com

[other]
ncloud_access_key_id = OTHERKEY
`

func TestEnvironment(t *testing.T) {
	file := MustConfigure(t, configure)
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name                       string
		env                        map[string]string
		file                       string
		key, secret, endpoint, err string
	}{
		{name: "OK/new-env", env: map[string]string{"NCLOUD_ACCESS_KEY_ID": "NEWKEY", "NCLOUD_SECRET_ACCESS_KEY": "NEWSECRET"}, file: file,
			key: "NEWKEY", secret: "NEWSECRET", endpoint: ncpapi.DefaultEndpoint},
		{name: "OK/new-env-wins-over-old", env: map[string]string{
			"NCLOUD_ACCESS_KEY_ID": "NEWKEY", "NCLOUD_SECRET_ACCESS_KEY": "NEWSECRET", "NCLOUD_ACCESS_KEY": "OLDKEY", "NCLOUD_SECRET_KEY": "OLDSECRET"},
			file: file, key: "NEWKEY", secret: "NEWSECRET", endpoint: ncpapi.DefaultEndpoint},
		{name: "OK/old-env-wins-over-file", env: map[string]string{"NCLOUD_ACCESS_KEY": "OLDKEY", "NCLOUD_SECRET_KEY": "OLDSECRET"}, file: file,
			key: "OLDKEY", secret: "OLDSECRET", endpoint: ncpapi.DefaultEndpoint},
		{name: "OK/file-with-zone-api-url", file: file,
			key: "FILEKEY", secret: "FILESECRET", endpoint: "https://certificatemanager.apigw.gov-ntruss.com"},
		{name: "OK/file-with-ncm-server-url", file: MustConfigure(t, "ncloud_access_key_id=K\nncloud_secret_access_key=S\nncloud_api_url=http://127.0.0.1:8080\n"),
			key: "K", secret: "S", endpoint: "http://127.0.0.1:8080"},
		{name: "OK/endpoint-env-wins", env: map[string]string{"NCM_ENDPOINT": "http://127.0.0.1:8080"}, file: file,
			key: "FILEKEY", secret: "FILESECRET", endpoint: "http://127.0.0.1:8080"},
		{name: "OK/config-file-env", env: map[string]string{"NCLOUD_CONFIG_FILE": file},
			key: "FILEKEY", secret: "FILESECRET", endpoint: "https://certificatemanager.apigw.gov-ntruss.com"},
		{name: "ErrNothing", file: missing,
			err: "NCLOUD_ACCESS_KEY_ID/NCLOUD_SECRET_ACCESS_KEY and NCLOUD_ACCESS_KEY/NCLOUD_SECRET_KEY are unset and " + missing + " does not exist"},
		{name: "ErrFileWithoutKeys", file: MustConfigure(t, "[DEFAULT]\nncloud_api_url=x\n[p]\nncloud_access_key_id=K\n"),
			err: "lacks ncloud_access_key_id or ncloud_secret_access_key"},
		{name: "ErrHalfEnv", env: map[string]string{"NCLOUD_ACCESS_KEY_ID": "NEWKEY"}, file: file,
			err: "NCLOUD_ACCESS_KEY_ID (or NCLOUD_ACCESS_KEY) is set but neither NCLOUD_SECRET_ACCESS_KEY nor NCLOUD_SECRET_KEY is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := client.Environment{Getenv: func(k string) string { return tt.env[k] }, ConfigFile: tt.file}
			cfg, err := e.Config()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err=%v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AccessKey != tt.key || cfg.SecretKey != tt.secret || cfg.Endpoint != tt.endpoint {
				t.Fatalf("config key=%q secret=%q endpoint=%q, want %q %q %q",
					cfg.AccessKey, cfg.SecretKey, cfg.Endpoint, tt.key, tt.secret, tt.endpoint)
			}
		})
	}
}

func TestFromEnvironment_HomeConfigure(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ncloud"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ncloud", "configure"), []byte(configure), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	for _, k := range []string{"NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_ACCESS_KEY", "NCLOUD_SECRET_KEY", "NCM_ENDPOINT", "NCLOUD_CONFIG_FILE"} {
		t.Setenv(k, "")
	}
	cfg, err := client.FromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AccessKey != "FILEKEY" {
		t.Fatalf("AccessKey=%q, want FILEKEY from ~/.ncloud/configure", cfg.AccessKey)
	}
}
