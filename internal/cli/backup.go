package cli

import "github.com/spf13/cobra"

// adminDataCommands back up, restore and re-key the data directory.
func adminDataCommands(env *Env) []*cobra.Command { return nil }
