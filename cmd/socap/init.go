package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"socap/pipeline/codebook"
	"socap/pipeline/example"
)

type initOptions struct {
	from string
}

func newInitCmd() *cobra.Command {
	opts := initOptions{}
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Scaffold a project: socap.yaml, codebook and example data",
		Long: `init writes a working project into DIR: socap.yaml (every section, with a
comment on each line), codebook.yaml (the built-in ilag questionnaire, ready
to edit) and two example survey waves in DIR/data, with population margins
and the true values they were drawn from.

With --from FILE (any format socap reads; SPSS and Stata files carry the most
metadata) it instead drafts codebook.yaml from the file's variable labels,
value labels, measurement levels and missing codes, and a socap.yaml that
reads FILE as wave 1, for the researcher to edit.
DIR must not already hold a socap.yaml.`,
		Example: "  socap init myproject && cd myproject && socap ingest\n  socap init --from ESS9NO.sav ess",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd, args[0], opts)
		},
	}
	cmd.Flags().StringVar(&opts.from, "from", "", "draft the codebook from this data file instead of writing the example")
	return cmd
}

func runInit(cmd *cobra.Command, dir string, opts initOptions) error {
	config := filepath.Join(dir, "socap.yaml")
	if _, err := os.Stat(config); err == nil {
		return usageErrorf("init %s: a socap.yaml is already there; choose an empty directory", dir)
	}
	if opts.from != "" {
		if err := draftProject(cmd.Context(), dir, opts.from); err != nil {
			return err
		}
	} else if _, err := example.Write(dir); err != nil {
		return err
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nnext: cd %s && socap ingest\n", config, dir)
	return err
}

// draftProject writes socap.yaml and a codebook drafted from the metadata of
// the data file at from.
func draftProject(ctx context.Context, dir, from string) error {
	in, err := openInput(ctx, from)
	if err != nil {
		return err
	}
	defer in.Close()
	frame, err := in.frame(ctx, nil)
	if err != nil {
		return err
	}
	var vars []codebook.FileVariable
	for _, c := range in.info.Columns {
		if strings.TrimSpace(c.Name) == "" {
			continue
		}
		fv := codebook.FileVariable{Name: c.Name, Label: c.Label, Numeric: frame.IsNumeric(c.Name),
			Measure: c.Measure, MissingCodes: c.MissingCodes}
		for _, l := range c.ValueLabels {
			fv.ValueLabels = append(fv.ValueLabels, codebook.FileValueLabel{Value: l.Value, Label: l.Label})
		}
		vars = append(vars, fv)
	}
	base := strings.TrimSuffix(filepath.Base(from), filepath.Ext(from))
	sourceID := draftSourceID(base)
	cb, err := codebook.Draft(sourceID, sourceID, vars)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	yml, err := cb.Marshal()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	header := "# Drafted by socap init --from " + filepath.Base(from) + ". Review every variable: set\n" +
		"# dimension, range, reverse and Norwegian (nb) labels, and check the id variable.\n"
	if err := os.WriteFile(filepath.Join(dir, "codebook.yaml"), append([]byte(header), yml...), 0o644); err != nil {
		return err
	}
	cfg := fmt.Sprintf(draftConfig, filepath.Base(from), base, sourceID, abs)
	return os.WriteFile(filepath.Join(dir, "socap.yaml"), []byte(cfg), 0o644)
}

// draftConfig is the socap.yaml of init --from: the drafted file as wave
// 1, and the design to fill in, since a file's metadata does not say which
// variables carry it.
const draftConfig = `# Drafted by socap init --from %s. "socap init DIR" writes an example
# socap.yaml with every section explained; README.md lists them.
project: %q
store: socap.duckdb
codebook: codebook.yaml
sources:
  - id: %s
    path: %q
    wave: 1
# The survey design: name the weight, strata and cluster (PSU) variables of
# codebook.yaml and remove the "# ". Without them every respondent weighs 1
# and margins of error assume a simple random sample.
# design:
#   weight: weight
#   strata: stratum
#   psu: [psu]
`

// draftSourceID makes a source id (lower case letters, digits, _) from a
// file name.
func draftSourceID(base string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	id := strings.Trim(b.String(), "_")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "s_" + id
	}
	return id
}
