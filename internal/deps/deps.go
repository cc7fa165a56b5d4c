// Package deps pins the project's direct dependencies while packages that use them are written.
package deps

import (
	_ "github.com/CyCoreSystems/ari/v5"
	_ "github.com/CyCoreSystems/ari/v5/client/native"
	_ "github.com/emiago/sipgo"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/viper"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/net/websocket"
)
