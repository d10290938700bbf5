package cli

import "github.com/spf13/cobra"

// resourceCommands are the API clients for the rest of the API: members,
// the audit log and Access.
func resourceCommands(env *Env) []*cobra.Command { return nil }
