package analysis

import (
	"fmt"
	"os"
	"path/filepath"
)

// ConfigFileName is the name of the configuration file looked up above each manifest.
const ConfigFileName = ".kube-policy.yaml"

// FindConfigFile returns the nearest ConfigFileName in dir or one of its parents, or "".
func FindConfigFile(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(abs, ConfigFileName)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// LoadConfigFile reads and validates a configuration file.
func LoadConfigFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	c.BaseDir = filepath.Dir(path)
	return c, nil
}
