// Package schemas embeds socap's versioned contracts: the JSON Schemas for
// socap.yaml and codebooks, the built-in codebooks, and the DuckDB DDL
// migrations applied by pipeline/store.
package schemas

import "embed"

// DDL holds the numbered migrations (ddl/NNN_name.sql), applied in order.
//
//go:embed ddl/*.sql
var DDL embed.FS

// ConfigSchema is the JSON Schema of socap.yaml.
//
//go:embed socap.schema.json
var ConfigSchema []byte

// CodebookSchema is the JSON Schema of a codebook file.
//
//go:embed codebook.schema.json
var CodebookSchema []byte

// Codebooks holds the built-in codebooks (codebooks/NAME.yaml).
//
//go:embed codebooks/*.yaml
var Codebooks embed.FS
