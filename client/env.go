package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// Environment variables read by FromEnvironment, NCP's names first.
const (
	EnvAccessKeyID     = "NCLOUD_ACCESS_KEY_ID"
	EnvSecretAccessKey = "NCLOUD_SECRET_ACCESS_KEY"
	EnvAccessKeyOld    = "NCLOUD_ACCESS_KEY" // older NCP tools
	EnvSecretKeyOld    = "NCLOUD_SECRET_KEY" // older NCP tools
	EnvEndpoint        = "NCM_ENDPOINT"
	// EnvConfigFile points at a configure file other than
	// ~/.ncloud/configure (an ncm addition; NCP tools do not read it).
	EnvConfigFile = "NCLOUD_CONFIG_FILE"
)

// Environment says where FromEnvironment looks. The zero value reads the
// process environment and the user's home directory.
type Environment struct {
	// Getenv reads a variable. Default os.Getenv.
	Getenv func(string) string
	// ConfigFile is the NCP CLI configure file. Default $NCLOUD_CONFIG_FILE,
	// else ~/.ncloud/configure.
	ConfigFile string
}

// FromEnvironment returns the Config the NCP tools would use: credentials
// from NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY, else the older
// NCLOUD_ACCESS_KEY / NCLOUD_SECRET_KEY, else the [DEFAULT] section of
// ~/.ncloud/configure or $NCLOUD_CONFIG_FILE (ncloud_access_key_id,
// ncloud_secret_access_key, ncloud_api_url); the endpoint from NCM_ENDPOINT, else the file (see
// Environment.Config), else ncpapi.DefaultEndpoint. The error for missing
// credentials names every variable and file it looked at.
func FromEnvironment() (Config, error) { return Environment{}.Config() }

// Config resolves the configuration as FromEnvironment describes. Each
// credential variable is read new name first, then old name. The configure
// file is read only when no credential variable is set; its ncloud_api_url
// is NCP's generic API host (ncloud.apigw.ntruss.com by default), so a host
// of the form ncloud.apigw.<zone domain> becomes
// certificatemanager.apigw.<zone domain>, keeping the zone (public, gov,
// fin); any other URL (an ncm server) is used as is.
func (e Environment) Config() (Config, error) {
	getenv := e.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	first := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := Config{
		AccessKey: first(EnvAccessKeyID, EnvAccessKeyOld),
		SecretKey: first(EnvSecretAccessKey, EnvSecretKeyOld),
		Endpoint:  first(EnvEndpoint),
	}
	switch {
	case cfg.AccessKey != "" && cfg.SecretKey != "":
	case cfg.AccessKey != "":
		return Config{}, credentialsError("%s (or %s) is set but neither %s nor %s is",
			EnvAccessKeyID, EnvAccessKeyOld, EnvSecretAccessKey, EnvSecretKeyOld)
	case cfg.SecretKey != "":
		return Config{}, credentialsError("%s (or %s) is set but neither %s nor %s is",
			EnvSecretAccessKey, EnvSecretKeyOld, EnvAccessKeyID, EnvAccessKeyOld)
	default:
		path, err := e.configFile(getenv)
		if err != nil {
			return Config{}, err
		}
		file, err := readConfigure(path)
		if errors.Is(err, fs.ErrNotExist) {
			return Config{}, credentialsError("no credentials: %s/%s and %s/%s are unset and %s does not exist",
				EnvAccessKeyID, EnvSecretAccessKey, EnvAccessKeyOld, EnvSecretKeyOld, path)
		}
		if err != nil {
			return Config{}, credentialsError("reading %s: %v", path, err)
		}
		cfg.AccessKey, cfg.SecretKey = file["ncloud_access_key_id"], file["ncloud_secret_access_key"]
		if cfg.AccessKey == "" || cfg.SecretKey == "" {
			return Config{}, credentialsError("no credentials: %s/%s and %s/%s are unset and the [DEFAULT] section of %s "+
				"lacks ncloud_access_key_id or ncloud_secret_access_key",
				EnvAccessKeyID, EnvSecretAccessKey, EnvAccessKeyOld, EnvSecretKeyOld, path)
		}
		if cfg.Endpoint == "" {
			cfg.Endpoint = endpointFromAPIURL(file["ncloud_api_url"])
		}
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = ncpapi.DefaultEndpoint
	}
	return cfg, nil
}

func credentialsError(format string, args ...any) error {
	return &ncm.Error{Kind: ncm.EINVALID, Field: "credentials", Message: fmt.Sprintf(format, args...)}
}

// configFile returns the configure file path.
func (e Environment) configFile(getenv func(string) string) (string, error) {
	if e.ConfigFile != "" {
		return e.ConfigFile, nil
	}
	if p := getenv(EnvConfigFile); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", credentialsError("no credentials: %s/%s and %s/%s are unset and the home directory is unknown (%v); set %s",
			EnvAccessKeyID, EnvSecretAccessKey, EnvAccessKeyOld, EnvSecretKeyOld, err, EnvConfigFile)
	}
	return filepath.Join(home, ".ncloud", "configure"), nil
}

// readConfigure returns the keys of the [DEFAULT] section of an NCP CLI
// configure file (INI: "key = value", '#' and ';' comments), keys
// lower-cased. Keys before any section header count as [DEFAULT].
func readConfigure(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	section := "default"
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
		case section == "default":
			k, v, ok := strings.Cut(line, "=")
			if ok {
				out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return out, sc.Err()
}

// endpointFromAPIURL maps the configure file's ncloud_api_url to the
// Certificate Manager endpoint of the same zone; see Environment.Config.
func endpointFromAPIURL(apiURL string) string {
	if apiURL == "" {
		return ""
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return apiURL // New reports it with the field name
	}
	if rest, ok := strings.CutPrefix(u.Host, "ncloud.apigw."); ok {
		return u.Scheme + "://certificatemanager.apigw." + rest
	}
	return apiURL
}
