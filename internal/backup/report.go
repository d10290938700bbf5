package backup

import (
	"fmt"
	"sort"
	"strings"
)

// Report is what the backup command prints.
func (r BackupResult) Report() string {
	var b strings.Builder
	m := r.Manifest
	fmt.Fprintf(&b, "Wrote %s: the database as of %s (schema %d, %d bytes, %d sealed values).\n",
		r.File, m.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), m.SchemaVersion, m.DatabaseSize, m.SealedValues)
	if m.KeyIncluded {
		fmt.Fprintf(&b, "The secret key (id %s) is in the file: keep it as secret as the key itself.\n", m.KeyID)
	} else {
		id := ""
		if m.KeyID != "" {
			id = " (id " + m.KeyID + ")"
		}
		fmt.Fprintf(&b, "The secret key is not in the file: keep %s%s too, or the sealed secrets in this backup cannot be restored.\n",
			r.KeySource, id)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s.\n", w)
	}
	return b.String()
}

// Report is what the restore command prints.
func (r RestoreResult) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Restored %s from the backup of %s (schema %d); %s opens its %d sealed values.\n", r.Database,
		r.Manifest.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), r.Manifest.SchemaVersion, r.KeySource, r.SealedValues)
	if r.KeyInstalled != "" {
		fmt.Fprintf(&b, "Installed the backup's key at %s.\n", r.KeyInstalled)
	}
	for _, f := range r.MovedAside {
		fmt.Fprintf(&b, "Kept the previous file as %s.\n", f)
	}
	b.WriteString("Start ssogate to serve it.\n")
	return b.String()
}

// Report is what the rotate-secret-key command prints.
func (r RotateResult) Report() string {
	cols := make([]string, 0, len(r.Resealed))
	for c, n := range r.Resealed {
		cols = append(cols, fmt.Sprintf("%s: %d", c, n))
	}
	sort.Strings(cols)
	resumed := ""
	if r.Resumed {
		resumed = " (finishing an interrupted rotation)"
	}
	return fmt.Sprintf("Re-sealed%s %s.\n%s\n", resumed, strings.Join(cols, ", "), r.Instructions)
}
