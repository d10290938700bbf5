package cli

import (
	"context"
)

// Placeholders until the API client commands land.
func runSSO(ctx context.Context, env *Env, args []string) error   { return usageError("not yet") }
func runToken(ctx context.Context, env *Env, args []string) error { return usageError("not yet") }
