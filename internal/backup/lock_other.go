//go:build !unix

package backup

import "os"

// Elsewhere there is no flock: the lock is not enforced (docs say to stop
// the server before restoring or rotating).
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}
