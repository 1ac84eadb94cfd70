package estimate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"socap/pipeline/store"
)

// ExportCSV writes the estimates table to dir/estimates.csv, one row per cell
// in indicator, wave, group-set order; suppressed cells carry their status and
// reason and no number, as the table does. It returns the file's path.
func ExportCSV(ctx context.Context, st *store.Store, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	path := filepath.Join(dir, "estimates.csv")
	q := fmt.Sprintf(`COPY (SELECT * FROM %s ORDER BY ALL) TO %s (FORMAT csv, HEADER)`, Table, store.QuoteString(path))
	if _, err := st.DB().ExecContext(ctx, q); err != nil {
		return "", fmt.Errorf("export %s: %w", path, err)
	}
	return path, nil
}
